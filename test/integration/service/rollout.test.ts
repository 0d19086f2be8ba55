/**
 * Wall time of adding the three-region example fleet through the API (three POSTs back to back,
 * the orchestrator orders them), with ARAGORA_MAX_PARALLEL=4 and =1. Asserts that every operation
 * succeeds and that with 1 no two stored step intervals overlap; prints the figures.
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
      const ids: string[] = [];
      for (const body of EXAMPLE_FLEET) {
        const res = await api("POST", "/regions", { token: "operator", body });
        expect(res.status).toBe(202);
        ids.push(res.body.operation.id);
      }
      const ops = [];
      for (const id of ids) ops.push(await waitForOperation(api, id));
      figures[`maxParallel=${maxParallel}`] = Date.now() - t;
      expect(ops.map((o) => [o.status, o.error?.message])).toEqual(ops.map(() => ["succeeded", undefined]));
      const intervals = ops.flatMap((o) => o.steps.map((s: any) => [Date.parse(s.startedAt), Date.parse(s.finishedAt)] as [number, number])).sort((a, b) => a[0] - b[0]);
      const overlaps = intervals.filter((iv, i) => i > 0 && iv[0] < intervals[i - 1]![1]).length;
      figures[`maxParallel=${maxParallel} overlapping step pairs`] = overlaps;
      if (maxParallel === 1) expect(overlaps).toBe(0);
    } finally {
      await svc.stop();
      await cleanup(env.stateDir);
    }
  });
}
