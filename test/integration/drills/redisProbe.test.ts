/**
 * The drills' Redis side (server/drills/redisProbe.ts) against real Redis and Sentinel daemons on
 * loopback (started through the local target's providers, without the engine): the replication
 * status a region view shows, and the failover coordinated with Sentinel, including regions that
 * do not answer. The drills talk to Redis over ioredis, one short-lived connection per exchange:
 * nothing of those connections may stay open, and no error may carry the password.
 */
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { redisServer, sentinel, type RedisServerInputs, type SentinelInputs } from "../../../components/local/impl/redis";
import { Secret, type LocalEndpoint } from "../../../server/drills/endpoints";
import { failoverRedis, redisLink } from "../../../server/drills/redisProbe";
import { freePortBlock } from "../../support/ports";

jest.setTimeout(120_000);

const PASSWORD = "redis-probe-test-pw-0001";
const SETTINGS = { quorum: 1, downAfterMs: 30_000, failoverTimeoutMs: 60_000, parallelSyncs: 1 };
let root: string;
let base: number;
let before: { sockets: number; timers: number };
const started: { kind: "redis" | "sentinel"; outs: unknown }[] = [];

/** Sockets and timers this process holds open. */
const handles = (): { sockets: number; timers: number } => {
  const info = process.getActiveResourcesInfo();
  return { sockets: info.filter((r) => r === "TCPSocketWrap").length, timers: info.filter((r) => r === "Timeout").length };
};

function endpoint(region: string, redisPort: number, sentinelPort: number, password = PASSWORD): LocalEndpoint {
  const s = new Secret(password);
  return {
    region, role: "replica", primaryRegion: "us-east-1", host: "127.0.0.1",
    postgresPort: 0, redisPort, sentinelPort, sentinelMasterName: "aragora-redis", appPorts: [], replicationSlot: "",
    pidFiles: { postgres: "", redis: "", sentinel: "", apps: [] },
    superuser: "postgres", monitorUser: "monitor", appUser: "aragora_app", database: "aragora",
    secrets: { superuser: s, monitor: s, app: s, redis: s },
  };
}

let us: LocalEndpoint;
let eu: LocalEndpoint;
/** Nothing listens on its ports. */
let gone: LocalEndpoint;

beforeAll(async () => {
  before = handles();
  root = fs.mkdtempSync(path.join(os.tmpdir(), "aragora-redis-probe-"));
  fs.chmodSync(root, 0o755); // as root, the daemons run as the daemon user and must reach their dirs below.
  base = await freePortBlock(10);
  const redisIn = (region: string, port: number, replicaOfPort?: number): RedisServerInputs => ({
    region, dir: path.join(root, region, "redis"), port, password: PASSWORD, ...(replicaOfPort !== undefined ? { replicaOfPort } : {}), replTimeoutSec: 60, replPingReplicaPeriodSec: 10,
  });
  const sentinelIn = (region: string, port: number): SentinelInputs => ({ region, dir: path.join(root, region, "sentinel"), port, masterPort: base + 1, password: PASSWORD, ...SETTINGS });
  started.push({ kind: "redis", outs: (await redisServer.create(redisIn("us-east-1", base + 1))).outs });
  started.push({ kind: "redis", outs: (await redisServer.create(redisIn("eu-west-1", base + 2, base + 1))).outs });
  started.push({ kind: "sentinel", outs: (await sentinel.create(sentinelIn("us-east-1", base + 3))).outs });
  started.push({ kind: "sentinel", outs: (await sentinel.create(sentinelIn("eu-west-1", base + 4))).outs });
  us = endpoint("us-east-1", base + 1, base + 3);
  eu = endpoint("eu-west-1", base + 2, base + 4);
  gone = endpoint("ap-south-1", base + 5, base + 6);
});

afterAll(async () => {
  for (const { kind, outs } of started.reverse()) await (kind === "redis" ? redisServer : sentinel).delete?.("x", outs).catch(() => undefined);
  fs.rmSync(root, { recursive: true, force: true });
});

describe("the drills' Redis probe", () => {
  test("when a replica region is read, then its role, link, master and its Sentinel's master are reported", async () => {
    expect(await redisLink(eu)).toEqual({ reachable: true, role: "replica", masterLinkStatus: "up", masterPort: base + 1, masterLastIoSecondsAgo: expect.any(Number), connectedReplicas: 0, sentinelMasterPort: base + 1 });
    expect(await redisLink(us)).toEqual({ reachable: true, role: "master", connectedReplicas: 1, sentinelMasterPort: base + 1 });
  });

  test("when a region does not answer, or its password is wrong, then it is unreachable with a reason that carries no password, within the probe's bound", async () => {
    const t0 = Date.now();
    const down = await redisLink(gone);
    expect(Date.now() - t0).toBeLessThan(3000);
    expect(down).toEqual({ reachable: false, error: `redis on port ${base + 5}: connect ECONNREFUSED 127.0.0.1:${base + 5}` });
    const wrong = await redisLink(endpoint("eu-west-1", base + 2, base + 4, "not-the-password-0000"));
    expect(wrong).toMatchObject({ reachable: false, error: expect.stringMatching(new RegExp(`^redis on port ${base + 2}: WRONGPASS`)), sentinelMasterPort: base + 1 });
    expect(JSON.stringify(wrong)).not.toContain("not-the-password-0000");
  });

  test("when eu-west-1 is failed over to, then every Sentinel forgets and re-monitors, its Redis is promoted, the rest follow it, and a dead region is reported", async () => {
    const report = await failoverRedis(eu, [us, eu, gone], () => SETTINGS);
    expect(report.lines).toEqual([
      `sentinel of ap-south-1: not reachable (redis on port ${base + 6}: connect ECONNREFUSED 127.0.0.1:${base + 6}); it will be reconfigured by its region's up`,
      "sentinels of us-east-1, eu-west-1 stopped monitoring aragora-redis",
      `redis of eu-west-1 (port ${base + 2}): REPLICAOF NO ONE`,
      `redis of us-east-1: REPLICAOF 127.0.0.1 ${base + 2}`,
      `redis of ap-south-1: not reachable (redis on port ${base + 5}: connect ECONNREFUSED 127.0.0.1:${base + 5}); its region's up makes it a replica of eu-west-1`,
      `sentinel of us-east-1 monitors aragora-redis at 127.0.0.1:${base + 2} (quorum 1)`,
      `sentinel of eu-west-1 monitors aragora-redis at 127.0.0.1:${base + 2} (quorum 1)`,
    ]);
    expect(report.lines.join("\n")).not.toContain(PASSWORD);
    expect(await redisLink(eu)).toMatchObject({ reachable: true, role: "master", sentinelMasterPort: base + 2 });
    const deadline = Date.now() + 15_000;
    while ((await redisLink(us)).masterLinkStatus !== "up" && Date.now() < deadline) await new Promise((r) => setTimeout(r, 100));
    expect(await redisLink(us)).toMatchObject({ reachable: true, role: "replica", masterLinkStatus: "up", masterPort: base + 2, sentinelMasterPort: base + 2 });
  });

  test("when it is done, then no connection or timer of the probe is left open", async () => {
    await new Promise((r) => setTimeout(r, 200));
    const now = handles();
    expect(now.sockets).toBeLessThanOrEqual(before.sockets);
    expect(now.timers).toBeLessThanOrEqual(before.timers);
  });
});
