/**
 * Provider implementations for Redis and Sentinel on the local target. Both run as daemons
 * (`daemonize yes`, own pidfile) under the region's directory and outlive the engine.
 */
import * as fs from "node:fs";
import * as path from "node:path";
import type * as pulumi from "@pulumi/pulumi";
import { withRedis } from "../redisClient";
import { REDIS_HOST, SENTINEL_MASTER_NAME, renderRedisConf, renderSentinelConf } from "../render/redis";
import { assertInt, assertPort, assertSafePath, assertSecret } from "../names";
import { changedKeys, errorMessage, type ProcessState, hasUnknowns } from "./common";
import { pidAlive, portOpen, readPidFile, runOk, stopPid, tail, waitFor } from "./proc";
import { daemonRead, daemonWrite, makeDaemonDir, removeTree, discardTree } from "./daemonFs";

// ---------------------------------------------------------------------------------------------
// Redis server

export interface RedisServerInputs {
  region: string;
  dir: string;
  port: number;
  password: string;
  /** The primary's Redis port in a replica region. */
  replicaOfPort?: number;
  replTimeoutSec: number;
  replPingReplicaPeriodSec: number;
}
export type RedisServerOutputs = RedisServerInputs & ProcessState & { pidFile: string; logFile: string };

function validateRedis(i: RedisServerInputs): void {
  assertSafePath(i.dir, "dir");
  assertPort(i.port, "port");
  assertSecret(i.password, "password");
  if (i.replicaOfPort !== undefined) assertPort(i.replicaOfPort, "replicaOfPort");
  assertInt(i.replTimeoutSec, "replTimeoutSec", 10, 3600);
  assertInt(i.replPingReplicaPeriodSec, "replPingReplicaPeriodSec", 1, 600);
}

async function redisState(pidFile: string, port: number, expect: string): Promise<ProcessState> {
  const pid = readPidFile(pidFile);
  const running = pidAlive(pid, expect) && (await portOpen(port));
  return { running, pid: running && pid !== undefined ? pid : 0 };
}

async function redisPing(port: number, password?: string): Promise<boolean> {
  try {
    await withRedis(REDIS_HOST, port, 1000, (r) => r.ping(), password); // PONG, or it throws
    return true;
  } catch {
    return false;
  }
}

/** Writes `file` when its content differs; returns whether it did. */
function putIfChanged(file: string, content: string): boolean {
  if (daemonRead(file) === content) return false;
  daemonWrite(file, content, 0o600);
  return true;
}

/**
 * Brings Redis to the wanted state. A change of `replicaOfPort` alone (a failover: promoted, or
 * re-pointed to the new primary) is applied at runtime with REPLICAOF, without a restart; other
 * changes (port, password, timeouts) restart it on its data (AOF).
 */
async function ensureRedis(i: RedisServerInputs, olds?: RedisServerInputs): Promise<RedisServerOutputs> {
  validateRedis(i);
  makeDaemonDir(i.dir);
  const conf = path.join(i.dir, "redis.conf");
  const pidFile = path.join(i.dir, "redis.pid");
  const logFile = path.join(i.dir, "redis.log");
  const content = renderRedisConf({
    dir: i.dir, port: i.port, password: i.password, replTimeoutSec: i.replTimeoutSec, replPingReplicaPeriodSec: i.replPingReplicaPeriodSec,
    ...(i.replicaOfPort !== undefined ? { replicaOfPort: i.replicaOfPort } : {}),
  });
  const before = await redisState(pidFile, i.port, "redis-server");
  const changedInputs = olds ? changedKeys(olds as unknown as Record<string, unknown>, i as unknown as Record<string, unknown>, REDIS_KEYS) : undefined;
  const runtimeOnly = before.running && changedInputs !== undefined && changedInputs.every((k) => k === "replicaOfPort");
  if (runtimeOnly && changedInputs.includes("replicaOfPort")) {
    const target = i.replicaOfPort !== undefined ? [REDIS_HOST, String(i.replicaOfPort)] : ["NO", "ONE"];
    await withRedis(REDIS_HOST, i.port, 5000, (r) => r.call("REPLICAOF", ...target), i.password);
  }
  const changed = putIfChanged(conf, content);
  const restart = changed && !runtimeOnly;
  if (before.running && restart) await stopPid(before.pid, "redis-server");
  if (!before.running || restart) {
    await stopPid(readPidFile(pidFile), "redis-server"); // half-dead (pid alive, port closed)
    await runOk("redis-server", "redis-server", [conf], { asDaemon: true, cwd: i.dir, logFile: path.join(i.dir, "start.log"), timeoutMs: 30_000 });
    if (!(await waitFor(() => redisPing(i.port, i.password), 15_000))) {
      throw new Error(`Redis of ${i.region} did not answer on port ${i.port}: ${tail(logFile)}`);
    }
  }
  if (i.replicaOfPort !== undefined) {
    // Best effort: with repl-diskless-sync-delay 0 the link is up within a second or two.
    await waitFor(async () => {
      try {
        const info = await withRedis(REDIS_HOST, i.port, 1000, (r) => r.info("replication"), i.password);
        return /^master_link_status:up\r?$/m.test(info);
      } catch {
        return false;
      }
    }, 15_000, 200);
  }
  return { ...i, ...(await redisState(pidFile, i.port, "redis-server")), pidFile, logFile };
}

