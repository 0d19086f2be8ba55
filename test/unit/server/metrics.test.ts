import { register as globalRegistry } from "prom-client";
import { ServiceMetrics, type MetricsSources, type QueueStats } from "../../../server/metrics";
import type { StoreMetrics } from "../../../server/store/store";

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

const IDLE: QueueStats = { activeOperations: 0, queuedOperations: 0, runningSteps: 0, waitingSteps: 0 };

function sources(o: { store?: StoreMetrics; queue?: QueueStats; lagProbe?: MetricsSources["lagProbe"]; lagTimeoutMs?: number } = {}): MetricsSources & { storeMetrics: StoreMetrics } {
  const s = {
    storeMetrics: o.store ?? { operations: [], stepDurations: [] },
    store: { metrics: () => Promise.resolve(s.storeMetrics), listRegions: () => Promise.resolve([]) },
    queue: () => o.queue ?? IDLE,
    lagProbe: o.lagProbe,
    lagTimeoutMs: o.lagTimeoutMs,
  };
  return s;
}

/** The lines of one metric family: HELP, TYPE and its samples, in order. */
function family(text: string, name: string): string[] {
  return text.split("\n").filter((l) => l.startsWith(`# HELP ${name} `) || l.startsWith(`# TYPE ${name} `) || new RegExp(`^${name}(_bucket|_sum|_count)?[{ ]`).test(l));
}

function value(text: string, name: string): number {
  const m = new RegExp(`^${name} (\\S+)$`, "m").exec(text);
  if (!m?.[1]) throw new Error(`no ${name} in ${text}`);
  return Number(m[1]);
}

