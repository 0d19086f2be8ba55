/**
 * `npm run bench`: how fast the service turns specs into running regions on the local target, and
 * how little it costs when nothing changed. Prints a table and writes bench/results.json.
 *
 * Every figure comes from one run on this machine; compare the ratios, not the absolute numbers
 * (shared machines are noisy). Sections:
 *   1. rollout of 3 regions + global, ARAGORA_MAX_PARALLEL=4 and =1
 *   2. no-op reconcile of unchanged fleets of 1, 3 and 5 regions
 *   3. API latency and throughput (GET /regions, GET /operations/{id}) idle and during an operation
 *   4. footprint: peak RSS of the service and of the engine processes during a rollout
 *   5. engine overhead: inline up of an empty program; no-change up of a local region stack
 */
import { fork, spawn, type ChildProcess } from "node:child_process";
import * as fs from "node:fs";
import * as net from "node:net";
import * as os from "node:os";
import * as path from "node:path";
import type { LoadRequest, LoadResult } from "./loadClient";
import { median, round } from "./stats";
import { EVENT_LOOP_RESOLUTION_MS } from "../server/metrics";
import { createAutomationRunner } from "../server/engine/automationRunner";
import { findPulumiBinDir, projectDir } from "../server/engine/toolchain";
import { regionProgram } from "../stacks/region";
import { globalProgram } from "../stacks/global";
import { regionStackConfigValues } from "../domain/stackConfigEncoding";
import { globalStackConfig, regionStackConfig } from "../domain/spec/stackConfig";

const ROOT = projectDir();
const TOKEN = "bench-admin-" + Math.random().toString(36).slice(2);
const SPECS = [
  { name: "us-east-1", primary: true, app: { replicas: 2 } },
  { name: "eu-west-1", app: { replicas: 2 } },
  { name: "ap-south-1", app: { replicas: 2 } },
  { name: "sa-east-1", app: { replicas: 2 } },
  { name: "ca-central-1", app: { replicas: 2 } },
];

interface StepView { id: string; stack: string; action: string; status: string; dependsOn?: string[]; startedAt?: string; finishedAt?: string; durationMs?: number }
interface OperationView { id: string; kind: string; status: string; createdAt: string; startedAt?: string; finishedAt?: string; steps: StepView[]; error?: { message: string } }

// ------------------------------------------------------------------------------------------------
// A service under test: `node dist/server/main.js` with its own state dir and ports.

class Service {
  private proc?: ChildProcess;
  readonly url: string;
  private rssPeak = 0;
  private enginePeak = 0;
  private sampler?: NodeJS.Timeout;
  readonly log: string[] = [];

  /** `sampleRss` false: no /proc scan every 250 ms (a few ms of CPU each, at the API's priority). */
  constructor(readonly stateDir: string, readonly port: number, readonly env: Record<string, string>, private readonly sampleRss = true) {
    this.url = `http://127.0.0.1:${port}`;
  }

  async start(): Promise<void> {
    const proc = spawn(process.execPath, [path.join(ROOT, "dist/server/main.js")], {
      cwd: ROOT,
      env: { ...serviceEnv(), PORT: String(this.port), HOST: "127.0.0.1", ARAGORA_STATE_DIR: this.stateDir, ARAGORA_API_TOKENS: `bench:admin:${TOKEN}`, ARAGORA_LOG_LEVEL: "warn", ...this.env },
      stdio: ["ignore", "pipe", "pipe"],
    });
    this.proc = proc;
    proc.stdout.on("data", (d: Buffer) => this.log.push(d.toString()));
    proc.stderr.on("data", (d: Buffer) => this.log.push(d.toString()));
    const deadline = Date.now() + 60_000;
    for (;;) {
      if (proc.exitCode !== null) throw new Error(`service exited: ${this.log.join("").slice(-2000)}`);
      try {
        const r = await fetch(`${this.url}/health`);
        if (r.ok) break;
      } catch { /* not yet */ }
      if (Date.now() > deadline) throw new Error("service did not start within 60 s");
      await sleep(200);
    }
    if (this.sampleRss) this.sampler = setInterval(() => { this.sample(); }, 250);
  }

