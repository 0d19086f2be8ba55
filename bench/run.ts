/**
 * `npm run bench`: how fast the service turns specs into running regions on the local target, and
 * how little it costs when nothing changed. Prints a table and writes bench/results.json.
 *
 * Every figure comes from one run on this machine; compare the ratios, not the absolute numbers
 * (shared machines are noisy). Sections (bench/sections.ts unless noted):
 *   1. rollout of 3 regions + global, ARAGORA_MAX_PARALLEL=4 and =1 (checked: one up per stack,
 *      every region ready, no overlap at 1; figures: overlaps), and the same with the engine
 *      launching the provider plugin per run instead of attaching to a kept server
 *   2. no-op reconcile of unchanged fleets of 1, 3 and 5 regions
 *   3. API latency and throughput (GET /regions, GET /operations/{id}) idle and during an operation
 *   4. footprint: peak RSS of the service and of the engine processes during a rollout
 *   5. engine floor (bench/engineFloor.ts): inline up of an empty program; no-change up of a local
 *      region stack
 * `npm run bench -- rolloutParallel4 api` runs only the named sections.
 */
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { engineFloor } from "./engineFloor";
import { apiLoad, noopReconcile, rollout } from "./sections";
import { round } from "./stats";
import { projectRoot } from "../test/support/serviceProcess";

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
  await run("engine", () => engineFloor(22000));
  await run("rolloutParallel4", () => rollout(4, 23100));
  await run("rolloutParallel1", () => rollout(1, 24200));
  // The same two with every engine run launching the aragora-local plugin itself (the CLI's default).
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
  // What the rollout integration test used to assert on the real engine: with 4, the replicas run side by side.
  if (p4) targets.push({ target: "replica steps overlap (MAX_PARALLEL=4)", figure: String(p4["replicasOverlapped"]), met: p4["replicasOverlapped"] === 1 });
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

  const file = path.join(projectRoot(), "bench", "results.json"); // the source tree, not dist/
  fs.writeFileSync(file, JSON.stringify({ at: new Date().toISOString(), cpus: os.cpus().length, results, targets }, null, 2) + "\n");
  for (const [section, figures] of Object.entries(results)) {
    console.log(`\n${section}`);
    for (const [k, v] of Object.entries(figures)) console.log(`  ${k.padEnd(40)} ${v}`);
  }
  console.log("\ntargets");
  for (const t of targets) console.log(`  ${t.met ? "MET " : "MISS"}  ${t.target.padEnd(52)} ${t.figure}`);
  console.log(`\nwritten to bench/results.json`);
}


main().catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});
