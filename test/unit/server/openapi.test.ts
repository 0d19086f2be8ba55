/**
 * The OpenAPI document's refusals: every change (any method but GET) can be rate limited (429 with
 * Retry-After, server/auth/rateLimit.ts), and every call that starts an operation (its 202) can be
 * refused with 503 (queue full, ARAGORA_MAX_QUEUED_OPERATIONS, or shutting down).
 */
import { startTestService, type FakeService } from "../../support/serviceDriver";

type Ops = Record<string, Record<string, { responses: Record<string, { description: string; content?: Record<string, { schema: { $ref?: string } }> }> }>>;

describe("OpenAPI: rate limit and queue refusals", () => {
  let h: FakeService;
  let paths: Ops;
  beforeAll(async () => {
    h = await startTestService({ handlers: {} });
    paths = (await h.req("GET", "/openapi.json", { token: "viewer" })).body.paths as Ops;
  });
  afterAll(async () => { await h.close(); });

  const all = (): [string, string, Ops[string][string]][] =>
    Object.entries(paths).flatMap(([p, methods]) => Object.entries(methods).map(([m, op]) => [p, m, op] as [string, string, Ops[string][string]]));

  test("when the document is read, then every change lists 429 with the error schema and Retry-After, and no read does", () => {
    const changes = all().filter(([, m]) => m !== "get");
    expect(changes.map(([p, m]) => `${m.toUpperCase()} ${p}`).sort()).toEqual([
      "DELETE /regions/{name}", "POST /failover", "POST /fleet/apply", "POST /fleet/reconcile", "POST /fleet/refresh", "POST /fleet/validate",
      "POST /operations/{id}/cancel", "POST /operations/{id}/retry", "POST /regions", "POST /regions/{name}/preview", "POST /stacks/{name}/pending-operations", "PUT /regions/{name}",
    ]);
    for (const [p, m, op] of changes) {
      const r = op.responses["429"];
      expect({ route: `${m} ${p}`, has429: r !== undefined }).toEqual({ route: `${m} ${p}`, has429: true });
      expect(r?.description).toMatch(/rate_limited.*Retry-After/);
      expect(r?.content?.["application/json"]?.schema.$ref).toBe("#/components/schemas/Error");
    }
    for (const [p, m, op] of all().filter(([, m]) => m === "get")) expect({ route: `${m} ${p}`, has429: "429" in op.responses }).toEqual({ route: `${m} ${p}`, has429: false });
  });

  test("when the document is read, then exactly the calls that start an operation (202) list 503 queue_full / shutting down, and /health its degraded answer", () => {
    const starting = all().filter(([, , op]) => "202" in op.responses).map(([p, m]) => `${m.toUpperCase()} ${p}`).sort();
    const with503 = all().filter(([, , op]) => "503" in op.responses).map(([p, m]) => `${m.toUpperCase()} ${p}`).sort();
    expect(with503).toEqual([...starting, "GET /health"].sort());
    expect(paths["/health"]?.["get"]?.responses["503"]?.content?.["application/json"]?.schema.$ref).toBe("#/components/schemas/Health");
    expect(starting).toEqual([
      "DELETE /regions/{name}", "POST /failover", "POST /fleet/apply", "POST /fleet/reconcile", "POST /fleet/refresh", "POST /fleet/validate",
      "POST /operations/{id}/retry", "POST /regions", "POST /regions/{name}/preview", "PUT /regions/{name}",
    ]);
    expect(paths["/regions"]?.["post"]?.responses["503"]?.description).toMatch(/queue_full.*ARAGORA_MAX_QUEUED_OPERATIONS.*Retry-After.*shutting down/);
  });
});