  /** Peak RSS of the service (VmHWM) and of its descendants (engine CLI, language/dynamic-provider hosts). */
  private sample(): void {
    const pid = this.proc?.pid;
    if (!pid) return;
    this.rssPeak = Math.max(this.rssPeak, readKb(pid, "VmHWM"));
    const total = descendants(pid).reduce((sum, p) => sum + readKb(p, "VmRSS"), 0);
    this.enginePeak = Math.max(this.enginePeak, total);
  }

  resetPeaks(): void {
    this.enginePeak = 0;
  }

  peaks(): { serviceMb: number; engineMb: number } {
    this.sample();
    return { serviceMb: round(this.rssPeak / 1024), engineMb: round(this.enginePeak / 1024) };
  }

  // eslint-disable-next-line @typescript-eslint/no-unnecessary-type-parameters -- the caller names the response shape
  async api<T>(method: string, p: string, body?: unknown): Promise<{ status: number; body: T }> {
    const r = await fetch(this.url + p, {
      method,
      headers: { authorization: `Bearer ${TOKEN}`, ...(body !== undefined ? { "content-type": "application/json" } : {}) },
      ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
    });
    const text = await r.text();
    return { status: r.status, body: (text ? JSON.parse(text) : undefined) as T };
  }

  /**
   * The service's own event-loop delay (ms) since the previous call: `/metrics` resets it per scrape.
   * prom-client reports the intervals of a timer due every EVENT_LOOP_RESOLUTION_MS; how late it
   * fired is the interval less that.
   */
  async loopDelay(): Promise<{ p99Ms: number; maxMs: number }> {
    const r = await fetch(`${this.url}/metrics`, { headers: { authorization: `Bearer ${TOKEN}` } });
    const text = await r.text();
    const read = (name: string) => round(Math.max(0, Number(new RegExp(`^${name} (\\S+)$`, "m").exec(text)?.[1] ?? NaN) * 1000 - EVENT_LOOP_RESOLUTION_MS), 1);
    return { p99Ms: read("nodejs_eventloop_lag_p99_seconds"), maxMs: read("nodejs_eventloop_lag_max_seconds") };
  }

  async submit(method: string, p: string, body?: unknown): Promise<string> {
    const r = await this.api<{ operation?: { id: string }; error?: { message: string } }>(method, p, body);
    if (r.status !== 202 || !r.body.operation) throw new Error(`${method} ${p} → ${r.status} ${JSON.stringify(r.body)}`);
    return r.body.operation.id;
  }

  async wait(id: string, timeoutMs = 900_000): Promise<OperationView> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const r = await this.api<OperationView>("GET", `/operations/${id}`);
      if (["succeeded", "failed", "cancelled", "interrupted"].includes(r.body.status)) {
        if (r.body.status !== "succeeded") throw new Error(`operation ${id} ${r.body.status}: ${JSON.stringify(r.body.error ?? r.body.steps.filter((s) => s.status === "failed"))}`);
        return r.body;
      }
      if (Date.now() > deadline) throw new Error(`operation ${id} still ${r.body.status}`);
      await sleep(250);
    }
  }

  async stop(): Promise<void> {
    if (this.sampler) clearInterval(this.sampler);
    const proc = this.proc;
    if (!proc || proc.exitCode !== null) return;
    const exited = new Promise<void>((r) => proc.once("exit", () => { r(); }));
    proc.kill("SIGTERM");
    await Promise.race([exited, sleep(20_000)]);
    if ((proc.exitCode as number | null) === null) proc.kill("SIGKILL");
  }
}

// ------------------------------------------------------------------------------------------------

/** Brings the fleet to the first `size` regions of SPECS with one `POST /fleet/apply`. */
async function addFleet(svc: Service, size: number): Promise<OperationView> {
  return svc.wait(await svc.submit("POST", "/fleet/apply", { regions: SPECS.slice(0, size) }));
}

