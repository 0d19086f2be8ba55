/**
 * The crash matrix (its own tier: `scripts/test.sh crash`). For each phase × victim, a fresh
 * service (a child process, real engine, local target) runs four operations in turn: a
 * three-region rollout (`POST /fleet/apply`), a region update, a failover and a region removal.
 * Each is killed with SIGKILL at the phase: the service process, or the engine (the `pulumi` CLI
 * running the step, or the engine host when no CLI runs). Phases: right after the operation is
 * accepted; when the target step has started (its stack being selected, no resource yet); after its
 * first resource; after half of them; after the engine finished but before the result is recorded
 * (a failpoint, server/failpoints.ts); during the `global` step. After each kill: restart the
 * service (when it was the victim), retry until the operation ends, then check:
 * - the operation succeeded, its events are continuous (consecutive ids, none lost or repeated);
 * - a refresh of every stack reports no drift, and the processes, listening ports, data dirs and
 *   replication slots on the machine are exactly what the stacks' state records;
 * - no acknowledged write to the primary database was lost (a writer runs through the GLB);
 * - during the rollout, a second service started on the same state dir exits non-zero naming the
 *   first one's pid, and the first keeps working.
 * The outcome and recovery time of every cell are printed as a table at the end. The failover is
 * forced: the writer keeps the primary writable, so the split-brain check refuses an unforced one
 * (forced, the old primary is fenced before the promotion).
 *
 * One test file per victim (serviceKill.test.ts, engineKill.test.ts), so the two halves can run
 * side by side. ARAGORA_CRASH_CELLS narrows it (e.g. `half,global` or `half:service`): phases, or
 * phase:victim.
 */
import * as fs from "node:fs";
import * as path from "node:path";
import { Client } from "pg";
import { testEnv, cleanup, type TestEnv } from "../integration/service/serviceHelpers";
import { Writer } from "../integration/drills/drillHelpers";
import { EXAMPLE_FLEET } from "../support/fixtures";
import { readSse } from "../support/sse";
import { spawnService, exitOf } from "../support/serviceProcess";
import { TOKENS } from "../support/http";
import { portOpen } from "../support/ports";
import { CrashService, daemonsUnder, exportStack, killEngine, listeningPorts, processRecords, recordedIn, resourcesDone, settled, watchUntil } from "./crashHelpers";

const PHASES = ["accepted", "selecting", "first-resource", "half", "engine-finished", "global"] as const;
export const VICTIMS = ["service", "engine"] as const;
type Phase = (typeof PHASES)[number];
type Victim = (typeof VICTIMS)[number];

interface OpDef {
  name: string;
  /** The step killed at the step phases. */
  target: { id: string; action: string; stack: string };
  submit(svc: CrashService): Promise<{ status: number; body: any }>;
}

const OPS: OpDef[] = [
  { name: "rollout", target: { id: "up:us-east-1", action: "up", stack: "us-east-1" }, submit: (s) => s.api("POST", "/fleet/apply", { token: "operator", body: { regions: EXAMPLE_FLEET } }) },
  { name: "update", target: { id: "up:eu-west-1", action: "up", stack: "eu-west-1" }, submit: (s) => s.api("PUT", "/regions/eu-west-1", { token: "operator", body: { name: "eu-west-1", app: { replicas: 3 } } }) },
  { name: "failover", target: { id: "promote:eu-west-1", action: "up", stack: "eu-west-1" }, submit: (s) => s.api("POST", "/failover", { token: "admin", body: { to: "eu-west-1", force: true } }) },
  { name: "removal", target: { id: "destroy:ap-south-1", action: "destroy", stack: "ap-south-1" }, submit: (s) => s.api("DELETE", "/regions/ap-south-1", { token: "admin" }) },
];

function selected(phase: Phase, victim: Victim): boolean {
  const spec = process.env["ARAGORA_CRASH_CELLS"];
  if (!spec) return true;
  return spec.split(",").map((s) => s.trim()).some((s) => s === phase || s === `${phase}:${victim}`);
}

export interface Cell {
  op: string;
  phase: Phase;
  victim: Victim;
  /** What happened: the kill landed (`killed …`), or the operation ended first. */
  outcome: string;
  attempts: number;
  recoveryMs: number;
  status: string;
  /** Writes the GLB had acknowledged when the cell was checked (all found on the primary). */
  ackedWrites: number;
}

