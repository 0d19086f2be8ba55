/**
 * `GET /metrics` in Prometheus text format: operations by kind and status, step durations by
 * action (histogram), queue depth, running steps, and per-region replication lag from a pluggable
 * probe (the runbook's `pg_replication_lag_seconds`).
 *
 * Lag probe seam: pass `lagProbe` to createApp. It gets the regions and returns seconds per region
 * (undefined = unknown, e.g. a primary or an idle standby whose replay_lag is NULL). main.ts passes
 * the drills' probe (server/drills), which reads `pg_stat_replication` on the local target's
 * primary; without a probe no lag series is exported. The probe is bounded by a timeout so a slow
 * database never stalls a scrape.
 *
 * The service process itself (ProcessMetrics): CPU time, resident memory, and how late its event
 * loop ran since the previous scrape, which is how long a request could have waited for it.
 */
import { monitorEventLoopDelay } from "node:perf_hooks";
import type { RegionRecord } from "../domain/model";
import type { StoreMetrics } from "./store/store";

export interface LagProbe {
  lagSeconds(regions: readonly RegionRecord[]): Promise<Record<string, number | undefined>>;
}

export interface QueueStats {
  activeOperations: number;
  queuedOperations: number;
  runningSteps: number;
  waitingSteps: number;
}

const esc = (v: string): string => v.replace(/\\/g, "\\\\").replace(/"/g, '\\"').replace(/\n/g, "\\n");

export async function probeLag(probe: LagProbe | undefined, regions: readonly RegionRecord[], timeoutMs = 2000): Promise<Record<string, number | undefined>> {
  if (!probe) return {};
  let timer: NodeJS.Timeout | undefined;
  try {
    return await Promise.race([
      probe.lagSeconds(regions),
      new Promise<Record<string, number | undefined>>((resolve) => {
        timer = setTimeout(() => {
          resolve({});
        }, timeoutMs);
      }),
    ]);
  } catch {
    return {};
  } finally {
    if (timer) clearTimeout(timer);
  }
}

/** A series' HELP and TYPE lines. */
function header(name: string, type: "gauge" | "counter" | "histogram", help: string): string[] {
  return [`# HELP ${name} ${help}`, `# TYPE ${name} ${type}`];
}

/** A series with one unlabelled value. */
function single(name: string, type: "gauge" | "counter", help: string, value: number): string[] {
  return [...header(name, type, help), `${name} ${String(value)}`];
}

/** Resolution of the event-loop delay sampler: a timer every 10 ms, and how late it fired. */
const LOOP_RESOLUTION_MS = 10;

export class ProcessMetrics {
  private readonly loop: ReturnType<typeof monitorEventLoopDelay> = monitorEventLoopDelay({ resolution: LOOP_RESOLUTION_MS });

  constructor() {
    this.loop.enable();
  }

  /** The process's series; the event-loop figures cover the time since the previous call. */
  lines(): string[] {
    const cpu = process.cpuUsage();
    const late = (ns: number): number => (this.loop.count === 0 ? 0 : Math.max(0, ns / 1e9 - LOOP_RESOLUTION_MS / 1000));
    const p50 = late(this.loop.percentile(50));
    const p99 = late(this.loop.percentile(99));
    const max = late(this.loop.max);
    this.loop.reset();
    return [
      ...single("process_cpu_seconds_total", "counter", "User and system CPU time of the service process.", (cpu.user + cpu.system) / 1e6),
      ...single("process_resident_memory_bytes", "gauge", "Resident memory of the service process.", process.memoryUsage.rss()),
      ...single("nodejs_eventloop_lag_p50_seconds", "gauge", "Median delay of the service's event loop since the previous scrape.", p50),
      ...single("nodejs_eventloop_lag_p99_seconds", "gauge", "99th percentile delay of the service's event loop since the previous scrape.", p99),
      ...single("nodejs_eventloop_lag_max_seconds", "gauge", "Longest delay of the service's event loop since the previous scrape.", max),
    ];
  }

  close(): void {
    this.loop.disable();
  }
}

export function renderMetrics(m: StoreMetrics, q: QueueStats, lag: Record<string, number | undefined>, proc?: ProcessMetrics): string {
  const lines: string[] = [];
  lines.push(...header("aragora_operations", "gauge", "Operations recorded, by kind and status."));
  for (const o of m.operations) lines.push(`aragora_operations{kind="${esc(o.kind)}",status="${esc(o.status)}"} ${o.count}`);

  lines.push(...header("aragora_step_duration_seconds", "histogram", "Duration of finished stack steps, by action."));
  for (const d of m.stepDurations) {
    const a = esc(d.action);
    for (const b of d.buckets) lines.push(`aragora_step_duration_seconds_bucket{action="${a}",le="${b.le}"} ${b.count}`);
    lines.push(`aragora_step_duration_seconds_bucket{action="${a}",le="+Inf"} ${d.count}`);
    lines.push(`aragora_step_duration_seconds_sum{action="${a}"} ${d.sumSeconds}`);
    lines.push(`aragora_step_duration_seconds_count{action="${a}"} ${d.count}`);
  }

  lines.push(...single("aragora_queue_depth", "gauge", "Operations accepted but not started yet.", q.queuedOperations));
  lines.push(...single("aragora_steps_waiting", "gauge", "Steps of active operations waiting for their turn.", q.waitingSteps));
  lines.push(...single("aragora_steps_running", "gauge", "Steps running now.", q.runningSteps));

  const lagEntries = Object.entries(lag).filter((e): e is [string, number] => typeof e[1] === "number");
  if (lagEntries.length > 0) {
    lines.push(...header("pg_replication_lag_seconds", "gauge", "Replication lag of each replica region (runbook alert: > 60)."));
    for (const [region, v] of lagEntries) lines.push(`pg_replication_lag_seconds{region="${esc(region)}"} ${v}`);
  }
  if (proc) lines.push(...proc.lines());
  return lines.join("\n") + "\n";
}