async function rollout(maxParallel: number, portBase: number, env: Record<string, string> = {}): Promise<Record<string, number>> {
  const stateDir = benchStateDir(`aragora-bench-p${maxParallel}-`);
  const svc = new Service(stateDir, await freePort(), {
    ARAGORA_MAX_PARALLEL: String(maxParallel),
    ...env,
    ARAGORA_LOCAL_PORT_RANGE: `${portBase}-${portBase + 999}`,
    ARAGORA_GLB_PORT: String(portBase + 1000),
  });
  await svc.start();
  try {
    const t0 = Date.now();
    const cpu0 = machineCpu();
    const op = await addFleet(svc, 3);
    const wall = Date.now() - t0;
    const cpu1 = machineCpu();
    // Busy CPU seconds of the whole machine during the rollout: with 2 cores, the parallel wall time
    // cannot go below busy / 2, whatever the DAG allows.
    const busySec = (cpu1.busy - cpu0.busy) / CLOCK_TICKS;
    const steps = op.steps.filter((s) => s.status === "succeeded");
    if (steps.length !== 4) throw new Error(`expected 4 steps (3 regions + global), got ${steps.map((s) => s.id).join(", ")}`);
    // A step's own time: from when its dependencies were done (or it started, if later) to its end.
    const end = (id: string) => Date.parse(steps.find((s) => s.id === id)?.finishedAt ?? "");
    const dur = (stack: string) => {
      const s = steps.find((x) => x.stack === stack);
      if (!s?.startedAt || !s.finishedAt) return 0;
      const from = Math.max(Date.parse(s.startedAt), ...(s.dependsOn ?? []).map(end));
      return Date.parse(s.finishedAt) - from;
    };
    const sum = steps.reduce((a, s) => a + (s.durationMs ?? 0), 0);
    const ownSum = steps.reduce((a, s) => a + dur(s.stack), 0);
    const replicas = [dur("eu-west-1"), dur("ap-south-1")];
    const critical = dur("us-east-1") + Math.max(...replicas) + dur("global");
    const peaks = svc.peaks();
    return {
      wallMs: wall, sumOfStepsMs: sum, sumOfOwnStepTimeMs: ownSum, criticalPathMs: critical, efficiency: round(critical / wall, 3),
      primaryStepMs: dur("us-east-1"), replicaStepMaxMs: Math.max(...replicas), replicaStepMinMs: Math.min(...replicas), globalStepMs: dur("global"),
      machineCpuBusySec: round(busySec, 1), machineCpuUtilization: round(busySec / ((wall / 1000) * os.cpus().length), 2),
      machineCpuKernelShare: kernelShare(cpu0, cpu1),
      serviceRssMb: peaks.serviceMb, engineRssMb: peaks.engineMb,
    };
  } finally {
    await teardown(svc);
  }
}

async function noopReconcile(portBase: number): Promise<Record<string, number>> {
  const stateDir = benchStateDir("aragora-bench-noop-");
  const svc = new Service(stateDir, await freePort(), {
    ARAGORA_MAX_PARALLEL: "4",
    ARAGORA_LOCAL_PORT_RANGE: `${portBase}-${portBase + 999}`,
    ARAGORA_GLB_PORT: String(portBase + 1000),
  });
  await svc.start();
  const out: Record<string, number> = {};
  try {
    for (const size of [1, 3, 5]) {
      await addFleet(svc, size);
      const runs: number[] = [];
      // A median over 51 runs, timed to the microsecond: at a few milliseconds each, whole-millisecond
      // clocks and one scheduler hiccup decided the ratio (12 / 9 ms in one run, 5 / 12 ms in the next).
      for (let i = 0; i < 51; i++) {
        const t0 = performance.now();
        await svc.wait(await svc.submit("POST", "/fleet/reconcile"));
        runs.push(performance.now() - t0);
      }
      out[`regions${size}Ms`] = round(median(runs), 2);
    }
    out["ratio5to1"] = round((out["regions5Ms"] ?? 0) / (out["regions1Ms"] ?? 1), 2);
    return out;
  } finally {
    await teardown(svc);
  }
}