/** The predicate on live events that says the phase is reached for `op`. */
function phaseReached(phase: Phase, op: OpDef, half: number): (events: any[]) => boolean {
  const started = (events: any[], stepId: string): boolean => events.some((e) => e.event === "step.started" && e.data?.stepId === stepId);
  switch (phase) {
    case "selecting": return (ev) => started(ev, op.target.id);
    case "first-resource": return (ev) => resourcesDone(ev, op.target.id) >= 1;
    case "half": return (ev) => resourcesDone(ev, op.target.id) >= half;
    case "global": return (ev) => started(ev, "up:global") && resourcesDone(ev, "up:global") >= 1;
    default: return () => false;
  }
}

/** The matrix's cells for one victim: one round (a fresh service and fleet) per phase. */
export function crashMatrix(victim: Victim): void {
  jest.setTimeout(3_600_000);
  const cells: Cell[] = [];
  afterAll(() => {
    const rows = cells.map((c) => `| ${c.op} | ${c.phase} | ${c.victim} | ${c.outcome} | ${String(c.attempts)} | ${(c.recoveryMs / 1000).toFixed(1)} s | ${c.status} | ${String(c.ackedWrites)} |`);
    console.log([`crash matrix (victim ${victim}):`, "| operation | phase | victim | outcome | retries | kill to succeeded | final | acked writes kept |", "|---|---|---|---|---|---|---|---|", ...rows].join("\n"));
  });
  describe.each(PHASES.map((p) => [p] as const))("crash at %s", (phase) => { round(phase, victim, cells); });
}

function round(phase: Phase, victim: Victim, cells: Cell[]): void {
  const run = selected(phase, victim) ? test : test.skip;
  let env: TestEnv;
  let svc: CrashService;
  let writer: Writer | undefined;
  let failpoints: string;
  let localRoot: string;

  afterAll(async () => {
    await writer?.stop();
    await (svc as CrashService | undefined)?.stop();
    if ((env as TestEnv | undefined) !== undefined) await cleanup(env.stateDir);
  });

  run("then every operation completes after the kill, with no drift, nothing orphaned and no acknowledged write lost", async () => {
    env = await testEnv(3);
    failpoints = path.join(env.stateDir, "failpoints");
    fs.mkdirSync(failpoints);
    localRoot = path.join(env.stateDir, "local");
    svc = new CrashService({ ...env.env, ARAGORA_FAILPOINT_DIR: failpoints, ARAGORA_MAX_PARALLEL: "4", ARAGORA_LOG_LEVEL: "warn" }, env.servicePort);
    await svc.start();
    // How many resources a region's step registers (from the offline plan): "half" is half of them.
    const dry = await svc.api("POST", "/regions?dryRun=true&resources=true", { token: "operator", body: EXAMPLE_FLEET[0] });
    expect(dry.status).toBe(200);
    const regionResources = (dry.body.steps as { stack: string; resources: unknown[] }[]).find((s) => s.stack === "us-east-1")?.resources.length ?? 0;
    expect(regionResources).toBeGreaterThan(4);
    const half = Math.ceil(regionResources / 2);

    for (const op of OPS) {
      const cell: Cell = { op: op.name, phase, victim, outcome: "", attempts: 0, recoveryMs: 0, status: "", ackedWrites: 0 };
      cells.push(cell);
      if (phase === "engine-finished") {
        const point = victim === "service" ? `after-engine.${op.target.id}` : `host-result.${op.target.action}.${op.target.stack}`;
        fs.writeFileSync(path.join(failpoints, point.replace(/[^A-Za-z0-9._-]/g, ".")), "");
      }
      const res = await op.submit(svc);
      expect({ op: op.name, status: res.status, body: res.status === 202 ? undefined : res.body }).toEqual({ op: op.name, status: 202, body: undefined });
      const id = res.body.operation.id as string;

      if (op.name === "rollout") await secondServiceRefused(env, svc);

      let killedAt = Date.now();
      if (phase === "accepted") {
        cell.outcome = await kill(victim, svc);
      } else if (phase === "engine-finished") {
        // The failpoint kills the victim itself.
        if (victim === "service") {
          const exited = await Promise.race([exitOf(svc.child!.child).then(() => true), settled(svc.api, id).then(() => false)]);
          cell.outcome = exited ? "service killed itself after the engine finished" : "operation ended first";
        } else {
          const end = await settled(svc.api, id);
          cell.outcome = JSON.stringify(end.steps).includes("engine host process running it exited") ? "engine host killed itself before sending the result" : "operation ended first";
        }
        killedAt = Date.now();
      } else {
        const seen = await watchUntil(svc.base, id, phaseReached(phase, op, half));
        killedAt = Date.now();
        cell.outcome = seen.reached ? await kill(victim, svc) : "operation ended first";
      }

      // Recover: restart the service if it died, then retry until the operation ends succeeded.
      if (!svc.running) await svc.start();
      let op1 = await settled(svc.api, id);
      while (op1.status !== "succeeded" && cell.attempts < 3) {
        // The local target never needs an admin.
        expect({ op: op.name, status: op1.status, error: op1.status === "needs_attention" ? op1.error : undefined }).toEqual({ op: op.name, status: op1.status, error: undefined });
        cell.attempts++;
        const retry = await svc.api("POST", `/operations/${id}/retry`, { token: "admin" });
        expect({ retry: retry.status, body: retry.status === 202 ? undefined : retry.body }).toEqual({ retry: 202, body: undefined });
        op1 = await settled(svc.api, id);
      }
      cell.recoveryMs = Date.now() - killedAt;
      cell.status = op1.status;
      expect({ op: op.name, status: op1.status, error: op1.error }).toEqual({ op: op.name, status: "succeeded", error: undefined });

      // Its events are continuous: every id once, in order, none missing.
      const stream = await readSse(`${svc.base}/operations/${id}/events`, { token: TOKENS.viewer, timeoutMs: 30_000 });
      const ids = stream.events.filter((e) => e.id !== undefined).map((e) => e.id!);
      expect(ids.length).toBeGreaterThan(0);
      const gaps = ids.slice(1).filter((v, i) => v !== ids[i]! + 1);
      expect({ op: op.name, gaps }).toEqual({ op: op.name, gaps: [] });

      await checkReality(svc, env, localRoot);
      if (op.name === "rollout") {
        const glbPort = Number(env.env["ARAGORA_GLB_PORT"]);
        writer = new Writer(glbPort, "WEU");
        writer.start();
        await new Promise((r) => setTimeout(r, 1000));
      }
      cell.ackedWrites = await checkWrites(svc, env, writer);
    }
  });
}

