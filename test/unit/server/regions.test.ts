import { primary, replica } from "../../support/fixtures";
import { startTestService, type FakeService } from "../../support/serviceDriver";

describe("regions over HTTP with a fake engine", () => {
  let h: FakeService;
  beforeEach(async () => { h = await startTestService(); });
  afterEach(async () => { await h.close(); });

  test("when a primary is added, then 202 with Location, the stacks run primary then global, and the region is ready with secrets masked", async () => {
    const res = await h.req("POST", "/regions", { token: "operator", body: primary });
    expect(res.status).toBe(202);
    const id = res.body.operation.id;
    expect(res.headers.get("location")).toBe(`/operations/${id}`);
    expect(res.body.region).toMatchObject({ name: "us-east-1", status: "creating", primary: true });
    expect(res.body.operation.steps.map((s: any) => s.id)).toEqual(["up:us-east-1", "up:global"]);

    const op = await h.waitFor(id);
    expect(op.status).toBe("succeeded");
    expect(op.steps.map((s: any) => [s.id, s.status, s.summary])).toEqual([
      ["up:us-east-1", "succeeded", { create: 3 }],
      ["up:global", "succeeded", { create: 3 }],
    ]);
    expect(h.runner.calls.map((c) => `${c.action}:${c.stack}`)).toEqual(["up:us-east-1", "up:global"]);

    const region = await h.req("GET", "/regions/us-east-1", { token: "viewer" });
    expect(region.status).toBe(200);
    expect(region.body).toMatchObject({ name: "us-east-1", status: "ready", primary: true, provider: "local", lastOperation: { id, kind: "add", status: "succeeded" } });
    expect(region.body.outputs).toEqual({ region: "us-east-1", databaseUrl: "[secret]", appUrl: "http://127.0.0.1:21010" });
    expect(region.body.spec.postgres.walKeepSize).toBe("2GB");
    expect(JSON.stringify(region.body)).not.toContain("pw-us-east-1");
  });

  test("when a second replica is added, then its operation re-applies the first replica and itself in parallel (overlapping steps), global last", async () => {
    h.runner.delayMs = 120;
    for (const body of [primary, replica("eu-west-1")]) {
      const r = await h.req("POST", "/regions", { body });
      expect((await h.waitFor(r.body.operation.id)).status).toBe("succeeded");
    }
    const b = await h.req("POST", "/regions", { body: replica("ap-south-1") });
    expect(b.status).toBe(202);
    const op = await h.waitFor(b.body.operation.id);
    expect(op.status).toBe("succeeded");
    // Runs (the fake runner's calls) and steps follow the DAG: replicas after the primary, side by
    // side, global after both.
    const call = (stack: string) => h.runner.calls.filter((c) => c.stack === stack).at(-1)!;
    const [eu, ap, us, glb] = [call("eu-west-1"), call("ap-south-1"), call("us-east-1"), call("global")];
    expect(eu.start).toBeLessThan(ap.end!);
    expect(ap.start).toBeLessThan(eu.end!);
    expect(eu.start).toBeGreaterThanOrEqual(us.end!);
    expect(glb.start).toBeGreaterThanOrEqual(Math.max(eu.end!, ap.end!));
    const step = (id: string) => op.steps.find((s: any) => s.id === id);
    expect(Date.parse(step("up:eu-west-1").startedAt)).toBeGreaterThanOrEqual(Date.parse(step("up:us-east-1").finishedAt));
    expect(Date.parse(step("up:global").startedAt)).toBeGreaterThanOrEqual(Date.parse(step("up:ap-south-1").finishedAt));
    expect(h.runner.overlapsOnOneStack).toBe(0);
  });

  test("when two replicas are added back to back, then both succeed and no stack ever runs two steps at once", async () => {
    h.runner.delayMs = 60;
    const p = await h.req("POST", "/regions", { body: primary });
    const a = await h.req("POST", "/regions", { body: replica("eu-west-1") });
    const b = await h.req("POST", "/regions", { body: replica("ap-south-1") });
    for (const r of [p, a, b]) expect((await h.waitFor(r.body.operation.id)).status).toBe("succeeded");
    expect(h.runner.overlapsOnOneStack).toBe(0);
    const byStack = new Map<string, { start: number; end: number }[]>();
    for (const c of h.runner.calls) byStack.set(c.stack, [...(byStack.get(c.stack) ?? []), { start: c.start, end: c.end! }]);
    for (const calls of byStack.values()) {
      for (let i = 1; i < calls.length; i++) expect(calls[i]!.start).toBeGreaterThanOrEqual(calls[i - 1]!.end);
    }
  });

  test("when max parallel is 1, then no two steps ever overlap", async () => {
    await h.close();
    h = await startTestService({ env: { ARAGORA_MAX_PARALLEL: "1" } });
    h.runner.delayMs = 40;
    const p = await h.req("POST", "/regions", { body: primary });
    const a = await h.req("POST", "/regions", { body: replica("eu-west-1") });
    const b = await h.req("POST", "/regions", { body: replica("ap-south-1") });
    for (const r of [p, a, b]) expect((await h.waitFor(r.body.operation.id)).status).toBe("succeeded");
    const calls = [...h.runner.calls].sort((x, y) => x.start - y.start);
    for (let i = 1; i < calls.length; i++) expect(calls[i]!.start).toBeGreaterThanOrEqual(calls[i - 1]!.end!);
  });

  test("when a replica is added while the primary's add is still running, then the replica's step waits for the primary's stack", async () => {
    h.runner.delayMs = 100;
    const p = await h.req("POST", "/regions", { body: primary });
    const a = await h.req("POST", "/regions", { body: replica("eu-west-1") });
    await h.waitFor(a.body.operation.id);
    const up = (stack: string) => h.runner.calls.find((c) => c.stack === stack && c.action === "up")!;
    expect(up("eu-west-1").start).toBeGreaterThanOrEqual(up("us-east-1").end!);
    expect((await h.waitFor(p.body.operation.id)).status).toBe("succeeded");
  });

  test("when a second change to the same region arrives while the first runs, then 409 names the operation in flight", async () => {
    let release!: () => void;
    h.runner.gates.set("up:us-east-1", new Promise<void>((r) => { release = r; }));
    const p = await h.req("POST", "/regions", { body: primary });
    const again = await h.req("PUT", "/regions/us-east-1", { body: { ...primary, app: { replicas: 2 } } });
    expect(again.status).toBe(409);
    expect(again.body.error.code).toBe("conflict");
    expect(again.body.error.details.operation).toBe(p.body.operation.id);
    release();
    await h.waitFor(p.body.operation.id);
    const ok = await h.req("PUT", "/regions/us-east-1", { body: { ...primary, app: { replicas: 2 } } });
    expect(ok.status).toBe(202);
    expect((await h.waitFor(ok.body.operation.id)).status).toBe("succeeded");
    expect((await h.req("GET", "/regions/us-east-1")).body.spec.app.replicas).toBe(2);
  });

  test("when the primary is removed, then 409 says to fail over first; a replica removal drains, destroys and updates the peers", async () => {
    for (const body of [primary, replica("eu-west-1"), replica("ap-south-1")]) {
      const r = await h.req("POST", "/regions", { body });
      await h.waitFor(r.body.operation.id);
    }
    const refused = await h.req("DELETE", "/regions/us-east-1");
    expect(refused.status).toBe(409);
    expect(refused.body.error.message).toMatch(/fail over/);

    const operatorTry = await h.req("DELETE", "/regions/eu-west-1", { token: "operator" });
    expect(operatorTry.status).toBe(403);

    const del = await h.req("DELETE", "/regions/eu-west-1");
    expect(del.status).toBe(202);
    expect(del.body.operation.steps.map((s: any) => s.id).slice(0, 2)).toEqual(["up:global", "destroy:eu-west-1"]);
    const op = await h.waitFor(del.body.operation.id);
    expect(op.status).toBe("succeeded");
    const peers = op.steps.filter((s: any) => s.action === "up" && s.stack !== "global").map((s: any) => s.stack);
    expect(peers.sort()).toEqual(["ap-south-1", "us-east-1"]);
    expect((await h.req("GET", "/regions/eu-west-1")).status).toBe(404);
    expect((await h.req("GET", "/regions")).body.regions.map((r: any) => r.name)).toEqual(["us-east-1", "ap-south-1"]);
  });

  test("when a step fails, then the operation fails, dependents never run, and retry completes it without rerunning what succeeded", async () => {
    h.runner.failures.set("up:global", "boom: the GLB did not start");
    const p = await h.req("POST", "/regions", { body: primary });
    const failed = await h.waitFor(p.body.operation.id);
    expect(failed.status).toBe("failed");
    expect(failed.error.message).toMatch(/up:global failed: boom/);
    expect((await h.req("GET", "/regions/us-east-1")).body.status).toBe("failed");

    const retry = await h.req("POST", `/operations/${p.body.operation.id}/retry`, { token: "operator" });
    expect(retry.status).toBe(202);
    const done = await h.waitFor(p.body.operation.id);
    expect(done.status).toBe("succeeded");
    expect(done.attempt).toBe(2);
    expect(h.runner.calls.filter((c) => c.stack === "us-east-1")).toHaveLength(1);
    expect(done.steps.find((s: any) => s.id === "up:global").attempt).toBe(2);
    expect((await h.req("GET", "/regions/us-east-1")).body.status).toBe("ready");
    const again = await h.req("POST", `/operations/${p.body.operation.id}/retry`);
    expect(again.status).toBe(409);
  });

  test("when a running operation is cancelled, then the step is aborted through its signal and the operation ends cancelled", async () => {
    h.runner.gates.set("up:us-east-1", new Promise<void>(() => undefined));
    const p = await h.req("POST", "/regions", { body: primary });
    const id = p.body.operation.id;
    for (let i = 0; i < 100 && h.runner.calls.length === 0; i++) await new Promise((r) => setTimeout(r, 5));
    const c = await h.req("POST", `/operations/${id}/cancel`, { token: "operator" });
    expect(c.status).toBe(200);
    const op = await h.waitFor(id);
    expect(op.status).toBe("cancelled");
    expect(op.steps.map((s: any) => s.status)).toEqual(["cancelled", "cancelled"]);
    expect((await h.req("GET", "/regions/us-east-1")).body.status).toBe("cancelled");
  });

  test("when adding with dryRun, then 200 with the defaulted spec and planned steps, and nothing is recorded", async () => {
    const res = await h.req("POST", "/regions?dryRun=true", { token: "operator", body: primary });
    expect(res.status).toBe(200);
    expect(res.body.dryRun).toBe(true);
    expect(res.body.spec).toMatchObject({ name: "us-east-1", provider: "local", primary: true, network: { cidr: expect.any(String) }, redis: { sentinel: { quorum: 2 } } });
    expect(res.body.steps.map((s: any) => [s.id, s.dependsOn])).toEqual([["up:us-east-1", []], ["up:global", ["up:us-east-1"]]]);
    expect((await h.req("GET", "/regions")).body.regions).toEqual([]);
    expect((await h.req("GET", "/operations")).body.operations).toEqual([]);
    expect(h.runner.calls).toEqual([]);
  });

  test("when the fleet is reconciled with nothing changed, then every stack is skipped and the operation succeeds at once", async () => {
    const p = await h.req("POST", "/regions", { body: primary });
    await h.waitFor(p.body.operation.id);
    const before = h.runner.calls.length;
    const rec = await h.req("POST", "/fleet/reconcile", { token: "operator" });
    expect(rec.status).toBe(202);
    const op = await h.waitFor(rec.body.operation.id);
    expect(op.status).toBe("succeeded");
    expect(op.steps).toEqual([]);
    expect((op.skipped as any[]).map((s) => s.stack).sort()).toEqual(["global", "us-east-1"]);
    expect(h.runner.calls.length).toBe(before);
  });

  test("when validate runs, then the default handler skips with a note; a registered handler replaces it", async () => {
    const v = await h.req("POST", "/fleet/validate", { token: "operator" });
    const op = await h.waitFor(v.body.operation.id);
    expect(op.status).toBe("succeeded");
    expect(op.steps[0]).toMatchObject({ action: "validate", status: "skipped", note: expect.stringMatching(/not available/) });
    await h.close();
    h = await startTestService({ handlers: { validate: () => Promise.resolve({ status: "succeeded", note: "replication lag 0s" }) } });
    const v2 = await h.req("POST", "/fleet/validate", { token: "operator" });
    expect((await h.waitFor(v2.body.operation.id)).steps[0]).toMatchObject({ status: "succeeded", note: "replication lag 0s" });
  });

  test("when failing over, then promote runs first through the promote handler, then the others, then global", async () => {
    for (const body of [primary, { ...replica("eu-west-1") }]) {
      const r = await h.req("POST", "/regions", { body });
      await h.waitFor(r.body.operation.id);
    }
    const asOperator = await h.req("POST", "/failover", { token: "operator", body: { to: "eu-west-1" } });
    expect(asOperator.status).toBe(403);
    const f = await h.req("POST", "/failover", { body: { to: "eu-west-1" } });
    expect(f.status).toBe(202);
    const op = await h.waitFor(f.body.operation.id);
    expect(op.status).toBe("succeeded");
    expect(op.steps.map((s: any) => s.id)).toEqual(["promote:eu-west-1", "up:us-east-1", "up:global"]);
    expect((await h.req("GET", "/regions/eu-west-1")).body.primary).toBe(true);
    expect((await h.req("GET", "/regions/us-east-1")).body.primary).toBe(false);
  });
});