const REDIS_KEYS = ["region", "dir", "port", "password", "replicaOfPort", "replTimeoutSec", "replPingReplicaPeriodSec"] as const;

function checker<T>(validate: (i: T) => void) {
  return (_olds: T, news: T) => {
    try {
      if (!hasUnknowns(news)) validate(news);
      return Promise.resolve({ inputs: news });
    } catch (err) {
      return Promise.resolve({ inputs: news, failures: [{ property: "inputs", reason: errorMessage(err) }] });
    }
  };
}

export const redisServer: pulumi.dynamic.ResourceProvider = {
  check: checker(validateRedis),
  async diff(_id: string, olds: RedisServerOutputs, news: RedisServerInputs) {
    const changed = changedKeys(olds as unknown as Record<string, unknown>, news as unknown as Record<string, unknown>, REDIS_KEYS);
    const alive = olds.running && (await redisState(olds.pidFile, news.port, "redis-server")).running;
    return { changes: changed.length > 0 || !alive, replaces: changed.filter((k) => k === "dir"), deleteBeforeReplace: true };
  },
  async create(inputs: RedisServerInputs) {
    try {
      return { id: `redis:${inputs.dir}`, outs: await ensureRedis(inputs) };
    } catch (err) {
      await stopPid(readPidFile(path.join(inputs.dir, "redis.pid")), "redis-server").catch(() => undefined);
      discardTree(inputs.dir);
      throw err;
    }
  },
  async read(id: string, props?: RedisServerOutputs) {
    if (props === undefined) return { id };
    return { id, props: { ...props, ...(await redisState(props.pidFile, props.port, "redis-server")) } };
  },
  async update(_id: string, olds: RedisServerOutputs, news: RedisServerInputs) {
    return { outs: await ensureRedis(news, olds) };
  },
  async delete(_id: string, props: RedisServerOutputs) {
    validateRedis(props);
    await stopPid(readPidFile(path.join(props.dir, "redis.pid")), "redis-server");
    removeTree(props.dir);
  },
};

// ---------------------------------------------------------------------------------------------
// Sentinel

export interface SentinelInputs {
  region: string;
  dir: string;
  port: number;
  masterPort: number;
  password: string;
  quorum: number;
  downAfterMs: number;
  failoverTimeoutMs: number;
  parallelSyncs: number;
}
export type SentinelOutputs = SentinelInputs & ProcessState & { pidFile: string; logFile: string; masterName: string };

function validateSentinel(i: SentinelInputs): void {
  assertSafePath(i.dir, "dir");
  assertPort(i.port, "port");
  assertPort(i.masterPort, "masterPort");
  assertSecret(i.password, "password");
  assertInt(i.quorum, "quorum", 1, 10);
  assertInt(i.downAfterMs, "downAfterMs", 100, 3_600_000);
  assertInt(i.failoverTimeoutMs, "failoverTimeoutMs", 1000, 86_400_000);
  assertInt(i.parallelSyncs, "parallelSyncs", 1, 16);
}

const SENTINEL_KEYS = ["region", "dir", "port", "masterPort", "password", "quorum", "downAfterMs", "failoverTimeoutMs", "parallelSyncs"] as const;

async function sentinelMasterPort(port: number): Promise<number | undefined> {
  try {
    const addr = await withRedis(REDIS_HOST, port, 1000, (r) => r.call("SENTINEL", "get-master-addr-by-name", SENTINEL_MASTER_NAME));
    return Array.isArray(addr) && addr.length === 2 ? Number(addr[1]) : undefined;
  } catch {
    return undefined;
  }
}

