/**
 * The program of a region stack on the `local` target: real processes on this machine
 * (components/local/localRegion.ts), under `<fleet.localRoot>/<region>` on the region's port block.
 *
 * ## Outputs contract (LOCAL_REGION_OUTPUT_KEYS; keys are stable API)
 * Plain:
 * - `region`, `role` ("primary" | "replica"), `primaryRegion`, `dataDir` (`<localRoot>/<region>`)
 * - `postgresHost` ("127.0.0.1"), `postgresPort`, `postgresDatabase` ("aragora"),
 *   `postgresAppUser`, `postgresReplicatorUser`, `postgresMonitorUser`, `postgresSuperuser`,
 *   `replicationSlot` (replica: its slot on the primary; "" on the primary),
 *   `postgresDataDir`, `postgresLogFile`
 * - `redisHost`, `redisPort`, `sentinelPort`, `sentinelMasterName` ("aragora-redis")
 * - `appPorts` (number[]), `appUrls` (string[], http://127.0.0.1:<port>)
 * - `pidFiles`: { postgres, redis, sentinel, apps[] } (postgres: PGDATA/postmaster.pid)
 * Secrets (Pulumi secrets; the service masks them):
 * - `postgresSuperuserPassword`, `postgresReplicatorPassword`, `postgresAppPassword`,
 *   `postgresMonitorPassword` (the `monitor` role, member of pg_monitor: runs the runbook's lag
 *   query), `redisPassword` (requirepass/masterauth/sentinel auth-pass)
 * - `databaseUrl`, `databaseUrlPrimary`, `redisUrl` (what the apps get)
 *
 * Who reads what: a replica region reads the primary's `postgresPort`, `redisPort` and the five
 * password secrets through `organization/aragora/<primary>`; the `global` stack reads `appPorts`;
 * drills read the ports, `pidFiles`, `dataDir` and the monitor/superuser secrets.
 */
import * as pulumi from "@pulumi/pulumi";
import type { PulumiFn } from "@pulumi/pulumi/automation";
import * as path from "node:path";
import type { RegionStackConfig } from "../../domain/spec/stackConfig";
import { appEnv, localPorts, replicationSlotName } from "../../domain/fleet/topology";
import { LocalRegion, type LocalCredentials } from "../../components/local/localRegion";
import { PG_APP_USER, PG_DATABASE, PG_HOST, PG_MONITOR, PG_REPLICATOR, PG_SUPERUSER } from "../../components/local/render/postgres";
import { REDIS_HOST, SENTINEL_MASTER_NAME } from "../../components/local/render/redis";

export const LOCAL_REGION_OUTPUT_KEYS = {
  region: "region",
  role: "role",
  primaryRegion: "primaryRegion",
  dataDir: "dataDir",
  postgresHost: "postgresHost",
  postgresPort: "postgresPort",
  postgresDatabase: "postgresDatabase",
  postgresAppUser: "postgresAppUser",
  postgresReplicatorUser: "postgresReplicatorUser",
  postgresMonitorUser: "postgresMonitorUser",
  postgresSuperuser: "postgresSuperuser",
  replicationSlot: "replicationSlot",
  postgresDataDir: "postgresDataDir",
  postgresLogFile: "postgresLogFile",
  redisHost: "redisHost",
  redisPort: "redisPort",
  sentinelPort: "sentinelPort",
  sentinelMasterName: "sentinelMasterName",
  appPorts: "appPorts",
  appUrls: "appUrls",
  pidFiles: "pidFiles",
  postgresSuperuserPassword: "postgresSuperuserPassword",
  postgresReplicatorPassword: "postgresReplicatorPassword",
  postgresAppPassword: "postgresAppPassword",
  postgresMonitorPassword: "postgresMonitorPassword",
  redisPassword: "redisPassword",
  databaseUrl: "databaseUrl",
  databaseUrlPrimary: "databaseUrlPrimary",
  redisUrl: "redisUrl",
} as const;

/** Keys that are Pulumi secrets. */
export const LOCAL_REGION_SECRET_OUTPUTS = [
  "postgresSuperuserPassword",
  "postgresReplicatorPassword",
  "postgresAppPassword",
  "postgresMonitorPassword",
  "redisPassword",
  "databaseUrl",
  "databaseUrlPrimary",
  "redisUrl",
] as const;

const CREDENTIAL_KEYS: Record<keyof LocalCredentials<unknown>, string> = {
  postgresSuperuser: LOCAL_REGION_OUTPUT_KEYS.postgresSuperuserPassword,
  postgresReplicator: LOCAL_REGION_OUTPUT_KEYS.postgresReplicatorPassword,
  postgresApp: LOCAL_REGION_OUTPUT_KEYS.postgresAppPassword,
  postgresMonitor: LOCAL_REGION_OUTPUT_KEYS.postgresMonitorPassword,
  redis: LOCAL_REGION_OUTPUT_KEYS.redisPassword,
};

