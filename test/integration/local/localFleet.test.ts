/**
 * The local target end to end, with the real Pulumi engine and real servers on loopback:
 * a primary region (us-east-1), a replica region (eu-west-1) and the global stack (HAProxy).
 *
 * Runs in band, one scenario in steps that share the fleet: up → replication and routing checks
 * → drift (killed processes) → repair → destroy with nothing of ours left. Ports: a random free
 * block in 12000-15999; state: a temp dir (world-traversable, since PostgreSQL runs as `postgres`).
 */
import { execFileSync } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import Redis from "ioredis";
import { Client } from "pg";
import { createAutomationRunner } from "../../../server/engine/automationRunner";
import { findPulumiBinDir, projectDir } from "../../../server/engine/toolchain";
import type { StackOutputs } from "../../../server/engine/stackRunner";
import { globalStackConfigValues, regionStackConfigValues } from "../../../domain/stackConfigEncoding";
import { stackProgram } from "../../../stacks/program";
import { ownPlugins } from "../../../stacks/plugins";
import { fleetOf, globalConfig, pidsUnder, poll, regionConfig, request, type LocalRegionDef } from "./helpers";
import { freePortBlock, portOpen } from "../../support/ports";
import { alive, killAll, processesMentioning } from "../../support/processTree";

jest.setTimeout(300_000);

const APPS = 2;
let stateDir: string;
let localRoot: string;
let runner: ReturnType<typeof createAutomationRunner>;
let base: number;
let us: LocalRegionDef;
let eu: LocalRegionDef;
let glbPort: number;
const seenPids = new Set<number>();
const outputs: Record<string, StackOutputs> = {};
const timings: Record<string, number> = {};

/** One connection to a Redis or Sentinel on loopback for `fn`, closed after it whatever happens. */
async function onRedis<T>(port: number, fn: (r: Redis) => Promise<T>, password?: string): Promise<T> {
  const redis = new Redis({
    host: "127.0.0.1", port, ...(password !== undefined ? { password } : {}),
    lazyConnect: true, enableOfflineQueue: false, maxRetriesPerRequest: 0, retryStrategy: () => null, connectTimeout: 2000, commandTimeout: 2000,
  });
  redis.on("error", () => undefined);
  try {
    await redis.connect();
    return await fn(redis);
  } finally {
    if (redis.status !== "end") redis.disconnect(); // on an ended one, ioredis would wait 2 s for a close that happened
  }
}

function val<T>(stack: string, key: string, _type?: T): T {
  const o = outputs[stack]?.[key];
  if (o === undefined) throw new Error(`no output ${key} on ${stack}`);
  return o.value as T;
}

function requests() {
  const fleet = fleetOf([us, eu], localRoot, glbPort, APPS);
  const usCfg = regionConfig(us, fleet, APPS);
  const euCfg = regionConfig(eu, fleet, APPS);
  const gCfg = globalConfig(fleet);
  return {
    us: { stack: us.name, config: regionStackConfigValues(usCfg) },
    eu: { stack: eu.name, config: regionStackConfigValues(euCfg) },
    global: { stack: "global", config: globalStackConfigValues(gCfg) },
  };
}

function pg(stack: string, user: "monitor" | "postgres" | "aragora_app", database = "aragora"): Client {
  const pw = {
    monitor: "postgresMonitorPassword",
    postgres: "postgresSuperuserPassword",
    aragora_app: "postgresAppPassword",
  }[user];
  return new Client({ host: "127.0.0.1", port: val<number>(stack, "postgresPort"), user, password: val<string>(stack, pw), database, connectionTimeoutMillis: 3000 });
}

async function query<T>(c: Client, sql: string, params: unknown[] = []): Promise<T[]> {
  await c.connect();
  try {
    return (await c.query(sql, params)).rows as T[];
  } finally {
    await c.end();
  }
}

function recordPids(): void {
  for (const pid of pidsUnder(localRoot)) seenPids.add(pid);
}

async function glbRegion(code: string): Promise<string | undefined> {
  const r = await request(glbPort, "GET", "/health", { headers: { "X-Geo-Region": code } });
  return r.status === 200 ? (r.body.region as string) : undefined;
}

beforeAll(async () => {
  stateDir = fs.mkdtempSync(path.join(os.tmpdir(), "aragora-local-"));
  fs.chmodSync(stateDir, 0o755); // as root, the daemons run as the daemon user and must reach their dirs below.
  localRoot = path.join(stateDir, "regions");
  base = await freePortBlock(41);
  us = { name: "us-east-1", primary: true, portBase: base, geo: ["WNAM", "ENAM"], cidr: "10.0.0.0/16" };
  eu = { name: "eu-west-1", primary: false, portBase: base + 20, geo: ["WEU", "EEU"], cidr: "10.1.0.0/16" };
  glbPort = base + 40;
  const bin = findPulumiBinDir();
  runner = createAutomationRunner({ stateDir: path.join(stateDir, "service"), passphrase: "local-target-test", projectDir: projectDir(), program: stackProgram, plugins: ownPlugins(), ...(bin ? { pulumiBinDir: bin } : {}) });
});

