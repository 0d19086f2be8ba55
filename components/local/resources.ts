/**
 * The local target's dynamic resources: thin classes over the providers in ./impl (loaded through
 * ./dynamic.ts). Type tokens are `pulumi-nodejs:dynamic/aragora-local:<Kind>`. Every resource that
 * carries a password lists it in `additionalSecretOutputs`, so state holds it encrypted.
 *
 * Process-backed resources expose `running` and `pid`: a refresh reads them from the machine
 * (pid alive, not a zombie, port answering), and `up` restarts whatever died, on its existing data.
 */
import * as pulumi from "@pulumi/pulumi";
import { localProvider, type ProviderKind } from "./dynamic";
import type { AppProcessInputs } from "./impl/app";
import type { PostgresServerInputs } from "./impl/postgres";
import type { RedisServerInputs, SentinelInputs } from "./impl/redis";

/** A provider's inputs (./impl) as a resource's args: any of them may be an Output. */
type In<T> = { [K in keyof T]: pulumi.Input<T[K]> };

const TYPE_MODULE = "aragora-local";

function secretOpts(opts: pulumi.CustomResourceOptions | undefined, secrets: readonly string[]): pulumi.CustomResourceOptions | undefined {
  return secrets.length === 0 ? opts : { ...opts, additionalSecretOutputs: [...(opts?.additionalSecretOutputs ?? []), ...secrets] };
}

/**
 * A resource backed by a daemon on a loopback port: besides its inputs it reports `running`, `pid`
 * and `pidFile`, plus the outputs its kind adds (`outputs`, unknown until the provider says).
 */
abstract class LocalProcess extends pulumi.dynamic.Resource {
  declare readonly port: pulumi.Output<number>;
  declare readonly running: pulumi.Output<boolean>;
  declare readonly pid: pulumi.Output<number>;
  declare readonly pidFile: pulumi.Output<string>;
  protected constructor(
    kind: ProviderKind,
    type: string,
    name: string,
    args: object,
    outputs: readonly string[],
    secrets: readonly string[],
    opts: pulumi.CustomResourceOptions | undefined,
  ) {
    const unknowns = Object.fromEntries(["running", "pid", "pidFile", ...outputs].map((k) => [k, undefined]));
    super(localProvider(), name, { kind, ...args, ...unknowns }, secretOpts(opts, secrets), TYPE_MODULE, type);
  }
}

/** A directory a stack owns under the local root (`<localRoot>/<region>`); removed with the stack. */
export class OwnedDir extends pulumi.dynamic.Resource {
  declare readonly path: pulumi.Output<string>;
  declare readonly present: pulumi.Output<boolean>;
  constructor(name: string, args: In<{ root: string; path: string }>, opts?: pulumi.CustomResourceOptions) {
    super(localProvider(), name, { kind: "dir" satisfies ProviderKind, ...args, present: undefined }, opts, TYPE_MODULE, "Dir");
  }
}

/**
 * A generated password (node:crypto, base64url), or an adopted one (`adopt`, read at create only).
 * `value` is a secret output.
 */
export class GeneratedSecret extends pulumi.dynamic.Resource {
  declare readonly value: pulumi.Output<string>;
  constructor(name: string, args: { bytes: pulumi.Input<number>; adopt?: pulumi.Input<string> } = { bytes: 24 }, opts?: pulumi.CustomResourceOptions) {
    const adopt = args.adopt !== undefined ? { adopt: pulumi.secret(args.adopt) } : {};
    super(localProvider(), name, { kind: "secret" satisfies ProviderKind, bytes: args.bytes, ...adopt, value: undefined }, secretOpts(opts, ["value"]), TYPE_MODULE, "Secret");
  }
}

export type PostgresServerArgs = In<PostgresServerInputs>;

const PG_SECRETS = ["superuserPassword", "replicatorPassword", "appPassword", "monitorPassword"];

/** A PostgreSQL cluster: the primary (initdb) or a hot standby (pg_basebackup -R -S <slot>). */
export class PostgresServer extends LocalProcess {
  declare readonly dataDir: pulumi.Output<string>;
  declare readonly logFile: pulumi.Output<string>;
  constructor(name: string, args: PostgresServerArgs, opts?: pulumi.CustomResourceOptions) {
    super("postgres", "Postgres", name, args, ["dataDir", "logFile"], PG_SECRETS, opts);
  }
}

/** A physical replication slot on the primary, owned by the replica region's stack. */
export class ReplicationSlot extends pulumi.dynamic.Resource {
  declare readonly slot: pulumi.Output<string>;
  declare readonly present: pulumi.Output<boolean>;
  constructor(name: string, args: In<{ primaryPort: number; slot: string; password: string }>, opts?: pulumi.CustomResourceOptions) {
    super(localProvider(), name, { kind: "slot" satisfies ProviderKind, ...args, present: undefined }, secretOpts(opts, ["password"]), TYPE_MODULE, "ReplicationSlot");
  }
}

export type RedisServerArgs = In<RedisServerInputs>;

/** A Redis server: primary (requirepass) or replica (replicaof, masterauth, read-only). */
export class RedisServer extends LocalProcess {
  declare readonly logFile: pulumi.Output<string>;
  constructor(name: string, args: RedisServerArgs, opts?: pulumi.CustomResourceOptions) {
    super("redis", "Redis", name, args, ["logFile"], ["password"], opts);
  }
}

export type SentinelArgs = In<SentinelInputs>;

/** A Redis Sentinel monitoring `aragora-redis` (the primary region's Redis). */
export class Sentinel extends LocalProcess {
  declare readonly masterName: pulumi.Output<string>;
  constructor(name: string, args: SentinelArgs, opts?: pulumi.CustomResourceOptions) {
    super("sentinel", "Sentinel", name, args, ["logFile", "masterName"], ["password"], opts);
  }
}

export interface AppProcessArgs extends In<Omit<AppProcessInputs, "env">> {
  /** The env contract; carries passwords in URLs, so the whole map is a secret. */
  env: pulumi.Input<Record<string, pulumi.Input<string>>>;
}

/** One process of the stand-in Aragora app. */
export class AppProcess extends LocalProcess {
  declare readonly logFile: pulumi.Output<string>;
  constructor(name: string, args: AppProcessArgs, opts?: pulumi.CustomResourceOptions) {
    super("app", "AppProcess", name, args, ["logFile"], ["env"], opts);
  }
}

/** The local global load balancer's HAProxy. */
export class Haproxy extends LocalProcess {
  declare readonly configFile: pulumi.Output<string>;
  constructor(name: string, args: In<{ dir: string; port: number; config: string }>, opts?: pulumi.CustomResourceOptions) {
    super("haproxy", "Haproxy", name, args, ["configFile"], [], opts);
  }
}