describe("/metrics through prom-client", () => {
  const open: ServiceMetrics[] = [];
  const make = (s: MetricsSources): ServiceMetrics => {
    const m = new ServiceMetrics(s);
    open.push(m);
    return m;
  };
  afterAll(() => { for (const m of open) m.close(); });

  test("when the store, the orchestrator and the lag probe give known figures, then each series says exactly them", async () => {
    const m = make(sources({
      store: {
        operations: [{ kind: "add", status: "succeeded", count: 3 }, { kind: "remove", status: "failed", count: 1 }],
        stepDurations: [
          { action: "up", buckets: [{ le: 1, count: 0 }, { le: 5, count: 2 }, { le: 15, count: 3 }], count: 4, sumSeconds: 31.5 },
          { action: "destroy", buckets: [{ le: 1, count: 1 }, { le: 5, count: 1 }, { le: 15, count: 1 }], count: 1, sumSeconds: 0.25 },
        ],
      },
      queue: { activeOperations: 3, queuedOperations: 2, runningSteps: 1, waitingSteps: 5 },
      lagProbe: { lagSeconds: () => Promise.resolve({ "eu-west-1": 0.5, "ap-south-1": 12, "us-east-1": undefined }) },
    }));
    const text = await m.scrape();
    expect(family(text, "aragora_operations")).toEqual([
      "# HELP aragora_operations Operations recorded, by kind and status.",
      "# TYPE aragora_operations gauge",
      'aragora_operations{kind="add",status="succeeded"} 3',
      'aragora_operations{kind="remove",status="failed"} 1',
    ]);
    expect(family(text, "aragora_step_duration_seconds")).toEqual([
      "# HELP aragora_step_duration_seconds Duration of finished stack steps, by action.",
      "# TYPE aragora_step_duration_seconds histogram",
      'aragora_step_duration_seconds_bucket{action="up",le="1"} 0',
      'aragora_step_duration_seconds_bucket{action="up",le="5"} 2',
      'aragora_step_duration_seconds_bucket{action="up",le="15"} 3',
      'aragora_step_duration_seconds_bucket{action="up",le="+Inf"} 4',
      'aragora_step_duration_seconds_sum{action="up"} 31.5',
      'aragora_step_duration_seconds_count{action="up"} 4',
      'aragora_step_duration_seconds_bucket{action="destroy",le="1"} 1',
      'aragora_step_duration_seconds_bucket{action="destroy",le="5"} 1',
      'aragora_step_duration_seconds_bucket{action="destroy",le="15"} 1',
      'aragora_step_duration_seconds_bucket{action="destroy",le="+Inf"} 1',
      'aragora_step_duration_seconds_sum{action="destroy"} 0.25',
      'aragora_step_duration_seconds_count{action="destroy"} 1',
    ]);
    expect(family(text, "aragora_queue_depth")).toEqual(["# HELP aragora_queue_depth Operations accepted but not started yet.", "# TYPE aragora_queue_depth gauge", "aragora_queue_depth 2"]);
    expect(family(text, "aragora_steps_waiting")).toEqual(["# HELP aragora_steps_waiting Steps of active operations waiting for their turn.", "# TYPE aragora_steps_waiting gauge", "aragora_steps_waiting 5"]);
    expect(family(text, "aragora_steps_running")).toEqual(["# HELP aragora_steps_running Steps running now.", "# TYPE aragora_steps_running gauge", "aragora_steps_running 1"]);
    expect(family(text, "pg_replication_lag_seconds")).toEqual([
      "# HELP pg_replication_lag_seconds Replication lag of each replica region (runbook alert: > 60).",
      "# TYPE pg_replication_lag_seconds gauge",
      'pg_replication_lag_seconds{region="eu-west-1"} 0.5',
      'pg_replication_lag_seconds{region="ap-south-1"} 12',
    ]);
    expect(m.contentType).toBe("text/plain; version=0.0.4; charset=utf-8");
  });

  test("when the figures change between scrapes, then series that went away are gone and label values are escaped", async () => {
    const s = sources({ store: { operations: [{ kind: "add", status: "running", count: 1 }], stepDurations: [] } });
    const m = make(s);
    expect(family(await m.scrape(), "aragora_operations").slice(2)).toEqual(['aragora_operations{kind="add",status="running"} 1']);
    s.storeMetrics = { operations: [{ kind: 'a"b\\c', status: "succeeded", count: 1 }], stepDurations: [] };
    const text = await m.scrape();
    expect(family(text, "aragora_operations").slice(2)).toEqual(['aragora_operations{kind="a\\"b\\\\c",status="succeeded"} 1']);
    expect(family(text, "aragora_step_duration_seconds").slice(2)).toEqual([]);
  });

  test("when there is no lag probe, or it fails, or it is slower than its bound, then there is no lag series and the scrape still answers", async () => {
    expect(await make(sources()).scrape()).not.toContain("pg_replication_lag_seconds");
    const failing = await make(sources({ lagProbe: { lagSeconds: () => Promise.reject(new Error("down")) } })).scrape();
    expect(family(failing, "pg_replication_lag_seconds").slice(2)).toEqual([]);
    let late: NodeJS.Timeout | undefined;
    const slow = make(sources({ lagTimeoutMs: 100, lagProbe: { lagSeconds: () => new Promise((r) => { late = setTimeout(() => { r({ "eu-west-1": 1 }); }, 5000); }) } }));
    const t0 = Date.now();
    const text = await slow.scrape();
    clearTimeout(late);
    expect(Date.now() - t0).toBeLessThan(2000);
    expect(family(text, "pg_replication_lag_seconds").slice(2)).toEqual([]);
  });

  test("when two services run in one process, then each has its own registry and none uses prom-client's global one", async () => {
    const a = make(sources({ queue: { ...IDLE, queuedOperations: 1 } }));
    const b = make(sources({ queue: { ...IDLE, queuedOperations: 7 } }));
    const [ta, tb] = await Promise.all([a.scrape(), b.scrape()]);
    expect(value(ta, "aragora_queue_depth")).toBe(1);
    expect(value(tb, "aragora_queue_depth")).toBe(7);
    for (const t of [ta, tb]) expect(value(t, "process_resident_memory_bytes")).toBeGreaterThan(10 * 1024 * 1024);
    expect(globalRegistry.getMetricsAsArray()).toEqual([]);
  });

  test("when scraped, then CPU time and resident memory are the process's own", async () => {
    const text = await make(sources()).scrape();
    expect(value(text, "process_resident_memory_bytes")).toBeGreaterThan(10 * 1024 * 1024);
    const cpu = process.cpuUsage();
    expect(value(text, "process_cpu_seconds_total")).toBeLessThanOrEqual((cpu.user + cpu.system) / 1e6);
    expect(value(text, "process_cpu_seconds_total")).toBeGreaterThan(0);
  });

  test("when the event loop was blocked, then the next scrape's max delay shows it, and the scrape after that starts afresh", async () => {
    const m = make(sources());
    await m.scrape(); // start a window
    await sleep(50);
    const until = Date.now() + 300;
    while (Date.now() < until) { /* block the loop */ }
    await sleep(50);
    const blocked = await m.scrape();
    expect(value(blocked, "nodejs_eventloop_lag_max_seconds")).toBeGreaterThanOrEqual(0.3);
    expect(value(blocked, "nodejs_eventloop_lag_p50_seconds")).toBeLessThanOrEqual(value(blocked, "nodejs_eventloop_lag_p99_seconds"));
    await sleep(50);
    // A fresh window: the 300 ms block is not in it.
    expect(value(await m.scrape(), "nodejs_eventloop_lag_max_seconds")).toBeLessThan(0.25);
  });
});
