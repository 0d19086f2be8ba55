/**
 * Redis and Sentinel configuration of a local region, as pure text (the runbook's Phase 3).
 * Files holding passwords are written 0600 by the providers.
 */

export const REDIS_HOST = "127.0.0.1";
export const SENTINEL_MASTER_NAME = "aragora-redis";

export interface RedisConfArgs {
  dir: string;
  port: number;
  password: string;
  /** The primary's port when this server is a replica. */
  replicaOfPort?: number;
  replTimeoutSec: number;
  replPingReplicaPeriodSec: number;
}

export function renderRedisConf(a: RedisConfArgs): string {
  const lines = [
    `# Managed by Aragora Regions (local target). Sentinel may CONFIG REWRITE this file after a failover.`,
    `bind ${REDIS_HOST}`,
    `port ${a.port}`,
    `protected-mode yes`,
    `daemonize yes`,
    `pidfile "${a.dir}/redis.pid"`,
    `logfile "${a.dir}/redis.log"`,
    `dir "${a.dir}"`,
    `requirepass "${a.password}"`,
    // Every member can become a replica after a failover, so every member carries masterauth.
    `masterauth "${a.password}"`,
    `appendonly yes`,
    `appendfsync everysec`,
    `save ""`,
    `repl-diskless-sync yes`,
    `repl-diskless-sync-delay 0`,
    `repl-timeout ${a.replTimeoutSec}`,
    `repl-ping-replica-period ${a.replPingReplicaPeriodSec}`,
  ];
  if (a.replicaOfPort !== undefined) {
    lines.push(
      `replicaof ${REDIS_HOST} ${a.replicaOfPort}`,
      `replica-read-only yes`,
      `replica-serve-stale-data yes`,
    );
  }
  return lines.join("\n") + "\n";
}

export interface SentinelConfArgs {
  dir: string;
  port: number;
  masterPort: number;
  password: string;
  quorum: number;
  downAfterMs: number;
  failoverTimeoutMs: number;
  parallelSyncs: number;
}

/** Initial sentinel.conf. Sentinel rewrites it (myid, epochs, known replicas): never overwrite it while it runs. */
export function renderSentinelConf(a: SentinelConfArgs): string {
  const m = SENTINEL_MASTER_NAME;
  return [
    `# Written by Aragora Regions (local target); Sentinel owns and rewrites this file.`,
    `bind ${REDIS_HOST}`,
    `port ${a.port}`,
    `daemonize yes`,
    `pidfile "${a.dir}/sentinel.pid"`,
    `logfile "${a.dir}/sentinel.log"`,
    `dir "${a.dir}"`,
    `sentinel monitor ${m} ${REDIS_HOST} ${a.masterPort} ${a.quorum}`,
    `sentinel auth-pass ${m} ${a.password}`,
    `sentinel down-after-milliseconds ${m} ${a.downAfterMs}`,
    `sentinel failover-timeout ${m} ${a.failoverTimeoutMs}`,
    `sentinel parallel-syncs ${m} ${a.parallelSyncs}`,
    "",
  ].join("\n");
}

export function redisUrl(password: string, port: number): string {
  return `redis://:${encodeURIComponent(password)}@${REDIS_HOST}:${port}`;
}
