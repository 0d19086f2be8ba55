/**
 * The drills end to end through the API, on the local target with the real engine: three regions
 * (us-east-1 primary, eu-west-1, ap-south-1) and the global load balancer.
 *
 * One scenario in steps that share the fleet: validate a healthy fleet → kill the primary's
 * PostgreSQL and Redis under continuous writes and fail over to eu-west-1 (recovery time and data
 * loss measured and printed) → refuse a failover to a lagging region, then force it → refresh
 * reports drift per stack → validate names a detached region that took its own write; then every
 * process is killed by pid and nothing of ours is left. Ports: a free block in 27401-29999; state:
 * a temp dir.
 */
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import Database from "better-sqlite3";
import type { StackOutputs } from "../../../server/engine/stackRunner";
import { freePortBlock, portOpen } from "../../support/ports";
import { alive, descendants, killAll, killTree, processesMentioning, waitGone } from "../../support/processTree";
import { hits, secretStrings } from "../../support/secrets";
import { pidsUnder, poll } from "../local/helpers";
import { ADMIN_TOKEN, DRILL_PASSPHRASE, Writer, httpCall, pgQuery, pidOf, seedFleet, startDrillService, type DrillService } from "./drillHelpers";

jest.setTimeout(300_000);

const US = "us-east-1";
const EU = "eu-west-1";
const AP = "ap-south-1";
let stateDir: string;
let localRoot: string;
let base: number;
let glbPort: number;
let svc: DrillService | undefined;
const seenPids = new Set<number>();
const figures: Record<string, unknown> = {};

function s(): DrillService {
  if (!svc) throw new Error("service not started");
  return svc;
}

function spec(name: string, primary: boolean, portBase: number) {
  return {
    name,
    provider: "local",
    primary,
    postgres: { walKeepSize: "64MB" },
    redis: { sentinel: { quorum: 1, downAfterMs: 2000, failoverTimeoutMs: 10000, parallelSyncs: 1 } },
    app: { replicas: 1 },
    local: { portBase },
  };
}

async function out(stack: string): Promise<StackOutputs> {
  return s().outputs(stack);
}

function recordPids(): void {
  for (const pid of pidsUnder(localRoot)) for (const p of [pid, ...descendants(pid).map((d) => d.pid)]) seenPids.add(p);
}

async function submit(method: string, urlPath: string, body?: unknown): Promise<any> {
  const r = await s().api(method, urlPath, body);
  expect({ status: r.status, body: r.status === 202 ? "accepted" : r.body }).toEqual({ status: 202, body: "accepted" });
  return s().waitOperation(r.body.operation.id as string);
}

async function events(opId: string): Promise<{ kind: string; message: string }[]> {
  // The SSE stream replays stored events and ends with the finished operation.
  return (await s().events(opId)).flatMap((e) => (e.data?.kind !== undefined && e.data?.message !== undefined ? [{ kind: String(e.data.kind), message: String(e.data.message) }] : []));
}

async function inRecovery(stack: string): Promise<boolean> {
  const rows = await pgQuery<{ r: boolean }>(await out(stack), "monitor", "SELECT pg_is_in_recovery() AS r", [], "postgres");
  return rows[0]?.r === true;
}

async function streamingFrom(primary: string): Promise<Record<string, string>> {
  const rows = await pgQuery<{ application_name: string; state: string }>(await out(primary), "monitor", "SELECT application_name, state FROM pg_stat_replication ORDER BY 1", [], "postgres");
  return Object.fromEntries(rows.map((r) => [r.application_name, r.state]));
}

/**
 * Polls until both standbys stream from `primary`. On timeout it returns what each standby says
 * (walreceiver status and the end of its server log) so the failed assertion shows why.
 */
