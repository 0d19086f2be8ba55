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

type In<T> = { [K in keyof T]: pulumi.Input<T[K]> };

const TYPE_MODULE = "aragora-local";

function secretOpts(opts: pulumi.CustomResourceOptions | undefined, secrets: string[]): pulumi.CustomResourceOptions {
  return { ...opts, additionalSecretOutputs: [...(opts?.additionalSecretOutputs ?? []), ...secrets] };
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

export interface PostgresServerArgs {
  role: pulumi.Input<"primary" | "standby">;
  region: pulumi.Input<string>;
  root: pulumi.Input<string>;
  port: pulumi.Input<number>;
  version: pulumi.Input<string>;
  walKeepSize: pulumi.Input<string>;
  maxWalSenders: pulumi.Input<number>;
  maxReplicationSlots: pulumi.Input<number>;
  superuserPassword: pulumi.Input<string>;
  replicatorPassword: pulumi.Input<string>;
  appPassword?: pulumi.Input<string>;
  monitorPassword?: pulumi.Input<string>;
  primaryPort?: pulumi.Input<number>;
  slot?: pulumi.Input<string>;
}

const PG_SECRETS = ["superuserPassword", "replicatorPassword", "appPassword", "monitorPassword"];

/** A PostgreSQL cluster: the primary (initdb) or a hot standby (pg_basebackup -R -S <slot>). */
export class PostgresServer extends pulumi.dynamic.Resource {
  declare readonly port: pulumi.Output<number>;
  declare readonly running: pulumi.Output<boolean>;
  declare readonly pid: pulumi.Output<number>;
  declare readonly dataDir: pulumi.Output<string>;
  declare readonly logFile: pulumi.Output<string>;
  declare readonly pidFile: pulumi.Output<string>;
  constructor(name: string, args: PostgresServerArgs, opts?: pulumi.CustomResourceOptions) {
    super(
      localProvider(),
      name,
      { kind: "postgres" satisfies ProviderKind, ...args, running: undefined, pid: undefined, dataDir: undefined, logFile: undefined, pidFile: undefined },
      secretOpts(opts, PG_SECRETS),
      TYPE_MODULE,
      "Postgres",
    );
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

export interface RedisServerArgs {
  region: pulumi.Input<string>;
  dir: pulumi.Input<string>;
  port: pulumi.Input<number>;
  password: pulumi.Input<string>;
  replicaOfPort?: pulumi.Input<number>;
  replTimeoutSec: pulumi.Input<number>;
  replPingReplicaPeriodSec: pulumi.Input<number>;
}

/** A Redis server: primary (requirepass) or replica (replicaof, masterauth, read-only). */
export class RedisServer extends pulumi.dynamic.Resource {
  declare readonly port: pulumi.Output<number>;
  declare readonly running: pulumi.Output<boolean>;
  declare readonly pid: pulumi.Output<number>;
  declare readonly pidFile: pulumi.Output<string>;
  declare readonly logFile: pulumi.Output<string>;
  constructor(name: string, args: RedisServerArgs, opts?: pulumi.CustomResourceOptions) {
    super(
      localProvider(),
      name,
      { kind: "redis" satisfies ProviderKind, ...args, running: undefined, pid: undefined, pidFile: undefined, logFile: undefined },
      secretOpts(opts, ["password"]),
      TYPE_MODULE,
      "Redis",
    );
  }
}

export interface SentinelArgs {
  region: pulumi.Input<string>;
  dir: pulumi.Input<string>;
  port: pulumi.Input<number>;
  masterPort: pulumi.Input<number>;
  password: pulumi.Input<string>;
  quorum: pulumi.Input<number>;
  downAfterMs: pulumi.Input<number>;
  failoverTimeoutMs: pulumi.Input<number>;
  parallelSyncs: pulumi.Input<number>;
}

/** A Redis Sentinel monitoring `aragora-redis` (the primary region's Redis). */
export class Sentinel extends pulumi.dynamic.Resource {
  declare readonly port: pulumi.Output<number>;
  declare readonly running: pulumi.Output<boolean>;
  declare readonly pid: pulumi.Output<number>;
  declare readonly pidFile: pulumi.Output<string>;
  declare readonly masterName: pulumi.Output<string>;
  constructor(name: string, args: SentinelArgs, opts?: pulumi.CustomResourceOptions) {
    super(
      localProvider(),
      name,
      { kind: "sentinel" satisfies ProviderKind, ...args, running: undefined, pid: undefined, pidFile: undefined, logFile: undefined, masterName: undefined },
      secretOpts(opts, ["password"]),
      TYPE_MODULE,
      "Sentinel",
    );
  }
}

export interface AppProcessArgs {
  region: pulumi.Input<string>;
  index: pulumi.Input<number>;
  dir: pulumi.Input<string>;
  port: pulumi.Input<number>;
  script: pulumi.Input<string>;
  nodePath: pulumi.Input<string>;
  /** The env contract; carries passwords in URLs, so the whole map is a secret. */
  env: pulumi.Input<Record<string, pulumi.Input<string>>>;
}

/** One process of the stand-in Aragora app. */
export class AppProcess extends pulumi.dynamic.Resource {
  declare readonly port: pulumi.Output<number>;
  declare readonly running: pulumi.Output<boolean>;
  declare readonly pid: pulumi.Output<number>;
  declare readonly pidFile: pulumi.Output<string>;
  declare readonly logFile: pulumi.Output<string>;
  constructor(name: string, args: AppProcessArgs, opts?: pulumi.CustomResourceOptions) {
    super(
      localProvider(),
      name,
      { kind: "app" satisfies ProviderKind, ...args, running: undefined, pid: undefined, pidFile: undefined, logFile: undefined },
      secretOpts(opts, ["env"]),
      TYPE_MODULE,
      "AppProcess",
    );
  }
}

/** The local global load balancer's HAProxy. */
export class Haproxy extends pulumi.dynamic.Resource {
  declare readonly port: pulumi.Output<number>;
  declare readonly running: pulumi.Output<boolean>;
  declare readonly pid: pulumi.Output<number>;
  declare readonly pidFile: pulumi.Output<string>;
  declare readonly configFile: pulumi.Output<string>;
  constructor(name: string, args: In<{ dir: string; port: number; config: string }>, opts?: pulumi.CustomResourceOptions) {
    super(
      localProvider(),
      name,
      { kind: "haproxy" satisfies ProviderKind, ...args, running: undefined, pid: undefined, pidFile: undefined, configFile: undefined },
      opts,
      TYPE_MODULE,
      "Haproxy",
    );
  }
}
