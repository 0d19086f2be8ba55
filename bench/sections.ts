/**
 * The bench's sections that go through the service's API only: a rollout of the example fleet, a
 * no-op reconcile, and API latency and throughput idle and during an operation. Each returns its
 * figures; each starts its own service and tears it down.
 */
import { fork } from "node:child_process";
import * as os from "node:os";
import * as path from "node:path";
import type { LoadRequest, LoadResult } from "./loadClient";
import { CLOCK_TICKS, kernelShare, machineCpu } from "./machine";
import { BenchService, sleep, TOKEN, type OperationView } from "./service";
import { median, round } from "./stats";

export const SPECS = [
  { name: "us-east-1", primary: true, app: { replicas: 2 } },
  { name: "eu-west-1", app: { replicas: 2 } },
  { name: "ap-south-1", app: { replicas: 2 } },
  { name: "sa-east-1", app: { replicas: 2 } },
  { name: "ca-central-1", app: { replicas: 2 } },
];

/** Loopback ports for a section's local regions (1000) and global load balancer (the next one). */
const portEnv = (portBase: number): Record<string, string> => ({
  ARAGORA_LOCAL_PORT_RANGE: `${String(portBase)}-${String(portBase + 999)}`,
  ARAGORA_GLB_PORT: String(portBase + 1000),
});

/** Brings the fleet to the first `size` regions of SPECS with one `POST /fleet/apply`. */
export async function addFleet(svc: BenchService, size: number): Promise<OperationView> {
  return svc.wait(await svc.submit("POST", "/fleet/apply", { regions: SPECS.slice(0, size) }));
}

const ROLLOUT_STEPS = ["up:us-east-1", "up:eu-west-1", "up:ap-south-1", "up:global"];

/**
 * The example fleet (3 regions + global) in one operation. Besides the figures, checks what makes
 * them meaningful: exactly one `up` per stack, every region ready, and with MAX_PARALLEL=1 no two
 * steps overlapping.
 */
export async function rollout(maxParallel: number, portBase: number, env: Record<string, string> = {}): Promise<Record<string, number>> {
  const svc = await BenchService.create(`aragora-bench-p${String(maxParallel)}-`, { ARAGORA_MAX_PARALLEL: String(maxParallel), ...env, ...portEnv(portBase) });
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
    if (steps.map((s) => s.id).join() !== ROLLOUT_STEPS.join()) throw new Error(`expected ${ROLLOUT_STEPS.join(", ")} to succeed, got ${op.steps.map((s) => `${s.id} ${s.status}`).join(", ")}`);
    const regions = (await svc.api("GET", "/regions", { token: TOKEN })).body.regions as { name: string; status: string }[];
    if (regions.some((r) => r.status !== "ready")) throw new Error(`regions not ready after the rollout: ${JSON.stringify(regions)}`);
    // A step's own time: from when its dependencies were done (or it started, if later) to its end.
    const end = (id: string) => Date.parse(steps.find((s) => s.id === id)?.finishedAt ?? "");
    const dur = (stack: string) => {
      const s = steps.find((x) => x.stack === stack);
      if (!s?.startedAt || !s.finishedAt) return 0;
      const from = Math.max(Date.parse(s.startedAt), ...(s.dependsOn ?? []).map(end));
      return Date.parse(s.finishedAt) - from;
    };
    const span = (stack: string): [number, number] => {
      const s = steps.find((x) => x.stack === stack);
      return [Date.parse(s?.startedAt ?? ""), Date.parse(s?.finishedAt ?? "")];
    };
    const intervals = steps.map((s) => span(s.stack)).sort((a, b) => a[0] - b[0]);
    const overlaps = intervals.filter((iv, i) => i > 0 && iv[0] < (intervals[i - 1]?.[1] ?? 0)).length;
    if (maxParallel === 1 && overlaps > 0) throw new Error(`MAX_PARALLEL=1, yet ${String(overlaps)} steps overlapped`);
    const [eu, ap] = [span("eu-west-1"), span("ap-south-1")];
    const sum = steps.reduce((a, s) => a + (s.durationMs ?? 0), 0);
    const ownSum = steps.reduce((a, s) => a + dur(s.stack), 0);
    const replicas = [dur("eu-west-1"), dur("ap-south-1")];
    const critical = dur("us-east-1") + Math.max(...replicas) + dur("global");
    const peaks = svc.peaks();
    return {
      wallMs: wall, sumOfStepsMs: sum, sumOfOwnStepTimeMs: ownSum, criticalPathMs: critical, efficiency: round(critical / wall, 3),
      overlappingStepPairs: overlaps, replicasOverlapped: eu[0] < ap[1] && ap[0] < eu[1] ? 1 : 0,
      primaryStepMs: dur("us-east-1"), replicaStepMaxMs: Math.max(...replicas), replicaStepMinMs: Math.min(...replicas), globalStepMs: dur("global"),
      machineCpuBusySec: round(busySec, 1), machineCpuUtilization: round(busySec / ((wall / 1000) * os.cpus().length), 2),
      machineCpuKernelShare: kernelShare(cpu0, cpu1),
      serviceRssMb: peaks.serviceMb, engineRssMb: peaks.engineMb,
    };
  } finally {
    await svc.teardown();
  }
}

export async function noopReconcile(portBase: number): Promise<Record<string, number>> {
  const svc = await BenchService.create("aragora-bench-noop-", { ARAGORA_MAX_PARALLEL: "4", ...portEnv(portBase) });
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
      out[`regions${String(size)}Ms`] = round(median(runs), 2);
    }
    out["ratio5to1"] = round((out["regions5Ms"] ?? 0) / (out["regions1Ms"] ?? 1), 2);
    return out;
  } finally {
    await svc.teardown();
  }
}

export async function apiLoad(portBase: number, env: Record<string, string> = {}, mode: LoadRequest["mode"] = "steady"): Promise<Record<string, number>> {
  // Nothing here reports RSS: no sampler competing with the service for a CPU.
  const svc = await BenchService.create("aragora-bench-api-", { ...env, ARAGORA_MAX_PARALLEL: "4", ...portEnv(portBase) }, false);
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
    const status = (await svc.api("GET", `/operations/${busy}`, { token: TOKEN })).body.status;
    out["busy_operationStillRunningAfterLoad"] = status === "running" ? 1 : 0;
    await svc.wait(busy);
    return out;
  } finally {
    await svc.teardown();
  }
}

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