async function standbysStream(primary: string, standbys: string[], timeoutMs: number): Promise<Record<string, string> | { notStreaming: Record<string, string>; standbys: Record<string, unknown> }> {
  const ok = await poll(async () => {
    const st = await streamingFrom(primary);
    return standbys.every((r) => st[r] === "streaming") ? st : undefined;
  }, timeoutMs, 200);
  if (ok) return ok;
  const report: Record<string, unknown> = {};
  for (const r of standbys) {
    const o = await out(r);
    const receiver = await pgQuery(o, "monitor", "SELECT status, sender_port, received_tli, flushed_lsn::text FROM pg_stat_wal_receiver", [], "postgres").catch((e: unknown) => String(e));
    const logFile = o["postgresLogFile"]?.value as string;
    report[r] = { receiver, log: fs.existsSync(logFile) ? fs.readFileSync(logFile, "utf8").slice(-1500) : "(no log)" };
  }
  return { notStreaming: await streamingFrom(primary), standbys: report };
}

beforeAll(async () => {
  stateDir = fs.mkdtempSync(path.join(os.tmpdir(), "aragora-drill-"));
  fs.chmodSync(stateDir, 0o755); // PostgreSQL runs as `postgres` and must reach its data dir below.
  localRoot = path.join(stateDir, "regions");
  base = await freePortBlock(61, 27401, 29999); // above the benchmark's 22000-27400
  glbPort = base + 60;
  svc = await startDrillService(stateDir, { portRange: `${base}-${base + 59}`, glbPort, localRoot, cutoffAgeSeconds: 2 });
});

afterAll(async () => {
  // Teardown by pid: the engine's destroy path is covered by test/integration/local; here the
  // fleet (its processes, ports, data dirs and Pulumi state) all live under the temp dir.
  if (svc) await svc.service.stop();
  recordPids();
  killAll([...seenPids].filter(alive));
  killAll(processesMentioning(stateDir).map((p) => p.pid));
  await waitGone([...seenPids], 10_000);
  const open: number[] = [];
  for (let p = base; p <= base + 60; p++) if (await portOpen(p)) open.push(p);
  fs.rmSync(stateDir, { recursive: true, force: true });
  console.log(`drill figures: ${JSON.stringify(figures, null, 2)}`);
  expect({ open, processes: processesMentioning(stateDir), left: [...seenPids].filter(alive), stateDir: fs.existsSync(stateDir) }).toEqual({ open: [], processes: [], left: [], stateDir: false });
});

