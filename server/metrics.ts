/**
 * `GET /metrics` through prom-client, one Registry per service instance (several services in one
 * test process do not share series):
 *
 * - prom-client's default metrics: the process's CPU time, memory, file descriptors, heap, GC,
 *   and its event-loop delay (`nodejs_eventloop_lag_{min,max,mean,p50,p90,p99}_seconds`: the
 *   intervals of a 10 ms timer since the previous scrape, so 0.01 means "on time");
 * - `aragora_operations{kind,status}`: operations recorded, by kind and status (from the store);
 * - `aragora_step_duration_seconds{action}`: a histogram of finished steps' durations (from the
 *   store: every step ever finished, so it survives restarts; see stepDurationHistogram);
 * - `aragora_queue_depth`, `aragora_steps_waiting`, `aragora_steps_running`: the orchestrator now;
 * - `pg_replication_lag_seconds{region}`: only with a lag probe.
 *
 * Lag probe seam: pass `lagProbe` to createApp. It gets the regions and returns seconds per region
 * (undefined = unknown, e.g. a primary or an idle standby whose replay_lag is NULL). main.ts passes
 * the drills' probe (server/drills), which reads `pg_stat_replication` on the local target's
 * primary; without a probe no lag series is exported. The probe is bounded by a timeout so a slow
 * database never stalls a scrape.
 */
import { AggregatorRegistry, collectDefaultMetrics, Gauge, Registry, type PrometheusContentType } from "prom-client";
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

/** Resolution of the event-loop delay sampler: a timer every 10 ms, and how long each interval took. */
export const EVENT_LOOP_RESOLUTION_MS = 10;

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

/** Where the service's own series come from. */
export interface MetricsSources {
  store: { metrics(): Promise<StoreMetrics>; listRegions(): Promise<RegionRecord[]> };
  queue: () => QueueStats;
  lagProbe?: LagProbe | undefined;
  /** Bound on one lag probe (default 2 s). */
  lagTimeoutMs?: number | undefined;
}

const STEP_DURATION = "aragora_step_duration_seconds";

/**
 * The step-duration histogram as prom-client's metric JSON (what `getMetricsAsJSON()` gives for a
 * histogram). The store keeps every finished step and counts them into buckets per scrape, so the
 * histogram is all-time and survives restarts; prom-client's Histogram only counts what this
 * process observed, so the counted buckets go through `AggregatorRegistry.aggregate`, prom-client's
 * way in for metrics counted elsewhere.
 */
function stepDurationHistogram(m: StoreMetrics): object {
  const values: { metricName: string; labels: Record<string, string | number>; value: number }[] = [];
  for (const d of m.stepDurations) {
    for (const b of d.buckets) values.push({ metricName: `${STEP_DURATION}_bucket`, labels: { action: d.action, le: b.le }, value: b.count });
    values.push({ metricName: `${STEP_DURATION}_bucket`, labels: { action: d.action, le: "+Inf" }, value: d.count });
    values.push({ metricName: `${STEP_DURATION}_sum`, labels: { action: d.action }, value: d.sumSeconds });
    values.push({ metricName: `${STEP_DURATION}_count`, labels: { action: d.action }, value: d.count });
  }
  return { name: STEP_DURATION, help: "Duration of finished stack steps, by action.", type: "histogram", aggregator: "sum", values };
}

/** The service's /metrics: its Registry, and the scrape. */
export class ServiceMetrics {
  private readonly registry = new Registry();
  private readonly operations: Gauge<"kind" | "status">;

  constructor(private readonly src: MetricsSources) {
    const registers = [this.registry];
    collectDefaultMetrics({ register: this.registry, eventLoopMonitoringPrecision: EVENT_LOOP_RESOLUTION_MS });

    // Set by scrape() from the same store read as the step histogram.
    this.operations = new Gauge({
      name: "aragora_operations",
      help: "Operations recorded, by kind and status.",
      labelNames: ["kind", "status"] as const,
      registers,
    });
    const queueGauge = (name: string, help: string, pick: (q: QueueStats) => number): void => {
      new Gauge({
        name,
        help,
        registers,
        collect() {
          this.set(pick(src.queue()));
        },
      });
    };
    queueGauge("aragora_queue_depth", "Operations accepted but not started yet.", (q) => q.queuedOperations);
    queueGauge("aragora_steps_waiting", "Steps of active operations waiting for their turn.", (q) => q.waitingSteps);
    queueGauge("aragora_steps_running", "Steps running now.", (q) => q.runningSteps);

    const probe = src.lagProbe;
    if (probe) {
      new Gauge({
        name: "pg_replication_lag_seconds",
        help: "Replication lag of each replica region (runbook alert: > 60).",
        labelNames: ["region"] as const,
        registers,
        async collect() {
          const lag = await probeLag(probe, await src.store.listRegions(), src.lagTimeoutMs);
          this.reset();
          for (const [region, v] of Object.entries(lag)) if (typeof v === "number") this.set({ region }, v);
        },
      });
    }
  }

  /** `Content-Type` of the scrape (Prometheus text format 0.0.4). */
  get contentType(): string {
    return this.registry.contentType;
  }

  /** One scrape: every series in Prometheus text format. */
  async scrape(): Promise<string> {
    // One read of the store per scrape: the operations by kind and status, and the step durations.
    const m = await this.src.store.metrics();
    this.operations.reset();
    for (const o of m.operations) this.operations.set({ kind: o.kind, status: o.status }, o.count);
    const stored = AggregatorRegistry.aggregate<PrometheusContentType>([[stepDurationHistogram(m)]]);
    return Registry.merge([this.registry, stored]).metrics();
  }

  /** Drops the series (prom-client's default metrics keep their samplers until nothing refers to them). */
  close(): void {
    this.registry.clear();
  }
}
