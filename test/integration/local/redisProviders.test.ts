/**
 * The local target's Redis and Sentinel providers (components/local/impl/redis.ts) on their own,
 * without the engine: real redis-server and redis-sentinel daemons on loopback, driven through the
 * providers' create, update and delete, and checked over ioredis. What the providers say to Redis
 * and Sentinel (they use ioredis, one short-lived connection per exchange): PING until a server
 * answers, INFO until a replica's link is up, REPLICAOF at runtime when a failover moves the master,
 * SENTINEL REMOVE/MONITOR/SET when a running Sentinel must follow it. Nothing of those
 * connections may stay open.
 */
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import Redis from "ioredis";
import {
  redisServer,
  sentinel,
  type RedisServerInputs,
  type RedisServerOutputs,
  type SentinelInputs,
  type SentinelOutputs,
} from "../../../components/local/impl/redis";
import { freePortBlock, portOpen } from "../../support/ports";
import { alive } from "../../support/processTree";

jest.setTimeout(120_000);

const PASSWORD = "redis-providers-test-pw-1";
let root: string;
let base: number;
let before: { sockets: number; timers: number };
const live: { kind: "redis" | "sentinel"; outs: RedisServerOutputs | SentinelOutputs }[] = [];

/** Sockets and timers this process holds open. */
const handles = (): { sockets: number; timers: number } => {
  const info = process.getActiveResourcesInfo();
  return { sockets: info.filter((r) => r === "TCPSocketWrap").length, timers: info.filter((r) => r === "Timeout").length };
};

function must<F>(f: F | undefined, what: string): F {
  if (f === undefined) throw new Error(`the provider has no ${what}`);
  return f;
}

/** One connection for `fn`, closed after it. */
async function onRedis<T>(port: number, fn: (r: Redis) => Promise<T>, password?: string): Promise<T> {
  const redis = new Redis({
    host: "127.0.0.1", port, ...(password !== undefined ? { password } : {}),
    lazyConnect: true, enableOfflineQueue: false, maxRetriesPerRequest: 0, retryStrategy: () => null, connectTimeout: 2000, commandTimeout: 2000,
  });
  let why: unknown;
  redis.on("error", (err: unknown) => { why = err; });
  try {
    await redis.connect().catch((err: unknown) => { throw why ?? err; });
    return await fn(redis);
  } finally {
    if (redis.status !== "end") redis.disconnect(); // on an ended one, ioredis would wait 2 s for a close that happened
  }
}

async function replication(port: number): Promise<Record<string, string>> {
  const info = await onRedis(port, (r) => r.info("replication"), PASSWORD);
  return Object.fromEntries(info.split(/\r?\n/).filter((l) => /^\w+:/.test(l)).map((l) => [l.slice(0, l.indexOf(":")), l.slice(l.indexOf(":") + 1)]));
}

async function poll<T>(fn: () => Promise<T | undefined>, timeoutMs: number): Promise<T | undefined> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = await fn().catch(() => undefined);
    if (v !== undefined || Date.now() > deadline) return v;
    await new Promise((r) => setTimeout(r, 100));
  }
}

const redisInputs = (region: string, port: number, replicaOfPort?: number): RedisServerInputs => ({
  region, dir: path.join(root, region, "redis"), port, password: PASSWORD, ...(replicaOfPort !== undefined ? { replicaOfPort } : {}), replTimeoutSec: 60, replPingReplicaPeriodSec: 10,
});
const sentinelInputs = (region: string, port: number, masterPort: number): SentinelInputs => ({
  region, dir: path.join(root, region, "sentinel"), port, masterPort, password: PASSWORD, quorum: 1, downAfterMs: 30_000, failoverTimeoutMs: 60_000, parallelSyncs: 1,
});

const masterOf = (sentinelPort: number) => onRedis(sentinelPort, (r) => r.call("SENTINEL", "get-master-addr-by-name", "aragora-redis"));

beforeAll(async () => {
  before = handles();
  root = fs.mkdtempSync(path.join(os.tmpdir(), "aragora-redis-providers-"));
  fs.chmodSync(root, 0o755); // as root, the daemons run as the daemon user and must reach their dirs below.
  base = await freePortBlock(10);
});

afterAll(async () => {
  for (const { kind, outs } of live.reverse()) await must((kind === "redis" ? redisServer : sentinel).delete, "delete")("x", outs).catch(() => undefined);
  fs.rmSync(root, { recursive: true, force: true });
});