describe("drills as API operations on the local target", () => {
  it("when three regions are applied, then they replicate, validate says consistent, and the region view shows replication status", async () => {
    const names = await seedFleet(s(), [spec(US, true, base), spec(EU, false, base + 20), spec(AP, false, base + 40)], {
      portRange: { start: base, end: base + 59 },
      glbPort,
      localRoot,
    });
    expect(names).toEqual([US, EU, AP]);
    const t0 = Date.now();
    const applied = await submit("POST", "/fleet/reconcile");
    figures["fleetUpMs"] = Date.now() - t0;
    expect({ status: applied.status, error: applied.error }).toEqual({ status: "succeeded", error: undefined });
    expect(applied.steps.map((x: { id: string }) => x.id)).toEqual([`up:${US}`, `up:${EU}`, `up:${AP}`, "up:global"]);
    recordPids();
    const glb = await s().outputs("global");
    expect(glb["fallbackRegion"]?.value).toBe(US);
    expect(await streamingFrom(US)).toEqual({ [AP]: "streaming", [EU]: "streaming" });

    // A few writes through the app, then the runbook's check over the API.
    const [usApp] = (await out(US))["appPorts"]?.value as number[];
    for (let i = 0; i < 5; i++) expect((await httpCall(usApp ?? 0, "POST", "/debates", {}, { topic: `seed ${i}` })).status).toBe(201);
    await new Promise((r) => setTimeout(r, 2500)); // past the 2 s cutoff
    const v = await submit("POST", "/fleet/validate");
    expect(v.status).toBe("succeeded");
    const step = v.steps.find((x: { id: string }) => x.id === "validate:fleet");
    expect(step.summary).toEqual({ regions: 3, consistent: 3, rows: 5 });
    expect(step.note).toMatch(/^consistent: all 3 regions agree on debates created before \S+\. us-east-1 \(primary\): 5 rows before the cutoff \(5 in all\), md5 [0-9a-f]{32}; eu-west-1: 5 rows/);
    const md5 = /md5 ([0-9a-f]{32})/.exec(step.note as string)?.[1];
    expect((step.note as string).split(`md5 ${md5 ?? "?"}`)).toHaveLength(4);

    const view = await s().api("GET", `/regions/${EU}`);
    expect(view.status).toBe(200);
    expect(view.body.replication).toMatchObject({
      region: EU,
      role: "replica",
      postgres: { reachable: true, role: "standby", state: "streaming", receiverStatus: "streaming", upstreamPort: base, slotName: "eu_west_1_slot", lagBytes: 0 },
      redis: { reachable: true, role: "replica", masterLinkStatus: "up", masterPort: base + 1, sentinelMasterPort: base + 1 },
    });
    expect(typeof view.body.replication.postgres.lagSeconds).toBe("number");
    expect(JSON.stringify(view.body)).not.toContain(String((await out(US))["postgresAppPassword"]?.value));
    const metrics = await s().api("GET", "/metrics");
    expect(metrics.body).toMatch(new RegExp(`pg_replication_lag_seconds\\{region="${EU}"\\} [0-9.e-]+`));
  });

  it("when the primary's PostgreSQL and Redis are killed under continuous writes, then a failover to eu-west-1 completes, writes resume and ap-south-1 and the old primary stream from eu-west-1", async () => {
    const usOut = await out(US);
    const pidFiles = usOut["pidFiles"]?.value as { postgres: string; redis: string };
    const writer = new Writer(glbPort, "WEU");
    writer.start();
    expect(await poll(() => Promise.resolve(writer.acked().length >= 30 ? true : undefined), 20_000, 50)).toBe(true);

    const postmaster = pidOf(pidFiles.postgres);
    const pgPids = [postmaster, ...descendants(postmaster).map((d) => d.pid)];
    const redisPid = pidOf(pidFiles.redis);
    const killAt = Date.now();
    killTree(postmaster);
    killTree(redisPid);
    expect(await waitGone([...pgPids, redisPid])).toBe(true);
    // Let the writer see the outage (its writes now fail: the primary is gone).
    expect(await poll(() => Promise.resolve(writer.records.some((r) => r.sentAt > killAt && r.status !== 201) ? true : undefined), 10_000, 20)).toBe(true);

    const requestAt = Date.now();
    const accepted = await s().api("POST", "/failover", { to: EU });
    expect(accepted.status).toBe(202);
    const firstWrite = await poll(() => Promise.resolve(writer.acked().find((r) => r.sentAt >= requestAt)), 120_000, 20);
    const op = await s().waitOperation(accepted.body.operation.id as string);
    const doneAt = Date.now();
    await new Promise((r) => setTimeout(r, 500));
    await writer.stop();
    recordPids();
    expect({ status: op.status, error: op.error }).toEqual({ status: "succeeded", error: undefined });
    expect(op.steps.map((x: { id: string; status: string }) => `${x.id} ${x.status}`).sort()).toEqual(
      [`promote:${EU} succeeded`, `up:${US} succeeded`, `up:${AP} succeeded`, "up:global succeeded"].sort(),
    );
    expect(firstWrite).toBeDefined();

    // The operation log has the LSNs it saw and the promotion.
    const log = await events(op.id as string);
    const positions = log.find((e) => e.kind === "failover.positions")?.message ?? "";
    expect(positions).toMatch(new RegExp(`${US}: unreachable .*; ${EU}: standby, pg_last_wal_receive_lsn [0-9A-F]+/[0-9A-F]+`));
    expect(positions).toMatch(new RegExp(`${AP}: standby, pg_last_wal_receive_lsn [0-9A-F]+/[0-9A-F]+`));
    expect(log.some((e) => e.kind === "failover.promoted" && e.message.includes(`promoted ${EU}'s PostgreSQL`) && e.message.includes("timeline 2"))).toBe(true);
    expect(log.some((e) => e.kind === "failover.redis" && e.message.startsWith(`redis of ${EU} (port ${base + 21}): REPLICAOF NO ONE`))).toBe(true);

    // eu-west-1 is the primary; ap-south-1 and the old primary stream from it.
    expect(await inRecovery(EU)).toBe(false);
    expect(await inRecovery(AP)).toBe(true);
    expect(await inRecovery(US)).toBe(true);
    expect(await standbysStream(EU, [AP, US], 15_000)).toEqual({ [AP]: "streaming", [US]: "streaming" });
    const euOut = await out(EU);
    expect({ role: euOut["role"]?.value, primaryRegion: (await out(AP))["primaryRegion"]?.value }).toEqual({ role: "primary", primaryRegion: EU });
    // Redis: eu-west-1 is the master every Sentinel names; ap-south-1 replicates from it.
    const ap = await s().api("GET", `/regions/${AP}`);
    expect(ap.body.replication).toMatchObject({
      role: "replica",
      postgres: { role: "standby", state: "streaming", upstreamPort: base + 20, slotName: "ap_south_1_slot" },
      redis: { role: "replica", masterLinkStatus: "up", masterPort: base + 21, sentinelMasterPort: base + 21 },
    });
    // The stored fleet and the GLB name the new primary.
    const regions = (await s().api("GET", "/regions")).body.regions as { name: string; primary: boolean }[];
    expect(regions.filter((r) => r.primary).map((r) => r.name)).toEqual([EU]);
    expect((await s().outputs("global"))["fallbackRegion"]?.value).toBe(EU);
    expect(await poll(async () => {
      const h = await httpCall(glbPort, "GET", "/health", {});
      return h.status === 200 && h.body.region === EU ? true : undefined;
    }, 10_000, 200)).toBe(true);
    const appHealth = await httpCall((euOut["appPorts"]?.value as number[])[0] ?? 0, "GET", "/health", {});
    expect(appHealth.body).toMatchObject({ region: EU, primary: true, primaryRegion: EU, database: { ok: true, inRecovery: false } });

    // Writes acknowledged before the kill that the new primary does not have.
    const ackedBefore = writer.acked().filter((r) => r.ackAt <= killAt).map((r) => r.id ?? 0);
    const found = await pgQuery<{ id: string }>(euOut, "aragora_app", "SELECT id FROM debates WHERE id = ANY($1::bigint[])", [ackedBefore]);
    const lost = ackedBefore.filter((id) => !found.some((f) => Number(f.id) === id));
    const after = writer.acked().filter((r) => r.sentAt >= requestAt);
    figures["failover"] = {
      writesAckedBeforeKill: ackedBefore.length,
      writesLost: lost.length,
      lostIds: lost,
      recoveryMsFromFailoverRequestToFirstWrite: (firstWrite?.ackAt ?? 0) - requestAt,
      outageMsFromKillToFirstWrite: (firstWrite?.ackAt ?? 0) - killAt,
      failoverOperationMs: doneAt - requestAt,
      stepMs: Object.fromEntries(op.steps.map((x: { id: string; durationMs: number }) => [x.id, x.durationMs])),
      writesAckedAfterRequest: after.length,
      firstWriteServedBy: firstWrite?.servedBy,
    };
    console.log(`failover drill: ${JSON.stringify(figures["failover"])}`);
    expect(after.length).toBeGreaterThan(0);
    expect(after.every((r) => r.servedBy === EU)).toBe(true);
    expect(lost).toEqual([]);

    await new Promise((r) => setTimeout(r, 2500));
    const v = await submit("POST", "/fleet/validate");
    expect({ status: v.status, error: v.error }).toEqual({ status: "succeeded", error: undefined });
    expect(v.steps[0].note).toMatch(/^consistent: all 3 regions agree/);
  });

  it("when the target lags behind the primary, then the failover is refused with its LSN, and force overrides it", async () => {
    // Detach ap-south-1 from replication (no upstream), then write through the primary: ap-south-1 falls behind.
    const apOut = await out(AP);
    await pgQuery(apOut, "postgres", "ALTER SYSTEM SET primary_conninfo = ''", [], "postgres");
    await pgQuery(apOut, "postgres", "SELECT pg_reload_conf()", [], "postgres");
    expect(await poll(async () => ((await streamingFrom(EU))[AP] === undefined ? true : undefined), 10_000, 100)).toBe(true);
    const [euApp] = (await out(EU))["appPorts"]?.value as number[];
    for (let i = 0; i < 5; i++) expect((await httpCall(euApp ?? 0, "POST", "/debates", {}, { topic: `while ap lags ${i}` })).status).toBe(201);
    const [apPos] = await pgQuery<{ lsn: string }>(apOut, "monitor", "SELECT pg_last_wal_receive_lsn()::text AS lsn", [], "postgres");

    const refused = await s().api("POST", "/failover", { to: AP });
    expect(refused.status).toBe(409);
    expect(refused.body.error.code).toBe("conflict");
    expect(refused.body.error.message).toContain(`failover to ${AP} refused: ${EU} still accepts writes`);
    expect(refused.body.error.message).toContain(`${AP} is behind ${EU}: ${AP} has WAL up to ${apPos?.lsn ?? "?"}`);
    expect(refused.body.error.details.problems.map((p: { code: string }) => p.code)).toEqual(["writable_primary", "target_behind"]);
    // Nothing was recorded: eu-west-1 is still the primary of the stored fleet.
    expect(((await s().api("GET", `/regions/${EU}`)).body as { primary: boolean }).primary).toBe(true);

    const t0 = Date.now();
    const forced = await submit("POST", "/failover", { to: AP, force: true });
    figures["forcedFailoverMs"] = Date.now() - t0;
    recordPids();
    expect({ status: forced.status, error: forced.error, request: forced.request }).toEqual({ status: "succeeded", error: undefined, request: { to: AP, force: true } });
    const log = await events(forced.id as string);
    expect(log.find((e) => e.kind === "failover.forced")?.message).toContain(`${AP} is behind ${EU}`);
    expect(log.some((e) => e.kind === "failover.fence" && e.message.startsWith(`fenced ${EU}: default_transaction_read_only on`))).toBe(true);
    expect(await inRecovery(AP)).toBe(false);
    expect(await standbysStream(AP, [EU, US], 20_000)).toEqual({ [EU]: "streaming", [US]: "streaming" });
    await new Promise((r) => setTimeout(r, 2500));
    const v = await submit("POST", "/fleet/validate");
    expect({ status: v.status, error: v.error }).toEqual({ status: "succeeded", error: undefined });
  });

  it("when a process dies, then a fleet refresh reports it as drift of that stack only, changing nothing", async () => {
    const euOut = await out(EU);
    const appPid = pidOf((euOut["pidFiles"]?.value as { apps: string[] }).apps[0] ?? "");
    process.kill(appPid, "SIGKILL");
    await waitGone([appPid]);
    const op = await submit("POST", "/fleet/refresh");
    expect(op.status).toBe("succeeded");
    const byStack = Object.fromEntries(op.steps.map((x: { stack: string; changes?: { urn: string; keys?: string[] }[] }) => [x.stack, (x.changes ?? []).map((c) => `${c.urn.split("::").pop() ?? ""} ${(c.keys ?? []).join(",")}`)]));
    expect(byStack).toEqual({ [US]: [], [EU]: [`${EU}-app-0 pid,running`], [AP]: [], global: [] });
    expect(alive(appPid)).toBe(false);
  });

  it("when a detached region took a write the others never saw, then validate fails naming that region with its figures", async () => {
    const usOut = await out(US);
    await pgQuery(usOut, "postgres", "SELECT pg_promote(true, 60)", [], "postgres");
    await pgQuery(usOut, "postgres", "INSERT INTO debates (topic, origin_region, created_at) VALUES ('split brain', 'us-east-1', now() - interval '2 hours')");
    const v = await submit("POST", "/fleet/validate");
    expect(v.status).toBe("failed");
    expect(v.error.message).toMatch(new RegExp(`^step validate:fleet failed: inconsistent: ${US} differs from ${AP} on debates created before \\S+\\. `));
    expect(v.error.message).toMatch(new RegExp(`${US}: (\\d+) rows before the cutoff \\(\\d+ in all\\), md5 [0-9a-f]{32} MISMATCH: \\d+ rows vs \\d+ on ${AP}, md5 [0-9a-f]{32} vs [0-9a-f]{32} on ${AP}`));
    const log = await events(v.id as string);
    expect(log.filter((e) => e.kind === "validate.region").map((e) => e.message.split(":")[0])).toEqual([US, EU, `${AP} (primary)`]);
  });
  it("when the rollout and failovers are done, then no response body, SSE stream, log line, SQLite row or byte of the database holds a password, the passphrase or the token", async () => {
    // The needles: every secret output of every stack, read with the engine and the service's passphrase.
    const passwords = new Set<string>();
    for (const stack of [US, EU, AP, "global"]) for (const v of secretStrings(await out(stack))) passwords.add(v);
    const needles = [...passwords, DRILL_PASSPHRASE, ADMIN_TOKEN];
    // The SSE stream of every operation the drill ran (each has ended, so each stream ends at once).
    const ops = (await s().api("GET", "/operations?limit=100")).body.operations as { id: string }[];
    for (const op of ops) await events(op.id);
    // The database: every byte of its files, and every row of every table.
    const dbFiles = fs.readdirSync(s().stateDir).filter((f) => f.startsWith("aragora.db")).map((f) => path.join(s().stateDir, f));
    const bytes = dbFiles.map((f) => fs.readFileSync(f).toString("latin1"));
    const db = new Database(path.join(s().stateDir, "aragora.db"), { readonly: true, fileMustExist: true });
    let rows = "";
    try {
      for (const { name } of db.prepare("SELECT name FROM sqlite_master WHERE type = 'table'").all() as { name: string }[]) {
        rows += JSON.stringify(db.prepare(`SELECT * FROM "${name}"`).all());
      }
    } finally {
      db.close();
    }
    const sources: Record<string, string> = { responses: s().seen.join("\n"), logs: s().logs.join(""), dbBytes: bytes.join("\n"), dbRows: rows };
    figures["secretScan"] = {
      needles: needles.length,
      passwords: passwords.size,
      operations: ops.length,
      bytes: Object.fromEntries(Object.entries(sources).map(([k, v]) => [k, v.length])),
      dbFiles: dbFiles.map((f) => path.basename(f)),
    };
    expect(passwords.size).toBeGreaterThanOrEqual(9);
    expect(ops.length).toBeGreaterThanOrEqual(8);
    for (const [where, text] of Object.entries(sources)) {
      const found = Object.entries(hits(text, needles)).filter(([, n]) => n > 0).map(([needle, n]) => `${needle.slice(0, 4)}… ×${n}`);
      expect({ where, found }).toEqual({ where, found: [] });
    }
    // The masked forms are there, so the scan did not pass because secrets never flowed.
    expect(sources["responses"]).toContain('"databaseUrl":"[secret]"');
    expect(sources["logs"]).toContain("step started");
  });
});