/** Points a running Sentinel at `masterPort` with our settings, at runtime (Sentinel rewrites its own file). */
async function reconfigureSentinel(i: SentinelInputs): Promise<void> {
  const m = SENTINEL_MASTER_NAME;
  const settings = ["SET", m, "auth-pass", i.password, "down-after-milliseconds", String(i.downAfterMs), "failover-timeout", String(i.failoverTimeoutMs), "parallel-syncs", String(i.parallelSyncs), "quorum", String(i.quorum)];
  const monitored = (await sentinelMasterPort(i.port)) === i.masterPort;
  await withRedis(REDIS_HOST, i.port, 2000, async (r) => {
    if (!monitored) {
      await r.call("SENTINEL", "REMOVE", m).catch(() => undefined); // not monitoring it
      await r.call("SENTINEL", "MONITOR", m, REDIS_HOST, String(i.masterPort), String(i.quorum));
    }
    await r.call("SENTINEL", ...settings);
  });
}

/**
 * Sentinel owns its config file once started (myid, epochs, known replicas, failovers), so the
 * file is written from the template only when Sentinel is not running (create, or a dead one whose
 * inputs changed). A running Sentinel whose inputs changed (a failover moved the master) is
 * reconfigured at runtime with SENTINEL REMOVE/MONITOR/SET; only a new port restarts it.
 */
async function ensureSentinel(i: SentinelInputs, olds: SentinelInputs | undefined): Promise<SentinelOutputs> {
  validateSentinel(i);
  makeDaemonDir(i.dir);
  const conf = path.join(i.dir, "sentinel.conf");
  const pidFile = path.join(i.dir, "sentinel.pid");
  const logFile = path.join(i.dir, "sentinel.log");
  const changed = olds === undefined ? [...SENTINEL_KEYS] : changedKeys(olds as unknown as Record<string, unknown>, i as unknown as Record<string, unknown>, SENTINEL_KEYS);
  let before = await redisState(pidFile, i.port, "sentinel");
  if (before.running && changed.includes("port")) {
    await stopPid(before.pid, "sentinel");
    before = { running: false, pid: 0 };
  }
  if (!before.running) {
    if (changed.length > 0 || !fs.existsSync(conf)) daemonWrite(conf, renderSentinelConf(i), 0o600);
    await stopPid(readPidFile(pidFile), "sentinel");
    await runOk("redis-sentinel", "redis-sentinel", [conf], { asDaemon: true, cwd: i.dir, logFile: path.join(i.dir, "start.log"), timeoutMs: 30_000 });
    const ok = await waitFor(async () => (await sentinelMasterPort(i.port)) !== undefined, 15_000);
    if (!ok) throw new Error(`Sentinel of ${i.region} did not answer on port ${i.port}: ${tail(logFile)}`);
  } else if (changed.length > 0) {
    await reconfigureSentinel(i);
  }
  return { ...i, ...(await redisState(pidFile, i.port, "sentinel")), pidFile, logFile, masterName: SENTINEL_MASTER_NAME };
}

export const sentinel: pulumi.dynamic.ResourceProvider = {
  check: checker(validateSentinel),
  async diff(_id: string, olds: SentinelOutputs, news: SentinelInputs) {
    const changed = changedKeys(olds as unknown as Record<string, unknown>, news as unknown as Record<string, unknown>, SENTINEL_KEYS);
    const alive = olds.running && (await redisState(olds.pidFile, news.port, "sentinel")).running;
    return { changes: changed.length > 0 || !alive, replaces: changed.filter((k) => k === "dir"), deleteBeforeReplace: true };
  },
  async create(inputs: SentinelInputs) {
    try {
      return { id: `sentinel:${inputs.dir}`, outs: await ensureSentinel(inputs, undefined) };
    } catch (err) {
      await stopPid(readPidFile(path.join(inputs.dir, "sentinel.pid")), "sentinel").catch(() => undefined);
      discardTree(inputs.dir);
      throw err;
    }
  },
  async read(id: string, props?: SentinelOutputs) {
    if (props === undefined) return { id };
    return { id, props: { ...props, ...(await redisState(props.pidFile, props.port, "sentinel")) } };
  },
  async update(_id: string, olds: SentinelOutputs, news: SentinelInputs) {
    return { outs: await ensureSentinel(news, olds) };
  },
  async delete(_id: string, props: SentinelOutputs) {
    validateSentinel(props);
    await stopPid(readPidFile(path.join(props.dir, "sentinel.pid")), "sentinel");
    removeTree(props.dir);
  },
};

export { checker };