async function apiLoad(portBase: number, env: Record<string, string> = {}, mode: LoadRequest["mode"] = "steady"): Promise<Record<string, number>> {
  const stateDir = benchStateDir("aragora-bench-api-");
  const svc = new Service(stateDir, await freePort(), {
    ...env,
    ARAGORA_MAX_PARALLEL: "4",
    ARAGORA_LOCAL_PORT_RANGE: `${portBase}-${portBase + 999}`,
    ARAGORA_GLB_PORT: String(portBase + 1000),
  }, false); // nothing here reports RSS: no sampler competing with the service for a CPU
  await svc.start();
  const out: Record<string, number> = {};
  try {
    const first = await svc.wait(await svc.submit("POST", "/regions", SPECS[0]));
    const load = async (label: string) => {
      for (const [name, p] of [["regions", "/regions"], ["operation", `/operations/${first.id}`]] as const) {
        await svc.loopDelay(); // starts the service's event-loop window
        const r = await loadFromOwnProcess({ url: svc.url + p, token: TOKEN, rate: 200, connections: 4, durationSec: 8, warmupSec: 1, mode });
        // How late the service's own event loop ran meanwhile: a stall of the service shows here, a
        // pause of the client process does not.
        const loop = await svc.loopDelay();
        out[`${label}_${name}_serviceLoopP99Ms`] = loop.p99Ms;
        out[`${label}_${name}_serviceLoopMaxMs`] = loop.maxMs;
        out[`${label}_${name}_p50Ms`] = r.p50Ms;
        out[`${label}_${name}_p90Ms`] = r.p90Ms;
        out[`${label}_${name}_p99Ms`] = r.p99Ms;
        out[`${label}_${name}_maxMs`] = r.maxMs;
        out[`${label}_${name}_rps`] = r.rps;
        out[`${label}_${name}_non2xx`] = r.non2xx;
      }
    };
    await load("idle");
    // Three replicas in one operation: long enough to cover both measured runs.
    const busy = await svc.submit("POST", "/fleet/apply", { regions: SPECS.slice(1, 4) });
    await sleep(1000);
    const cpu0 = machineCpu();
    await load("busy");
    out["busy_machineCpuKernelShare"] = kernelShare(cpu0, machineCpu());
    const status = (await svc.api<OperationView>("GET", `/operations/${busy}`)).body.status;
    out["busy_operationStillRunningAfterLoad"] = status === "running" ? 1 : 0;
    await svc.wait(busy);
    return out;
  } finally {
    await teardown(svc);
  }
}

async function engineOverhead(portBase: number): Promise<Record<string, number>> {
  const stateDir = benchStateDir("aragora-bench-engine-");
  const svc = new Service(stateDir, await freePort(), {
    ARAGORA_LOCAL_PORT_RANGE: `${portBase}-${portBase + 999}`,
    ARAGORA_GLB_PORT: String(portBase + 1000),
  });
  await svc.start();
  const out: Record<string, number> = {};
  try {
    await svc.wait(await svc.submit("POST", "/regions", SPECS[0]));
  } finally {
    await svc.stop();
  }
  const bin = findPulumiBinDir();
  const runnerWith = (sharedProviders: boolean) => createAutomationRunner({
    stateDir,
    projectDir: ROOT,
    passphraseFile: path.join(stateDir, "passphrase"),
    sharedProviders,
    ...(bin ? { pulumiBinDir: bin } : {}),
  });
  const runner = runnerWith(true);
  runner.warm(); // as an engine host does when it starts
  const runs: number[] = [];
  for (let i = 0; i < 3; i++) {
    const t0 = Date.now();
    await runner.up({ stack: "bench-empty", program: () => Promise.resolve({}), config: {} });
    runs.push(Date.now() - t0);
  }
  out["emptyUpMs"] = median(runs);
  await runner.destroy({ stack: "bench-empty", program: () => Promise.resolve({}), config: {} });
  // A no-change up of the local region stack, from exactly the config the service applied.
  const cfgText = fs.readFileSync(path.join(stateDir, "stacks", "Pulumi.us-east-1.yaml"), "utf8");
  const cfg = regionStackConfig.parse({ region: JSON.parse(yamlValue(cfgText, "aragora:region")), fleet: JSON.parse(yamlValue(cfgText, "aragora:fleet")) });
  // Alternating: with the provider server the engine host keeps, and with a provider started by
  // each run (ARAGORA_ENGINE_SHARED_PROVIDERS=false).
  const launched = runnerWith(false);
  const shared: number[] = [];
  const own: number[] = [];
  let changed = 0;
  for (let i = 0; i < 3; i++) {
    for (const [r, into] of [[runner, shared], [launched, own]] as const) {
      const t0 = Date.now();
      const res = await r.up({ stack: "us-east-1", program: regionProgram(cfg), config: regionStackConfigValues(cfg) });
      into.push(Date.now() - t0);
      changed += Object.entries(res.summary).filter(([k]) => k !== "same").reduce((a, [, n]) => a + n, 0);
    }
  }
  out["noChangeRegionUpMs"] = median(shared);
  out["noChangeRegionUpLaunchedProviderMs"] = median(own);
  out["noChangeRegionUpChanged"] = changed;
  await runner.close();
  await launched.close();
  await svc.start();
  await teardown(svc);
  return out;
}

