/**
 * The names of the local target's provider: its package, its version (the project's) and the type
 * token of each resource. Shared by the resource classes (the program side) and the provider.
 */
import { version } from "../../../package.json";

/** The provider's package name: the engine runs it as the plugin `pulumi-resource-aragora-local`. */
export const LOCAL_PACKAGE = "aragora-local";

/** The provider's version: the project's own. */
export const LOCAL_PROVIDER_VERSION: string = version;

/** Resource type token → implementation (../impl). */
export const LOCAL_TYPES = {
  "aragora-local:index:Dir": "dir",
  "aragora-local:index:Secret": "secret",
  "aragora-local:index:Postgres": "postgres",
  "aragora-local:index:ReplicationSlot": "slot",
  "aragora-local:index:Redis": "redis",
  "aragora-local:index:Sentinel": "sentinel",
  "aragora-local:index:AppProcess": "app",
  "aragora-local:index:Haproxy": "haproxy",
} as const;

export type LocalType = keyof typeof LOCAL_TYPES;
export type LocalKind = (typeof LOCAL_TYPES)[LocalType];