async function kill(victim: Victim, svc: CrashService): Promise<string> {
  if (victim === "service") {
    await svc.kill();
    return "service killed";
  }
  const killed = killEngine(svc.pid);
  return killed.length > 0 ? `killed ${[...new Set(killed)].join(", ")}` : "no engine process to kill";
}

/** A second service on the same state dir exits non-zero at once naming the first; the first answers on. */
async function secondServiceRefused(env: TestEnv, first: CrashService): Promise<void> {
  const second = spawnService({ ...env.env, PORT: "0" });
  const code = await Promise.race([exitOf(second.child), new Promise<string>((r) => setTimeout(() => { r("still running"); }, 60_000))]);
  if (code === "still running") second.child.kill("SIGKILL");
  expect({ code, says: /in use by another aragora-regions service \(pid \d+/.test(second.output()) }).toEqual({ code: 1, says: true });
  expect(second.output()).toContain(`pid ${String(first.pid)}`);
  expect((await fetch(`${first.base}/health`)).status).toBe(200);
}

/** Every stack of the fleet: its regions and `global`. */
async function stacksOf(svc: CrashService): Promise<string[]> {
  const regions = (await svc.api("GET", "/regions", { token: "viewer" })).body.regions as { name: string }[];
  return [...regions.map((r) => r.name), "global"];
}

/** The resources a `POST /fleet/refresh` found drifted, with the drifted keys. */
async function refreshDrift(svc: CrashService): Promise<{ urn: string; keys?: string[] }[]> {
  const refresh = await svc.api("POST", "/fleet/refresh", { token: "operator" });
  expect(refresh.status).toBe(202);
  const done = await settled(svc.api, refresh.body.operation.id);
  expect(done.status).toBe("succeeded");
  return (done.steps as { changes?: { urn: string; keys?: string[] }[] }[]).flatMap((s) => s.changes ?? []);
}

/** A refresh finds no drift; processes, ports, dirs and slots on the machine are what the state records. */
async function checkReality(svc: CrashService, env: TestEnv, localRoot: string): Promise<void> {
  // What the state says of each process before the refresh (and what runs under that pid now), to
  // say what happened when the refresh finds drift.
  const before = processRecords(env.stateDir, await stacksOf(svc));
  const drift = await refreshDrift(svc);
  expect(drift.map((d) => ({ ...d, recordedBefore: before.get(d.urn) }))).toEqual([]);

  const regions = (await svc.api("GET", "/regions", { token: "viewer" })).body.regions as { name: string; spec: { primary?: boolean } }[];
  const stacks = await stacksOf(svc);
  const recorded = recordedIn(env.stateDir, stacks);
  const daemons = daemonsUnder(localRoot);
  const running = daemons.map((p) => p.pid).sort((a, b) => a - b);
  const describe = (pids: number[]): string[] => pids.map((pid) => { const p = daemons.find((d) => d.pid === pid); return p ? `${String(pid)} ${p.argv.join(" ")} (cwd ${p.cwd})` : String(pid); });
  expect({ orphaned: describe(running.filter((p) => !recorded.pids.includes(p))), recordedButGone: describe(recorded.pids.filter((p) => !running.includes(p))) }).toEqual({ orphaned: [], recordedButGone: [] });
  const count = Number(env.env["ARAGORA_GLB_PORT"]) - env.portBase;
  expect({ listening: listeningPorts(env.portBase, env.portBase + count) }).toEqual({ listening: recorded.ports });
  for (const dir of recorded.dirs) expect({ dir, exists: fs.existsSync(dir) }).toEqual({ dir, exists: true });
  const regionDirs = fs.existsSync(localRoot) ? fs.readdirSync(localRoot).filter((d) => fs.statSync(path.join(localRoot, d)).isDirectory()) : [];
  for (const d of regionDirs) expect({ dir: d, known: recorded.dirs.some((r) => r.startsWith(path.join(localRoot, d))) }).toEqual({ dir: d, known: true });

  const primary = regions.find((r) => r.spec.primary === true)?.name;
  expect(primary).toBeDefined();
  const out = stackOutputs(env.stateDir, primary!);
  const slots = await pg(out, "SELECT slot_name FROM pg_replication_slots ORDER BY slot_name");
  const port = Number(out["postgresPort"]);
  expect({ slots: slots.map((s) => String(s["slot_name"])).sort() }).toEqual({ slots: recorded.slots.filter((s) => s.primaryPort === port).map((s) => s.slot).sort() });
  for (const p of recorded.ports) expect({ port: p, open: await portOpen(p) }).toEqual({ port: p, open: true });
}

/** Every write the GLB acknowledged is in the primary's database. */
async function checkWrites(svc: CrashService, env: TestEnv, writer: Writer | undefined): Promise<number> {
  if (!writer) return 0;
  const acked = writer.acked().map((r) => r.id!).filter((n) => Number.isInteger(n));
  if (acked.length === 0) return 0;
  const regions = (await svc.api("GET", "/regions", { token: "viewer" })).body.regions as { name: string; spec: { primary?: boolean } }[];
  const primary = regions.find((r) => r.spec.primary === true)!.name;
  const rows = await pg(stackOutputs(env.stateDir, primary), "SELECT id FROM debates WHERE id = ANY($1::bigint[])", [acked]);
  const found = new Set(rows.map((r) => Number(r["id"])));
  const lost = acked.filter((n) => !found.has(n));
  expect({ acked: acked.length, lost }).toEqual({ acked: acked.length, lost: [] });
  return acked.length;
}

/** The stack's outputs, secrets in plain text (an export with --show-secrets keeps them as `{…, plaintext: "<json>"}`). */
function stackOutputs(stateDir: string, stack: string): Record<string, unknown> {
  const dep = exportStack(stateDir, stack);
  const outputs = dep.resources.find((r) => r.type === "pulumi:pulumi:Stack")?.outputs ?? {};
  const plain = (v: unknown): unknown => {
    if (v !== null && typeof v === "object" && typeof (v as { plaintext?: unknown }).plaintext === "string") return JSON.parse((v as { plaintext: string }).plaintext) as unknown;
    return v;
  };
  return Object.fromEntries(Object.entries(outputs).map(([k, v]) => [k, plain(v)]));
}

async function pg(out: Record<string, unknown>, sql: string, params: unknown[] = []): Promise<Record<string, unknown>[]> {
  const c = new Client({ host: "127.0.0.1", port: Number(out["postgresPort"]), user: "postgres", password: String(out["postgresSuperuserPassword"]), database: "aragora", connectionTimeoutMillis: 5000 });
  await c.connect();
  try {
    return (await c.query(sql, params)).rows as Record<string, unknown>[];
  } finally {
    await c.end();
  }
}