describe("the local Redis and Sentinel providers", () => {
  let primary: RedisServerOutputs;
  let replica: RedisServerOutputs;
  let sentinels: SentinelOutputs[] = [];

  test("when a primary and a replica Redis are created, then both answer, and the replica's link to the primary is up", async () => {
    primary = (await redisServer.create(redisInputs("us-east-1", base + 1))).outs as RedisServerOutputs;
    live.push({ kind: "redis", outs: primary });
    replica = (await redisServer.create(redisInputs("eu-west-1", base + 2, base + 1))).outs as RedisServerOutputs;
    live.push({ kind: "redis", outs: replica });
    expect(primary).toMatchObject({ running: true, port: base + 1 });
    expect(replica).toMatchObject({ running: true, port: base + 2, replicaOfPort: base + 1 });
    expect(alive(primary.pid) && alive(replica.pid)).toBe(true);
    expect(await replication(base + 1)).toMatchObject({ role: "master", connected_slaves: "1" });
    expect(await replication(base + 2)).toMatchObject({ role: "slave", master_port: String(base + 1), master_link_status: "up" });
    // Without the password, Redis refuses: the providers did log in.
    await expect(onRedis(base + 1, (r) => r.ping())).rejects.toThrow(/^NOAUTH /);
  });

  test("when Sentinels are created for the primary, then each names it as the master", async () => {
    for (const [region, port] of [["us-east-1", base + 3], ["eu-west-1", base + 4]] as const) {
      const outs = (await sentinel.create(sentinelInputs(region, port, base + 1))).outs as SentinelOutputs;
      live.push({ kind: "sentinel", outs });
      sentinels.push(outs);
      expect(outs).toMatchObject({ running: true, masterName: "aragora-redis" });
      expect(await masterOf(port)).toEqual(["127.0.0.1", String(base + 1)]);
    }
  });

  test("when a failover moves the master, then the Redis servers are re-pointed at runtime, without a restart", async () => {
    const update = must(redisServer.update, "update");
    const promoted = (await update("x", replica, redisInputs("eu-west-1", base + 2))).outs as RedisServerOutputs;
    const demoted = (await update("x", primary, redisInputs("us-east-1", base + 1, base + 2))).outs as RedisServerOutputs;
    expect({ promoted: promoted.pid, demoted: demoted.pid }).toEqual({ promoted: replica.pid, demoted: primary.pid });
    expect(await replication(base + 2)).toMatchObject({ role: "master" });
    expect(await poll(async () => ((await replication(base + 1))["master_link_status"] === "up" ? true : undefined), 15_000)).toBe(true);
    expect(await replication(base + 1)).toMatchObject({ role: "slave", master_port: String(base + 2) });
    replica = promoted;
    primary = demoted;
  });

  test("when a running Sentinel's master moves, then it is reconfigured at runtime (REMOVE, MONITOR, SET) and keeps its process", async () => {
    const update = must(sentinel.update, "update");
    const moved: SentinelOutputs[] = [];
    for (const old of sentinels) {
      const outs = (await update("x", old, sentinelInputs(old.region, old.port, base + 2))).outs as SentinelOutputs;
      expect(outs.pid).toBe(old.pid);
      expect(await masterOf(old.port)).toEqual(["127.0.0.1", String(base + 2)]);
      const settings = await onRedis(old.port, (r) => r.call("SENTINEL", "MASTER", "aragora-redis")) as string[];
      const field = (k: string) => settings[settings.indexOf(k) + 1];
      expect({ quorum: field("quorum"), down: field("down-after-milliseconds"), failover: field("failover-timeout"), syncs: field("parallel-syncs") })
        .toEqual({ quorum: "1", down: "30000", failover: "60000", syncs: "1" });
      moved.push(outs);
    }
    sentinels = moved;
  });

  test("when nothing changed, then diff sees no change; when they are deleted, then their processes and directories are gone and no connection or timer is left open", async () => {
    const diff = must(redisServer.diff, "diff");
    expect(await diff("x", replica, redisInputs("eu-west-1", base + 2))).toMatchObject({ changes: false });
    const del = { redis: must(redisServer.delete, "delete"), sentinel: must(sentinel.delete, "delete") };
    for (const { kind, outs } of live.splice(0).reverse()) {
      await del[kind]("x", outs);
      expect(alive(outs.pid)).toBe(false);
      expect(await portOpen(outs.port)).toBe(false);
      expect(fs.existsSync(outs.dir)).toBe(false);
    }
    await new Promise((r) => setTimeout(r, 200));
    const now = handles();
    expect(now.sockets).toBeLessThanOrEqual(before.sockets);
    expect(now.timers).toBeLessThanOrEqual(before.timers);
  });
});
