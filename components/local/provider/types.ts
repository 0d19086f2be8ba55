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

/**
 * Properties that are always secret, by type: the provider returns them as secrets and the
 * resource classes list them in `additionalSecretOutputs`, so state holds them encrypted.
 */
export const LOCAL_SECRET_PROPERTIES: Record<LocalType, readonly string[]> = {
  "aragora-local:index:Dir": [],
  "aragora-local:index:Secret": ["value"],
  "aragora-local:index:Postgres": ["superuserPassword", "replicatorPassword", "appPassword", "monitorPassword"],
  "aragora-local:index:ReplicationSlot": ["password"],
  "aragora-local:index:Redis": ["password"],
  "aragora-local:index:Sentinel": ["password"],
  "aragora-local:index:AppProcess": ["env"],
  "aragora-local:index:Haproxy": [],
};
