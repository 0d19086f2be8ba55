/**
 * The bench's load generator, run as its own process (bench/run.ts forks it).
 *
 * Why a process of its own: the bench samples /proc every 250 ms to find the peak RSS of the
 * service and its engine processes. That scan is synchronous and took the bench's event loop for
 * milliseconds at a time; when autocannon ran on the same loop, those milliseconds were counted
 * as the service's latency (idle p99 17 ms against a p50 of 2 ms).
 *
 * Input: one IPC message `{url, token, rate, connections, durationSec, warmupSec}`.
 * Output: one IPC message with the latency percentiles, the throughput and the non-2xx count.
 */
import * as http from "node:http";
import autocannon from "autocannon";
import { percentile, round } from "./stats";

export interface LoadRequest {
  url: string;
  token: string;
  rate: number;
  connections: number;
  durationSec: number;
  warmupSec: number;
  /**
   * `steady` (the default): open loop, one request every 1/rate s, latency from when it was due.
   * `autocannon`: autocannon's rate mode, which sends each connection's share of a second back to
   * back and then pauses, and times from when a request was sent: it packs the load into bursts
   * and does not see a stall that falls in a pause.
   */
  mode?: "steady" | "autocannon";
}

export interface LoadResult {
  p50Ms: number;
  p90Ms: number;
  p99Ms: number;
  maxMs: number;
  rps: number;
  non2xx: number;
}

async function load(req: LoadRequest): Promise<LoadResult> {
  if (req.mode === "autocannon") return loadAutocannon(req);
  if (req.warmupSec > 0) await steady(req, false);
  const lat = await steady(req, true);
  const sorted = [...lat].sort((a, b) => a - b);
  const at = (q: number) => round(percentile(sorted, q));
  return { p50Ms: at(0.5), p90Ms: at(0.9), p99Ms: at(0.99), maxMs: at(1), rps: round(sorted.length / (lat.elapsedMs / 1000)), non2xx: lat.non2xx };
}

/**
 * Open-loop load at a steady rate: request i is due at start + i / rate, whether or not earlier
 * ones have been answered, and its latency runs from when it was due (not from when a socket was
 * free to send it), so a stall of the service counts for every request that fell due during it.
 */
async function steady(req: LoadRequest, measure: boolean): Promise<number[] & { non2xx: number; elapsedMs: number }> {
  const agent = new http.Agent({ keepAlive: true, maxSockets: req.connections });
  const url = new URL(req.url);
  const interval = 1000 / req.rate;
  const total = Math.round(req.rate * (measure ? req.durationSec : req.warmupSec));
  const latencies: number[] = [];
  let non2xx = 0;
  let done = 0;
  const start = performance.now();
  return new Promise((resolve) => {
    const finish = (due: number, ok: boolean) => {
      latencies.push(performance.now() - due);
      if (!ok) non2xx++;
      if (++done === total) {
        agent.destroy();
        resolve(Object.assign(latencies, { non2xx, elapsedMs: performance.now() - start }));
      }
    };
    const send = (due: number) => {
      const r = http.get({ agent, host: url.hostname, port: url.port, path: url.pathname, headers: { authorization: `Bearer ${req.token}` } }, (res) => {
        res.resume();
        res.on("end", () => { finish(due, res.statusCode !== undefined && res.statusCode < 300); });
      });
      r.on("error", () => { finish(due, false); });
    };
    let sent = 0;
    const tick = () => {
      const now = performance.now();
      while (sent < total && start + sent * interval <= now) send(start + sent++ * interval);
      if (sent < total) setTimeout(tick, Math.max(0, start + sent * interval - performance.now()));
    };
    tick();
  });
}

async function loadAutocannon(req: LoadRequest): Promise<LoadResult> {
  const opts = { url: req.url, headers: { authorization: `Bearer ${req.token}` }, connections: req.connections, overallRate: req.rate };
  // Unmeasured first: the JIT and connection setup are not what is asked.
  if (req.warmupSec > 0) await autocannon({ ...opts, duration: req.warmupSec });
  const r = await autocannon({ ...opts, duration: req.durationSec });
  return {
    p50Ms: r.latency.p50,
    p90Ms: r.latency.p90,
    p99Ms: r.latency.p99,
    maxMs: r.latency.max,
    rps: Math.round(r.requests.average * 10) / 10,
    non2xx: r.non2xx + r.errors,
  };
}

process.once("message", (m: LoadRequest) => {
  load(m).then(
    (result) => { process.send?.({ result }, () => { process.exit(0); }); },
    (err: unknown) => { process.send?.({ error: err instanceof Error ? err.message : String(err) }, () => { process.exit(1); }); },
  );
});