/**
 * Removes the replicas through the API, then stops the service and destroys the remaining stacks
 * (global, then the primary: the API refuses to remove a primary) with the engine directly.
 */
async function teardown(svc: Service): Promise<void> {
  try {
    const list = (await svc.api<{ regions: { name: string; primary: boolean }[] }>("GET", "/regions")).body.regions;
    for (const r of list.filter((x) => !x.primary)) await svc.wait(await svc.submit("DELETE", `/regions/${r.name}`));
    await svc.stop();
    const bin = findPulumiBinDir();
    const runner = createAutomationRunner({ stateDir: svc.stateDir, projectDir: ROOT, passphraseFile: path.join(svc.stateDir, "passphrase"), ...(bin ? { pulumiBinDir: bin } : {}) });
    for (const stack of ["global", ...list.filter((x) => x.primary).map((x) => x.name)]) {
      const file = path.join(svc.stateDir, "stacks", `Pulumi.${stack}.yaml`);
      if (!fs.existsSync(file)) continue;
      const text = fs.readFileSync(file, "utf8");
      const fleet: unknown = JSON.parse(yamlValue(text, "aragora:fleet"));
      const program = stack === "global"
        ? globalProgram(globalStackConfig.parse({ fleet }))
        : regionProgram(regionStackConfig.parse({ region: JSON.parse(yamlValue(text, "aragora:region")), fleet }));
      await runner.destroy({ stack, program, config: {} });
    }
    await runner.close();
  } catch (err) {
    console.error("teardown:", err instanceof Error ? err.message : err);
  } finally {
    await svc.stop();
    fs.rmSync(svc.stateDir, { recursive: true, force: true });
  }
}

// ------------------------------------------------------------------------------------------------

