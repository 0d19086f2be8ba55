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
import autocannon from "autocannon";

export interface LoadRequest {
  url: string;
  token: string;
  rate: number;
  connections: number;
  durationSec: number;
  warmupSec: number;
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
