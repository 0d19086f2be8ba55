/**
 * The three-region example fleet in one `POST /fleet/apply`, with ARAGORA_MAX_PARALLEL=4 and =1,
 * on the real engine. Asserts the operation succeeds with one `up` per stack; with 1, that no two
 * step intervals overlap; with 4, that the replicas started once the primary's step had ended and
 * that their engine work overlapped. Prints the wall times (the benchmark, `npm run bench`, is where they are compared).
 */
import { createLogger } from "../../../server/logger";
import { startService } from "../../../server/service";
import { apiFor, cleanup, EXAMPLE_FLEET, testEnv, waitForOperation } from "./serviceHelpers";

jest.setTimeout(1_800_000);

const figures: Record<string, number> = {};

afterAll(() => {
  console.log(`example fleet rollout through the API (ms): ${JSON.stringify(figures)}`);
});

/** Order of the runs (the first pays for cold caches): ARAGORA_ROLLOUT_ORDER="1,4" to reverse. */
const ORDER = (process.env["ARAGORA_ROLLOUT_ORDER"] ?? "4,1").split(",").map(Number);

for (const maxParallel of ORDER) {
  test(`when the example fleet is added with ARAGORA_MAX_PARALLEL=${maxParallel}, then every operation succeeds${maxParallel === 1 ? " and no two steps overlap" : ""}`, async () => {
    const env = await testEnv(3);
    const svc = await startService(env.config({ ARAGORA_MAX_PARALLEL: String(maxParallel) }), { logger: createLogger({ level: "silent" }) });
    try {
      const api = apiFor(svc.url);
      const t = Date.now();
      const res = await api("POST", "/fleet/apply", { token: "operator", body: { regions: EXAMPLE_FLEET } });
      expect(res.status).toBe(202);
      const op = await waitForOperation(api, res.body.operation.id);
      figures[`maxParallel=${maxParallel}`] = Date.now() - t;
      expect([op.status, op.error?.message]).toEqual(["succeeded", undefined]);
      expect(op.steps.map((s: any) => [s.id, s.status])).toEqual([
        ["up:us-east-1", "succeeded"], ["up:eu-west-1", "succeeded"], ["up:ap-south-1", "succeeded"], ["up:global", "succeeded"],
      ]);
      const step = (id: string) => op.steps.find((s: any) => s.id === id);
      const span = (id: string): [number, number] => [Date.parse(step(id).startedAt), Date.parse(step(id).finishedAt)];
      const intervals = op.steps.map((s: any) => span(s.id)).sort((a: [number, number], b: [number, number]) => a[0] - b[0]);
      const overlaps = intervals.filter((iv: [number, number], i: number) => i > 0 && iv[0] < intervals[i - 1][1]).length;
      figures[`maxParallel=${maxParallel} overlapping step pairs`] = overlaps;
      if (maxParallel === 1) {
        expect(overlaps).toBe(0);
      } else {
        expect(span("up:eu-west-1")[0]).toBeGreaterThanOrEqual(span("up:us-east-1")[1]);
        expect(span("up:ap-south-1")[0]).toBeGreaterThanOrEqual(span("up:us-east-1")[1]);
        expect(span("up:eu-west-1")[0]).toBeLessThan(span("up:ap-south-1")[1]);
        expect(span("up:ap-south-1")[0]).toBeLessThan(span("up:eu-west-1")[1]);
      }
      const regions = await api("GET", "/regions", { token: "viewer" });
      expect(regions.body.regions.map((r: any) => [r.name, r.status])).toEqual([["us-east-1", "ready"], ["eu-west-1", "ready"], ["ap-south-1", "ready"]]);
    } finally {
      await svc.stop();
      await cleanup(env.stateDir);
    }
  });
}
