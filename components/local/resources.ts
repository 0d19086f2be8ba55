/**
 * The local target's resources: custom resources of the `aragora-local` provider (./provider),
 * type tokens `aragora-local:index:<Type>`. Every resource that carries a password lists it in
 * `additionalSecretOutputs`, so state holds it encrypted.
 *
 * Process-backed resources expose `running` and `pid`: a refresh reads them from the machine
 * (pid alive, not a zombie, port answering), and `up` restarts whatever died, on its existing data.
 */
import * as pulumi from "@pulumi/pulumi";
import { LOCAL_PROVIDER_VERSION, LOCAL_SECRET_PROPERTIES, type LocalType } from "./provider/types";

type In<T> = { [K in keyof T]: pulumi.Input<T[K]> };

/** A custom resource of the `aragora-local` provider, at the project's version, with its type's secret properties. */
abstract class LocalResource extends pulumi.CustomResource {
  constructor(type: LocalType, name: string, props: pulumi.Inputs, opts: pulumi.CustomResourceOptions | undefined) {
    const secrets = [...(opts?.additionalSecretOutputs ?? []), ...LOCAL_SECRET_PROPERTIES[type]];
    super(type, name, props, { version: LOCAL_PROVIDER_VERSION, ...opts, ...(secrets.length > 0 ? { additionalSecretOutputs: secrets } : {}) });
  }
}

/** A directory a stack owns under the local root (`<localRoot>/<region>`); removed with the stack. */
export class OwnedDir extends LocalResource {
  declare readonly path: pulumi.Output<string>;
  declare readonly present: pulumi.Output<boolean>;
  constructor(name: string, args: In<{ root: string; path: string }>, opts?: pulumi.CustomResourceOptions) {
    super("aragora-local:index:Dir", name, { ...args, present: undefined }, opts);
  }
}

/**
 * A generated password (node:crypto, base64url), or an adopted one (`adopt`, read at create only).
 * `value` is a secret output.
 */
export class GeneratedSecret extends LocalResource {
  declare readonly value: pulumi.Output<string>;
  constructor(name: string, args: { bytes: pulumi.Input<number>; adopt?: pulumi.Input<string> } = { bytes: 24 }, opts?: pulumi.CustomResourceOptions) {
    const adopt = args.adopt !== undefined ? { adopt: pulumi.secret(args.adopt) } : {};
    super("aragora-local:index:Secret", name, { bytes: args.bytes, ...adopt, value: undefined }, opts);
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

/** A PostgreSQL cluster: the primary (initdb) or a hot standby (pg_basebackup -R -S <slot>). */
export class PostgresServer extends LocalResource {
  declare readonly port: pulumi.Output<number>;
  declare readonly running: pulumi.Output<boolean>;
  declare readonly pid: pulumi.Output<number>;
  declare readonly dataDir: pulumi.Output<string>;
  declare readonly logFile: pulumi.Output<string>;
  declare readonly pidFile: pulumi.Output<string>;
  constructor(name: string, args: PostgresServerArgs, opts?: pulumi.CustomResourceOptions) {
    super("aragora-local:index:Postgres", name, { ...args, running: undefined, pid: undefined, dataDir: undefined, logFile: undefined, pidFile: undefined }, opts);
  }
}

/** A physical replication slot on the primary, owned by the replica region's stack. */
export class ReplicationSlot extends LocalResource {
  declare readonly slot: pulumi.Output<string>;
  declare readonly present: pulumi.Output<boolean>;
  constructor(name: string, args: In<{ primaryPort: number; slot: string; password: string }>, opts?: pulumi.CustomResourceOptions) {
    super("aragora-local:index:ReplicationSlot", name, { ...args, present: undefined }, opts);
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
export class RedisServer extends LocalResource {
  declare readonly port: pulumi.Output<number>;
  declare readonly running: pulumi.Output<boolean>;
  declare readonly pid: pulumi.Output<number>;
  declare readonly pidFile: pulumi.Output<string>;
  declare readonly logFile: pulumi.Output<string>;
  constructor(name: string, args: RedisServerArgs, opts?: pulumi.CustomResourceOptions) {
    super("aragora-local:index:Redis", name, { ...args, running: undefined, pid: undefined, pidFile: undefined, logFile: undefined }, opts);
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
export class Sentinel extends LocalResource {
  declare readonly port: pulumi.Output<number>;
  declare readonly running: pulumi.Output<boolean>;
  declare readonly pid: pulumi.Output<number>;
  declare readonly pidFile: pulumi.Output<string>;
  declare readonly masterName: pulumi.Output<string>;
  constructor(name: string, args: SentinelArgs, opts?: pulumi.CustomResourceOptions) {
    super("aragora-local:index:Sentinel", name, { ...args, running: undefined, pid: undefined, pidFile: undefined, logFile: undefined, masterName: undefined }, opts);
  }
}

export interface AppProcessArgs {
  region: pulumi.Input<string>;
  index: pulumi.Input<number>;
  dir: pulumi.Input<string>;
  port: pulumi.Input<number>;
  /** The env contract; carries passwords in URLs, so the whole map is a secret. */
  env: pulumi.Input<Record<string, pulumi.Input<string>>>;
}

/** One process of the stand-in Aragora app. */
export class AppProcess extends LocalResource {
  declare readonly port: pulumi.Output<number>;
  declare readonly running: pulumi.Output<boolean>;
  declare readonly pid: pulumi.Output<number>;
  declare readonly pidFile: pulumi.Output<string>;
  declare readonly logFile: pulumi.Output<string>;
  constructor(name: string, args: AppProcessArgs, opts?: pulumi.CustomResourceOptions) {
    super("aragora-local:index:AppProcess", name, { ...args, running: undefined, pid: undefined, pidFile: undefined, logFile: undefined }, opts);
  }
}

/** The local global load balancer's HAProxy. */
export class Haproxy extends LocalResource {
  declare readonly port: pulumi.Output<number>;
  declare readonly running: pulumi.Output<boolean>;
  declare readonly pid: pulumi.Output<number>;
  declare readonly pidFile: pulumi.Output<string>;
  declare readonly configFile: pulumi.Output<string>;
  constructor(name: string, args: In<{ dir: string; port: number; config: string }>, opts?: pulumi.CustomResourceOptions) {
    super("aragora-local:index:Haproxy", name, { ...args, running: undefined, pid: undefined, pidFile: undefined, configFile: undefined }, opts);
  }
}