/** The fleet's local root, validated (absolute, normalized). */
export function requireLocalRoot(localRoot: string | undefined): string {
  if (localRoot === undefined || !path.isAbsolute(localRoot) || path.normalize(localRoot) !== localRoot) {
    throw new Error(`the local target needs fleet.localRoot as an absolute, normalized directory (got ${JSON.stringify(localRoot)})`);
  }
  return localRoot;
}

export function localRegionProgram(config: RegionStackConfig): PulumiFn {
  return () => {
    const { region, fleet } = config;
    const localRoot = requireLocalRoot(fleet.localRoot);
    const member = fleet.regions.find((r) => r.name === region.name);
    const portBase = region.local.portBase ?? member?.portBase;
    if (portBase === undefined) throw new Error(`local region ${region.name} has no port block (region.local.portBase)`);
    const ports = localPorts(portBase, region.app.replicas);
    const isPrimary = fleet.primary === region.name;
    if (isPrimary !== region.primary) {
      throw new Error(`region ${region.name}: spec says primary=${String(region.primary)} but the fleet's primary is ${fleet.primary}`);
    }

    let upstream;
    if (!isPrimary) {
      const ref = new pulumi.StackReference(`organization/aragora/${fleet.primary}`);
      const secret = (key: string): pulumi.Output<string> => pulumi.secret(ref.requireOutput(key) as pulumi.Output<string>);
      upstream = {
        postgresPort: ref.requireOutput(LOCAL_REGION_OUTPUT_KEYS.postgresPort) as pulumi.Output<number>,
        redisPort: ref.requireOutput(LOCAL_REGION_OUTPUT_KEYS.redisPort) as pulumi.Output<number>,
        credentials: {
          postgresSuperuser: secret(CREDENTIAL_KEYS.postgresSuperuser),
          postgresReplicator: secret(CREDENTIAL_KEYS.postgresReplicator),
          postgresApp: secret(CREDENTIAL_KEYS.postgresApp),
          postgresMonitor: secret(CREDENTIAL_KEYS.postgresMonitor),
          redis: secret(CREDENTIAL_KEYS.redis),
        },
      };
    }

    const r = new LocalRegion(region.name, {
      region: region.name,
      primary: isPrimary,
      localRoot,
      ports,
      postgres: {
        version: region.postgres.version,
        walKeepSize: region.postgres.walKeepSize,
        maxWalSenders: region.postgres.maxWalSenders,
        maxReplicationSlots: region.postgres.maxReplicationSlots,
      },
      redis: { replTimeoutSec: region.redis.replTimeoutSec, replPingReplicaPeriodSec: region.redis.replPingReplicaPeriodSec, sentinel: region.redis.sentinel },
      appEnv: { ...appEnv(region.name, fleet) },
      ...(upstream ? { upstream, slotName: replicationSlotName(region.name) } : {}),
    });

    const K = LOCAL_REGION_OUTPUT_KEYS;
    const outputs: Record<string, unknown> = {
      [K.region]: region.name,
      [K.role]: isPrimary ? "primary" : "replica",
      [K.primaryRegion]: fleet.primary,
      [K.dataDir]: r.dataDir,
      [K.postgresHost]: PG_HOST,
      [K.postgresPort]: r.postgres.port,
      [K.postgresDatabase]: PG_DATABASE,
      [K.postgresAppUser]: PG_APP_USER,
      [K.postgresReplicatorUser]: PG_REPLICATOR,
      [K.postgresMonitorUser]: PG_MONITOR,
      [K.postgresSuperuser]: PG_SUPERUSER,
      [K.replicationSlot]: isPrimary ? "" : replicationSlotName(region.name),
      [K.postgresDataDir]: r.postgres.dataDir,
      [K.postgresLogFile]: r.postgres.logFile,
      [K.redisHost]: REDIS_HOST,
      [K.redisPort]: r.redis.port,
      [K.sentinelPort]: r.sentinel.port,
      [K.sentinelMasterName]: SENTINEL_MASTER_NAME,
      [K.appPorts]: ports.apps,
      [K.appUrls]: ports.apps.map((p) => `http://127.0.0.1:${p}`),
      [K.pidFiles]: pulumi.output({
        postgres: r.postgres.pidFile,
        redis: r.redis.pidFile,
        sentinel: r.sentinel.pidFile,
        apps: r.apps.map((a) => a.pidFile),
      }),
      [K.postgresSuperuserPassword]: pulumi.secret(r.credentials.postgresSuperuser),
      [K.postgresReplicatorPassword]: pulumi.secret(r.credentials.postgresReplicator),
      [K.postgresAppPassword]: pulumi.secret(r.credentials.postgresApp),
      [K.postgresMonitorPassword]: pulumi.secret(r.credentials.postgresMonitor),
      [K.redisPassword]: pulumi.secret(r.credentials.redis),
      [K.databaseUrl]: r.urls.database,
      [K.databaseUrlPrimary]: r.urls.databasePrimary,
      [K.redisUrl]: r.urls.redis,
    };
    return Promise.resolve(outputs);
  };
}