async function main(): Promise<void> {
  const results: Record<string, Record<string, number>> = {};
  const only = process.argv.slice(2);
  const run = async (name: string, fn: () => Promise<Record<string, number>>) => {
    if (only.length > 0 && !only.includes(name)) return;
    process.stderr.write(`[bench] ${name}…\n`);
    const t0 = Date.now();
    results[name] = await fn();
    process.stderr.write(`[bench] ${name} done in ${round((Date.now() - t0) / 1000, 1)} s\n`);
  };
  await run("engine", () => engineOverhead(22000));
  await run("rolloutParallel4", () => rollout(4, 23100));
  await run("rolloutParallel1", () => rollout(1, 24200));
  // The same two with every engine run starting its own dynamic provider (the CLI's default).
  await run("rolloutParallel4LaunchedProviders", () => rollout(4, 23100, { ARAGORA_ENGINE_SHARED_PROVIDERS: "false" }));
  await run("rolloutParallel1LaunchedProviders", () => rollout(1, 24200, { ARAGORA_ENGINE_SHARED_PROVIDERS: "false" }));
  await run("noopReconcile", () => noopReconcile(25300));
  await run("api", () => apiLoad(26400));
  // The same load from autocannon's rate mode (bursty, timed from the send): the figures before the
  // steady client, kept for comparison.
  await run("apiAutocannon", () => apiLoad(26400, {}, "autocannon"));

  const p4 = results["rolloutParallel4"];
  const p1 = results["rolloutParallel1"];
  const noop = results["noopReconcile"];
  const api = results["api"];
  const targets: { target: string; figure: string; met: boolean }[] = [];
  if (p4) targets.push({ target: "rollout efficiency >= 0.85 (MAX_PARALLEL=4)", figure: String(p4["efficiency"]), met: (p4["efficiency"] ?? 0) >= 0.85 });
  if (p4 && p1) {
    const ratio = round((p4["wallMs"] ?? 0) / (p1["wallMs"] ?? 1), 3);
    // The best any scheduler could do under the required order (primary, then the replicas side by
    // side, then global) if running side by side cost nothing: the serial run's primary, slowest
    // replica and global steps, over the serial wall time.
    const orderBound = round(((p1["primaryStepMs"] ?? 0) + (p1["replicaStepMaxMs"] ?? 0) + (p1["globalStepMs"] ?? 0)) / (p1["wallMs"] ?? 1), 3);
    targets.push({ target: "parallel wall <= 0.6 x MAX_PARALLEL=1 wall", figure: `${ratio} (order bound from the serial steps: ${orderBound})`, met: ratio <= 0.6 });
  }
  if (noop) {
    targets.push({ target: "no-op reconcile of 5 regions <= 2 s", figure: `${noop["regions5Ms"]} ms`, met: (noop["regions5Ms"] ?? Infinity) <= 2000 });
    targets.push({ target: "no-op reconcile 5 regions <= 1.5 x 1 region", figure: String(noop["ratio5to1"]), met: (noop["ratio5to1"] ?? Infinity) <= 1.5 });
  }
  if (api) {
    const p99 = Math.max(api["busy_regions_p99Ms"] ?? Infinity, api["busy_operation_p99Ms"] ?? Infinity);
    targets.push({ target: "API p99 <= 20 ms at 200 req/s during an operation", figure: `${p99} ms`, met: p99 <= 20 });
  }
  if (p4) targets.push({ target: "service RSS <= 250 MB during a rollout", figure: `${p4["serviceRssMb"]} MB`, met: (p4["serviceRssMb"] ?? Infinity) <= 250 });

  const file = path.join(ROOT, "bench", "results.json"); // the source tree, not dist/
  fs.writeFileSync(file, JSON.stringify({ at: new Date().toISOString(), cpus: os.cpus().length, results, targets }, null, 2) + "\n");
  for (const [section, figures] of Object.entries(results)) {
    console.log(`\n${section}`);
    for (const [k, v] of Object.entries(figures)) console.log(`  ${k.padEnd(40)} ${v}`);
  }
  console.log("\ntargets");
  for (const t of targets) console.log(`  ${t.met ? "MET " : "MISS"}  ${t.target.padEnd(52)} ${t.figure}`);
  console.log(`\nwritten to bench/results.json`);
}

// ------------------------------------------------------------------------------------------------

/** Runs autocannon in its own process (bench/loadClient.ts says why) and returns its figures. */
function loadFromOwnProcess(req: LoadRequest): Promise<LoadResult> {
  const ts = __filename.endsWith(".ts");
  const child = fork(path.join(__dirname, ts ? "loadClient.ts" : "loadClient.js"), [], {
    execArgv: ts ? ["-r", require.resolve("ts-node/register/transpile-only")] : [],
    stdio: ["ignore", "inherit", "inherit", "ipc"],
  });
  return new Promise((resolve, reject) => {
    child.once("message", (m: { result?: LoadResult; error?: string }) => {
      if (m.result) resolve(m.result);
      else reject(new Error(`load client: ${m.error ?? "no result"}`));
    });
    child.once("exit", (code) => { reject(new Error(`load client exited with code ${String(code)} before its result`)); });
    child.send(req);
  });
}

