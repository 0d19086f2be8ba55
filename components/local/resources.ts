/**
 * The local target's resources: custom resources of the `aragora-local` provider (./provider),
 * type tokens `aragora-local:index:<Type>`, at the project's version. Each type's secret
 * properties (LOCAL_SECRET_PROPERTIES) are listed in `additionalSecretOutputs`, so state holds
 * them encrypted.
 *
 * Process-backed resources expose `running` and `pid`: a refresh reads them from the machine
 * (pid alive, not a zombie, port answering), and `up` restarts whatever died, on its existing data.
 */
import * as pulumi from "@pulumi/pulumi";
import type { AppProcessInputs } from "./impl/app";
import type { PostgresServerInputs } from "./impl/postgres";
import type { RedisServerInputs, SentinelInputs } from "./impl/redis";
import { LOCAL_PROVIDER_VERSION, LOCAL_SECRET_PROPERTIES, type LocalType } from "./provider/types";

/** A provider's inputs (./impl) as a resource's args: any of them may be an Output. */
type In<T> = { [K in keyof T]: pulumi.Input<T[K]> };

/** A custom resource of the `aragora-local` provider; `outputs` are unknown until the provider says. */
abstract class LocalResource extends pulumi.CustomResource {
  protected constructor(type: LocalType, name: string, args: object, outputs: readonly string[], opts: pulumi.CustomResourceOptions | undefined) {
    const unknowns = Object.fromEntries(outputs.map((k) => [k, undefined]));
    const secrets = [...(opts?.additionalSecretOutputs ?? []), ...LOCAL_SECRET_PROPERTIES[type]];
    super(type, name, { ...args, ...unknowns }, { version: LOCAL_PROVIDER_VERSION, ...opts, ...(secrets.length > 0 ? { additionalSecretOutputs: secrets } : {}) });
  }
}

/**
 * A resource backed by a daemon on a loopback port: besides its inputs it reports `running`, `pid`
 * and `pidFile`, plus the outputs its type adds.
 */
abstract class LocalProcess extends LocalResource {
  declare readonly port: pulumi.Output<number>;
  declare readonly running: pulumi.Output<boolean>;
  declare readonly pid: pulumi.Output<number>;
  declare readonly pidFile: pulumi.Output<string>;
  protected constructor(type: LocalType, name: string, args: object, outputs: readonly string[], opts: pulumi.CustomResourceOptions | undefined) {
    super(type, name, args, ["running", "pid", "pidFile", ...outputs], opts);
  }
}

/** A directory a stack owns under the local root (`<localRoot>/<region>`); removed with the stack. */
export class OwnedDir extends LocalResource {
  declare readonly path: pulumi.Output<string>;
  declare readonly present: pulumi.Output<boolean>;
  constructor(name: string, args: In<{ root: string; path: string }>, opts?: pulumi.CustomResourceOptions) {
    super("aragora-local:index:Dir", name, args, ["present"], opts);
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
    super("aragora-local:index:Secret", name, { bytes: args.bytes, ...adopt }, ["value"], opts);
  }
}

export type PostgresServerArgs = In<PostgresServerInputs>;

/** A PostgreSQL cluster: the primary (initdb) or a hot standby (pg_basebackup -R -S <slot>). */
export class PostgresServer extends LocalProcess {
  declare readonly dataDir: pulumi.Output<string>;
  declare readonly logFile: pulumi.Output<string>;
  constructor(name: string, args: PostgresServerArgs, opts?: pulumi.CustomResourceOptions) {
    super("aragora-local:index:Postgres", name, args, ["dataDir", "logFile"], opts);
  }
}

/** A physical replication slot on the primary, owned by the replica region's stack. */
export class ReplicationSlot extends LocalResource {
  declare readonly slot: pulumi.Output<string>;
  declare readonly present: pulumi.Output<boolean>;
  constructor(name: string, args: In<{ primaryPort: number; slot: string; password: string }>, opts?: pulumi.CustomResourceOptions) {
    super("aragora-local:index:ReplicationSlot", name, args, ["present"], opts);
  }
}

export type RedisServerArgs = In<RedisServerInputs>;

/** A Redis server: primary (requirepass) or replica (replicaof, masterauth, read-only). */
export class RedisServer extends LocalProcess {
  declare readonly logFile: pulumi.Output<string>;
  constructor(name: string, args: RedisServerArgs, opts?: pulumi.CustomResourceOptions) {
    super("aragora-local:index:Redis", name, args, ["logFile"], opts);
  }
}

export type SentinelArgs = In<SentinelInputs>;

/** A Redis Sentinel monitoring `aragora-redis` (the primary region's Redis). */
export class Sentinel extends LocalProcess {
  declare readonly masterName: pulumi.Output<string>;
  constructor(name: string, args: SentinelArgs, opts?: pulumi.CustomResourceOptions) {
    super("aragora-local:index:Sentinel", name, args, ["logFile", "masterName"], opts);
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
    super("aragora-local:index:AppProcess", name, args, ["logFile"], opts);
  }
}

/** The local global load balancer's HAProxy. */
export class Haproxy extends LocalProcess {
  declare readonly configFile: pulumi.Output<string>;
  constructor(name: string, args: In<{ dir: string; port: number; config: string }>, opts?: pulumi.CustomResourceOptions) {
    super("aragora-local:index:Haproxy", name, args, ["configFile"], opts);
  }
}
