/**
 * `GET /metrics` in Prometheus text format: operations by kind and status, step durations by
 * action (histogram), queue depth, running steps, and per-region replication lag from a pluggable
 * probe (the runbook's `pg_replication_lag_seconds`).
 *
 * Lag probe seam: pass `lagProbe` to createApp. It gets the regions and returns seconds per region
 * (undefined = unknown, e.g. a primary or an idle standby whose replay_lag is NULL). Until a real
 * probe is registered (it would query `pg_stat_replication` on the primary of the local target),
 * no lag series is exported. The probe is bounded by a timeout so a slow database never stalls a scrape.
 */
import type { RegionRecord } from "./model";
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

export function renderMetrics(m: StoreMetrics, q: QueueStats, lag: Record<string, number | undefined>): string {
  const lines: string[] = [];
  lines.push("# HELP aragora_operations Operations recorded, by kind and status.");
  lines.push("# TYPE aragora_operations gauge");
  for (const o of m.operations) lines.push(`aragora_operations{kind="${esc(o.kind)}",status="${esc(o.status)}"} ${o.count}`);

  lines.push("# HELP aragora_step_duration_seconds Duration of finished stack steps, by action.");
  lines.push("# TYPE aragora_step_duration_seconds histogram");
  for (const d of m.stepDurations) {
    const a = esc(d.action);
    for (const b of d.buckets) lines.push(`aragora_step_duration_seconds_bucket{action="${a}",le="${b.le}"} ${b.count}`);
    lines.push(`aragora_step_duration_seconds_bucket{action="${a}",le="+Inf"} ${d.count}`);
    lines.push(`aragora_step_duration_seconds_sum{action="${a}"} ${d.sumSeconds}`);
    lines.push(`aragora_step_duration_seconds_count{action="${a}"} ${d.count}`);
  }

  lines.push("# HELP aragora_queue_depth Operations accepted but not started yet.");
  lines.push("# TYPE aragora_queue_depth gauge");
  lines.push(`aragora_queue_depth ${q.queuedOperations}`);
  lines.push("# HELP aragora_steps_waiting Steps of active operations waiting for their turn.");
  lines.push("# TYPE aragora_steps_waiting gauge");
  lines.push(`aragora_steps_waiting ${q.waitingSteps}`);
  lines.push("# HELP aragora_steps_running Steps running now.");
  lines.push("# TYPE aragora_steps_running gauge");
  lines.push(`aragora_steps_running ${q.runningSteps}`);

  const lagEntries = Object.entries(lag).filter((e): e is [string, number] => typeof e[1] === "number");
  if (lagEntries.length > 0) {
    lines.push("# HELP pg_replication_lag_seconds Replication lag of each replica region (runbook alert: > 60).");
    lines.push("# TYPE pg_replication_lag_seconds gauge");
    for (const [region, v] of lagEntries) lines.push(`pg_replication_lag_seconds{region="${esc(region)}"} ${v}`);
  }
  return lines.join("\n") + "\n";
}
