import { ProcessMetrics, renderMetrics } from "../../../server/metrics";

function value(lines: string[], name: string): number {
  const line = lines.find((l) => l.startsWith(`${name} `));
  if (!line) throw new Error(`no ${name} in ${lines.join("\n")}`);
  return Number(line.slice(name.length + 1));
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe("the service process's own metrics", () => {
  const pm = new ProcessMetrics();
  afterAll(() => { pm.close(); });

  test("when the event loop was blocked, then the next scrape's max delay shows it, and the scrape after that starts afresh", async () => {
    pm.lines(); // start a window
    await sleep(50);
    const until = Date.now() + 300;
    while (Date.now() < until) { /* block the loop */ }
    await sleep(50);
    const blocked = pm.lines();
    expect(value(blocked, "nodejs_eventloop_lag_max_seconds")).toBeGreaterThanOrEqual(0.25);
    expect(value(blocked, "nodejs_eventloop_lag_p50_seconds")).toBeLessThanOrEqual(value(blocked, "nodejs_eventloop_lag_p99_seconds"));
    await sleep(50);
    // A fresh window: the 300 ms block is not in it.
    expect(value(pm.lines(), "nodejs_eventloop_lag_max_seconds")).toBeLessThan(0.25);
  });

  test("when scraped, then CPU time and resident memory are the process's own", () => {
    const lines = pm.lines();
    expect(value(lines, "process_resident_memory_bytes")).toBeGreaterThan(10 * 1024 * 1024);
    const cpu = process.cpuUsage();
    expect(value(lines, "process_cpu_seconds_total")).toBeLessThanOrEqual((cpu.user + cpu.system) / 1e6);
    expect(value(lines, "process_cpu_seconds_total")).toBeGreaterThan(0);
  });

  test("when rendered with the rest of /metrics, then each series has its HELP and TYPE", () => {
    const text = renderMetrics({ operations: [], stepDurations: [] }, { activeOperations: 0, queuedOperations: 0, runningSteps: 0, waitingSteps: 0 }, {}, pm);
    for (const name of ["process_cpu_seconds_total", "process_resident_memory_bytes", "nodejs_eventloop_lag_p50_seconds", "nodejs_eventloop_lag_p99_seconds", "nodejs_eventloop_lag_max_seconds"]) {
      expect(text).toContain(`# HELP ${name} `);
      expect(text).toMatch(new RegExp(`^# TYPE ${name} (counter|gauge)$`, "m"));
      expect(text).toMatch(new RegExp(`^${name} [0-9.e-]+$`, "m"));
    }
  });
});