afterAll(async () => {
  // Whatever a failed step left behind: destroy in reverse order, then kill by pid.
  const r = requests();
  for (const req of [r.global, r.eu, r.us]) {
    await runner.destroy(req).catch(() => undefined);
  }
  recordPids();
  killAll([...seenPids].filter(alive));
  killAll(processesMentioning(stateDir).map((p) => p.pid));
  fs.rmSync(stateDir, { recursive: true, force: true });
});

describe("the local target with the real engine", () => {
  it("when a primary region, a replica region and the global stack go up, then data replicates, Redis and Sentinel follow the primary and outputs keep secrets secret", async () => {
    const r = requests();
    let t = Date.now();
    const upUs = await runner.up(r.us);
    timings["primary up"] = Date.now() - t;
    outputs[us.name] = upUs.outputs;
    t = Date.now();
    const upEu = await runner.up(r.eu);
    timings["replica up"] = Date.now() - t;
    outputs[eu.name] = upEu.outputs;
    t = Date.now();
    const upGlobal = await runner.up(r.global);
    timings["global up"] = Date.now() - t;
    outputs["global"] = upGlobal.outputs;
    recordPids();
    console.log(`local target timings (ms): ${JSON.stringify(timings)}`);

    // Outputs: ports from the blocks, secrets only as secrets.
    expect(val<number>(us.name, "postgresPort")).toBe(base);
    expect(val<number>(eu.name, "postgresPort")).toBe(base + 20);
    expect(val<number[]>(eu.name, "appPorts")).toEqual([base + 30, base + 31]);
    expect(val<string>(eu.name, "replicationSlot")).toBe("eu_west_1_slot");
    expect(val<string>(eu.name, "role")).toBe("replica");
    for (const stack of [us.name, eu.name]) {
      for (const key of ["postgresSuperuserPassword", "postgresReplicatorPassword", "postgresAppPassword", "postgresMonitorPassword", "redisPassword", "databaseUrl", "databaseUrlPrimary", "redisUrl"]) {
        expect({ key, secret: outputs[stack]?.[key]?.secret }).toEqual({ key, secret: true });
      }
      const plain = JSON.stringify(Object.values(outputs[stack] ?? {}).filter((o) => !o.secret).map((o) => o.value));
      expect(plain).not.toContain(val<string>(us.name, "postgresAppPassword"));
      expect(plain).not.toContain(val<string>(us.name, "redisPassword"));
    }
    // Both regions share the primary's credentials (a standby is a physical copy).
    expect(val<string>(eu.name, "postgresReplicatorPassword")).toBe(val<string>(us.name, "postgresReplicatorPassword"));

    // A row written through the primary's app is readable through the replica's app within a second.
    const [usApp] = val<number[]>(us.name, "appPorts");
    const [euApp] = val<number[]>(eu.name, "appPorts");
    const written = await request(usApp ?? 0, "POST", "/debates", { body: { topic: "Is local real?", body: "yes" } });
    expect(written.status).toBe(201);
    const id = written.body.debate.id as string;
    const t0 = Date.now();
    const read = await poll(async () => {
      const res = await request(euApp ?? 0, "GET", `/debates/${id}`);
      return res.status === 200 ? res : undefined;
    }, 1000, 20);
    const visibleAfterMs = Date.now() - t0;
    expect(read?.body).toMatchObject({ servedBy: "eu-west-1", debate: { topic: "Is local real?", origin_region: "us-east-1" } });
    expect(visibleAfterMs).toBeLessThan(1000);
    // A write through the replica region's app also goes to the primary.
    const viaEu = await request(euApp ?? 0, "POST", "/debates", { body: { topic: "written in eu" } });
    expect(viaEu.status).toBe(201);
    expect(viaEu.body.debate.origin_region).toBe("eu-west-1");

    // The runbook's lag query on the primary: eu-west-1 streams on its slot.
    const lag = await query<{ application_name: string; state: string; lag_bytes: string | null; slot_name: string; active: boolean }>(
      pg(us.name, "monitor", "postgres"),
      `SELECT r.client_addr, r.application_name, r.state,
              pg_wal_lsn_diff(pg_current_wal_lsn(), r.replay_lsn) AS lag_bytes, r.replay_lag,
              s.slot_name, s.active
         FROM pg_stat_replication r JOIN pg_replication_slots s ON s.active_pid = r.pid`,
    );
    expect(lag).toHaveLength(1);
    expect(lag[0]).toMatchObject({ application_name: "eu-west-1", state: "streaming", slot_name: "eu_west_1_slot", active: true });
    const inRecovery = await query<{ r: boolean }>(pg(eu.name, "monitor", "postgres"), "SELECT pg_is_in_recovery() AS r");
    expect(inRecovery[0]?.r).toBe(true);

    // Redis: the replica's link to the primary is up; both Sentinels know the master.
    const redisPw = val<string>(us.name, "redisPassword");
    const info = await onRedis(val<number>(eu.name, "redisPort"), (r) => r.info("replication"), redisPw);
    const repl = Object.fromEntries(info.split(/\r?\n/).filter((l) => /^\w+:/.test(l)).map((l) => [l.slice(0, l.indexOf(":")), l.slice(l.indexOf(":") + 1)]));
    expect(repl).toMatchObject({ role: "slave", master_link_status: "up", master_port: String(base + 1) });
    for (const stack of [us.name, eu.name]) {
      const addr = await onRedis(val<number>(stack, "sentinelPort"), (r) => r.call("SENTINEL", "get-master-addr-by-name", "aragora-redis"));
      expect(addr).toEqual(["127.0.0.1", String(base + 1)]);
    }
    const health = await request(euApp ?? 0, "GET", "/health");
    expect(health.body).toMatchObject({ region: "eu-west-1", primary: false, primaryRegion: "us-east-1", database: { ok: true, inRecovery: true }, redis: { ok: true } });
  });

  it("when a local region is up, then its exported state holds inputs and outputs of aragora-local resources: no serialized code, no checkout path, no plain password", () => {
    const bin = findPulumiBinDir();
    const exported = execFileSync(bin ? path.join(bin, "pulumi") : "pulumi", ["stack", "export", "--stack", eu.name], {
      cwd: path.join(stateDir, "service", "workspaces", eu.name),
      env: { ...process.env, PULUMI_BACKEND_URL: `file://${path.join(stateDir, "service", "backend")}`, PULUMI_CONFIG_PASSPHRASE: "local-target-test", PULUMI_SKIP_UPDATE_CHECK: "true", PULUMI_HOME: path.join(stateDir, "service", "pulumi-home") },
      encoding: "utf8",
    });
    const state = JSON.parse(exported) as { deployment: { resources: { type: string; inputs?: Record<string, unknown> }[] } };
    const types = state.deployment.resources.map((r) => r.type);
    expect(types.filter((t) => t.startsWith("aragora-local:index:")).sort()).toEqual(
      ["AppProcess", "AppProcess", "Dir", "Postgres", "Redis", "ReplicationSlot", "Secret", "Secret", "Secret", "Secret", "Secret", "Sentinel"].map((t) => `aragora-local:index:${t}`),
    );
    const provider = state.deployment.resources.find((r) => r.type === "pulumi:providers:aragora-local");
    expect(provider?.inputs?.["version"]).toBe((JSON.parse(fs.readFileSync(path.join(projectDir(), "package.json"), "utf8")) as { version: string }).version);
    expect(exported).not.toContain("__provider");
    expect(exported).not.toContain("pulumi-nodejs");
    // Pulumi records where in the program each resource was registered (sourcePosition,
    // stackTrace), as URIs relative to the project root (the stack's workspace): debugging
    // metadata of every Pulumi program, never read back. Nothing else names the checkout.
    const positions: string[] = [];
    const withoutPositions = JSON.stringify(state, (key, value: unknown) => {
      if (key === "sourcePosition" && typeof value === "string") positions.push(value);
      return key === "sourcePosition" || key === "stackTrace" ? undefined : value;
    });
    expect(positions.length).toBeGreaterThan(0);
    expect(positions.filter((p) => !p.startsWith("project:///"))).toEqual([]);
    expect(withoutPositions).not.toContain(projectDir());
    const leaves = (v: unknown): string[] => (typeof v === "string" ? [v] : v !== null && typeof v === "object" ? Object.values(v).flatMap(leaves) : []);
    const secrets = Object.values(outputs[eu.name] ?? {}).filter((o) => o.secret).flatMap((o) => leaves(o.value)).filter((v) => v.length >= 16);
    expect(secrets.length).toBeGreaterThan(0);
    for (const secret of secrets) expect(exported).not.toContain(secret);
  });

  it("when requests carry a Cloudflare region code, then HAProxy steers them to that region, and to the primary once the region's apps are down", async () => {
    expect(val<Record<string, string>>("global", "regionPools")).toEqual({ WNAM: "us-east-1", ENAM: "us-east-1", WEU: "eu-west-1", EEU: "eu-west-1" });
    // Health checks need a moment after the first start.
    expect(await poll(async () => ((await glbRegion("WEU")) === "eu-west-1" ? true : undefined), 10_000, 200)).toBe(true);
    expect(await glbRegion("WNAM")).toBe("us-east-1");
    expect(await glbRegion("EEU")).toBe("eu-west-1");
    expect(await glbRegion("SEAS")).toBe("us-east-1"); // unmapped code: fallback pool
    const none = await request(glbPort, "GET", "/health");
    expect(none.body.region).toBe("us-east-1");

    // Stop eu-west-1's app processes: WEU traffic falls back to the primary.
    const appPids = val<{ apps: string[] }>(eu.name, "pidFiles").apps.map((f) => Number(fs.readFileSync(f, "utf8").trim()));
    for (const pid of appPids) process.kill(pid, "SIGTERM");
    const t0 = Date.now();
    expect(await poll(async () => ((await glbRegion("WEU")) === "us-east-1" ? true : undefined), 10_000, 100)).toBe(true);
    timings["WEU fallback after apps stopped"] = Date.now() - t0;

    // A refresh of eu-west-1 reports both app processes as drift; up restarts them and WEU returns.
    const refreshed = await runner.refresh(requests().eu);
    const drifted = refreshed.changes.map((c) => c.urn.split("::").pop());
    expect(drifted).toEqual(expect.arrayContaining(["eu-west-1-app-0", "eu-west-1-app-1"]));
    const repaired = await runner.up(requests().eu);
    expect(repaired.summary["update"]).toBe(2);
    recordPids();
    expect(await poll(async () => ((await glbRegion("WEU")) === "eu-west-1" ? true : undefined), 10_000, 200)).toBe(true);
  });

  it("when the replica's PostgreSQL is killed, then refresh reports the drift and up restarts it on its data, streaming again", async () => {
    const pidFile = val<{ postgres: string }>(eu.name, "pidFiles").postgres;
    const pid = Number(fs.readFileSync(pidFile, "utf8").split("\n")[0]);
    process.kill(pid, "SIGKILL");
    await poll(async () => (!(await portOpen(base + 20)) ? true : undefined), 5000);

    const refreshed = await runner.refresh(requests().eu);
    expect(refreshed.changes.map((c) => c.urn.split("::").pop())).toContain("eu-west-1-postgres");

    const t0 = Date.now();
    const repaired = await runner.up(requests().eu);
    timings["replica postgres repair up"] = Date.now() - t0;
    expect(repaired.summary["update"]).toBeGreaterThanOrEqual(1);
    recordPids();
    // Same data (the rows written before the crash), streaming again on its slot.
    const rows = await query<{ n: string }>(pg(eu.name, "aragora_app"), "SELECT count(*) AS n FROM debates");
    expect(Number(rows[0]?.n)).toBe(2);
    const [usApp] = val<number[]>(us.name, "appPorts");
    const [euApp] = val<number[]>(eu.name, "appPorts");
    const w = await request(usApp ?? 0, "POST", "/debates", { body: { topic: "after repair" } });
    const seen = await poll(async () => ((await request(euApp ?? 0, "GET", `/debates/${String(w.body.debate.id)}`)).status === 200 ? true : undefined), 3000, 20);
    expect(seen).toBe(true);
    const lag = await query<{ state: string }>(pg(us.name, "monitor", "postgres"), "SELECT state FROM pg_stat_replication WHERE application_name = 'eu-west-1'");
    expect(lag[0]?.state).toBe("streaming");

    // A second up with nothing dead changes nothing.
    const again = await runner.up(requests().eu);
    expect(again.summary["update"] ?? 0).toBe(0);
  });

  it("when everything is destroyed, then no process, port, slot or data dir of ours is left", async () => {
    recordPids();
    const r = requests();
    await runner.destroy(r.global);
    await runner.destroy(r.eu);
    // The replica's slot is gone from the primary before the primary goes.
    const slots = await query<{ slot_name: string }>(pg(us.name, "postgres", "postgres"), "SELECT slot_name FROM pg_replication_slots");
    expect(slots).toEqual([]);
    await runner.destroy(r.us);

    const leftovers = [...seenPids].filter(alive);
    expect(leftovers).toEqual([]);
    // The runner's own provider server lives until the runner closes, like a service's.
    expect(runner.providerPids().length).toBeGreaterThan(0);
    const servers = runner.providerPids();
    await runner.close();
    expect(await poll(() => Promise.resolve(servers.some(alive) ? undefined : true), 10_000)).toBe(true);
    const open: number[] = [];
    for (let p = base; p <= base + 40; p++) if (await portOpen(p)) open.push(p);
    expect(open).toEqual([]);
    expect(processesMentioning(stateDir)).toEqual([]);
    expect(fs.existsSync(localRoot)).toBe(false);
    expect(await runner.listStacks()).toEqual([]);
    console.log(`local target timings (ms): ${JSON.stringify(timings)}`);
  });
});