/** The bench's environment minus the engine settings of the shell (each service has its own state dir). */
function serviceEnv(): NodeJS.ProcessEnv {
  const drop = new Set(["PULUMI_CONFIG_PASSPHRASE", "PULUMI_CONFIG_PASSPHRASE_FILE", "PULUMI_BACKEND_URL", "PULUMI_HOME", "ARAGORA_STATE_DIR"]);
  return Object.fromEntries(Object.entries(process.env).filter(([key]) => !drop.has(key)));
}

/** A fresh state dir the local daemons (the daemon user when the bench runs as root) can traverse, so the data stays in it. */
function benchStateDir(prefix: string): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), prefix));
  fs.chmodSync(dir, 0o755);
  return dir;
}

function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}
/** USER_HZ: /proc/stat counts in clock ticks of 1/100 s on Linux. */
const CLOCK_TICKS = 100;
/**
 * The machine's busy, kernel (system, irq, softirq) and total CPU time so far, in clock ticks (the
 * `cpu` line of /proc/stat).
 */
function machineCpu(): { busy: number; kernel: number; total: number } {
  const line = fs.readFileSync("/proc/stat", "utf8").split("\n")[0] ?? "";
  const t = line.trim().split(/\s+/).slice(1, 9).map(Number);
  const total = t.reduce((a, b) => a + b, 0);
  const idle = (t[3] ?? 0) + (t[4] ?? 0); // idle + iowait
  return { busy: total - idle, kernel: (t[2] ?? 0) + (t[5] ?? 0) + (t[6] ?? 0), total };
}
/**
 * Share of the busy CPU time between two readings spent in the kernel. On a kernel without
 * preemption (CONFIG_PREEMPT_NONE) a woken API thread waits for kernel work on its CPU to yield.
 */
function kernelShare(a: { busy: number; kernel: number }, b: { busy: number; kernel: number }): number {
  return round((b.kernel - a.kernel) / Math.max(1, b.busy - a.busy), 2);
}
function readKb(pid: number, field: string): number {
  try {
    const m = new RegExp(`^${field}:\\s+(\\d+) kB`, "m").exec(fs.readFileSync(`/proc/${pid}/status`, "utf8"));
    return m ? Number(m[1]) : 0;
  } catch {
    return 0;
  }
}
function descendants(root: number): number[] {
  const children = new Map<number, number[]>();
  for (const entry of fs.readdirSync("/proc")) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const stat = fs.readFileSync(`/proc/${entry}/stat`, "utf8");
      const ppid = Number(stat.slice(stat.lastIndexOf(")") + 2).split(" ")[1]);
      const list = children.get(ppid) ?? [];
      list.push(Number(entry));
      children.set(ppid, list);
    } catch { /* gone */ }
  }
  const out: number[] = [];
  const stack = [...(children.get(root) ?? [])];
  while (stack.length > 0) {
    const p = stack.pop() as number;
    out.push(p);
    stack.push(...(children.get(p) ?? []));
  }
  return out;
}
function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = net.createServer();
    srv.once("error", reject);
    srv.listen(0, "127.0.0.1", () => {
      const addr = srv.address();
      srv.close(() => { resolve(typeof addr === "object" && addr ? addr.port : 0); });
    });
  });
}
function yamlValue(text: string, key: string): string {
  const line = text.split("\n").find((l) => l.trim().startsWith(`${key}:`));
  if (!line) throw new Error(`no ${key} in stack config`);
  const raw = line.slice(line.indexOf(":", line.indexOf(key) + key.length) + 1).trim();
  return raw.startsWith("'") ? raw.slice(1, -1).replace(/''/g, "'") : raw.startsWith('"') ? (JSON.parse(raw) as string) : raw;
}

main().catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});
