import { primary } from "../../support/fixtures";
import { startTestService, type FakeService } from "../../support/serviceDriver";

describe("400s name every bad field; never a 500 for bad input", () => {
  let h: FakeService;
  beforeAll(async () => { h = await startTestService({ env: { ARAGORA_BODY_LIMIT: "2kb" } }); });
  afterAll(async () => { await h.close(); });

  test("when a spec has several bad fields, then 400 lists each with its path", async () => {
    const res = await h.req("POST", "/regions", {
      token: "operator",
      body: { name: "Bad Name", provider: "gcp", network: { azCount: 9 }, postgres: { walKeepSize: "2 gigs" }, app: { replicas: 0 }, colour: "blue" },
    });
    expect(res.status).toBe(400);
    expect(res.body.error.code).toBe("invalid_request");
    const paths = res.body.error.details.map((d: any) => d.path);
    expect(paths).toEqual(expect.arrayContaining(["name", "provider", "network.azCount", "postgres.walKeepSize", "app.replicas", "colour"]));
    for (const d of res.body.error.details) expect(d.message).toEqual(expect.any(String));
  });

  test.each([
    ["POST", "/regions?dryRun=maybe", primary, "query.dryRun"],
    ["POST", "/regions?resources=true", primary, "query.resources"],
    ["POST", "/regions?colour=blue", primary, "query.colour"],
    ["GET", "/operations?limit=0", undefined, "query.limit"],
    ["GET", "/operations?status=done", undefined, "query.status"],
    ["GET", "/operations?kind=explode", undefined, "query.kind"],
    ["GET", "/operations/not-a-uuid", undefined, "params.id"],
    ["GET", "/regions/Not_A_Region", undefined, "params.name"],
    ["PUT", "/regions/us-east-1", { ...primary, name: "eu-west-1" }, "name"],
    ["POST", "/failover", { to: "NOPE" }, "to"],
    ["POST", "/failover", { to: "eu-west-1", force: "yes" }, "force"],
    ["POST", "/failover", {}, "to"],
    ["POST", "/fleet/reconcile", { everything: true }, "everything"],
  ])("when %s %s is sent with a bad part, then 400 names %s", async (method, path, body, field) => {
    const res = await h.req(method, path, { token: "admin", ...(body !== undefined ? { body } : {}) });
    expect(res.status).toBe(400);
    expect(res.body.error.details.map((d: any) => d.path)).toContain(field);
  });

  test("when the body is not JSON, then 400; when it is too large, then 413; both in the one error shape", async () => {
    const bad = await h.req("POST", "/regions", { token: "operator", body: "{not json" });
    expect(bad.status).toBe(400);
    expect(bad.body.error).toMatchObject({ code: "invalid_request" });
    const big = await h.req("POST", "/regions", { token: "operator", body: { ...primary, padding: "x".repeat(5000) } });
    expect(big.status).toBe(413);
    expect(Object.keys(big.body)).toEqual(["error"]);
  });

  test("when a PUT, DELETE or preview names an unknown region, then 404; unknown routes are 404 too", async () => {
    expect((await h.req("PUT", "/regions/eu-west-1", { body: { app: { replicas: 2 } } })).status).toBe(404);
    expect((await h.req("DELETE", "/regions/eu-west-1")).status).toBe(404);
    expect((await h.req("POST", "/regions/eu-west-1/preview")).status).toBe(404);
    expect((await h.req("POST", "/failover", { body: { to: "eu-west-1" } })).status).toBe(404);
    const unknown = await h.req("GET", "/nothing-here");
    expect(unknown.status).toBe(404);
    expect(unknown.body.error.code).toBe("not_found");
  });

  test("when a spec conflicts with the fleet (exists, second primary), then 409 with the field", async () => {
    const p = await h.req("POST", "/regions", { body: primary });
    expect(p.status).toBe(202);
    await h.waitFor(p.body.operation.id);
    const dup = await h.req("POST", "/regions", { body: primary });
    expect(dup.status).toBe(409);
    const second = await h.req("POST", "/regions", { body: { name: "eu-west-1", primary: true } });
    expect(second.status).toBe(409);
    expect(second.body.error.details.map((d: any) => d.path)).toContain("primary");
  });

  test("when responses are sent, then they carry helmet's security headers", async () => {
    const res = await h.req("GET", "/health", { token: null });
    expect(res.headers.get("x-content-type-options")).toBe("nosniff");
    expect(res.headers.get("x-powered-by")).toBeNull();
    expect(res.headers.get("content-security-policy")).toEqual(expect.any(String));
  });
});
