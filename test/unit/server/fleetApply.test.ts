import { primary, replica } from "../../support/fixtures";
import type { FakeRunner } from "../../support/fakeRunner";
import { startTestService, type FakeService, type TestServiceOptions } from "../../support/serviceDriver";

describe("POST /fleet/apply with a fake engine", () => {
  let h: FakeService;
  beforeEach(async () => { h = await startTestService(); });
  afterEach(async () => { await h.close(); });

  const fleet = { regions: [primary, replica("eu-west-1"), replica("ap-south-1")] };

  /** A fresh harness with these options applies the fleet; the finished operation. */
  async function applyOn(o: TestServiceOptions<FakeRunner>, delayMs?: number): Promise<any> {
    await h.close();
    h = await startTestService(o);
    if (delayMs !== undefined) h.runner.delayMs = delayMs;
    return h.waitFor((await h.req("POST", "/fleet/apply", { body: fleet })).body.operation.id);
  }

  test("when a whole fleet is applied to an empty service, then one operation ups each stack once: primary, replicas together, global", async () => {
    h.runner.delayMs = 80;
    const res = await h.req("POST", "/fleet/apply", { token: "operator", body: fleet });
    expect(res.status).toBe(202);
    expect(res.headers.get("location")).toBe(`/operations/${res.body.operation.id}`);
    expect(res.body.operation.kind).toBe("apply");
    expect(res.body.regions.map((r: any) => [r.name, r.status, r.primary])).toEqual([
      ["us-east-1", "creating", true],
      ["eu-west-1", "creating", false],
      ["ap-south-1", "creating", false],
    ]);
    const op = await h.waitFor(res.body.operation.id);
    expect(op.status).toBe("succeeded");
    expect(h.runner.calls.map((c) => `${c.action}:${c.stack}`).sort()).toEqual(["up:ap-south-1", "up:eu-west-1", "up:global", "up:us-east-1"]);
    const call = (stack: string) => h.runner.calls.find((c) => c.stack === stack)!;
    const [us, eu, ap, glb] = ["us-east-1", "eu-west-1", "ap-south-1", "global"].map(call);
    expect(eu!.start).toBeGreaterThanOrEqual(us!.end!);
    expect(eu!.start).toBeLessThan(ap!.end!);
    expect(ap!.start).toBeLessThan(eu!.end!);
    expect(glb!.start).toBeGreaterThanOrEqual(Math.max(eu!.end!, ap!.end!));
    expect(h.runner.overlapsOnOneStack).toBe(0);
    // Every run gets its event sink and abort signal, and nothing else (no gate to wait on).
    expect(h.runner.calls.map((c) => c.options.join())).toEqual(Array<string>(4).fill("onEvent,signal"));
    const list = await h.req("GET", "/regions", { token: "viewer" });
    expect(list.body.regions.map((r: any) => [r.name, r.status])).toEqual([["us-east-1", "ready"], ["eu-west-1", "ready"], ["ap-south-1", "ready"]]);
  });

  test("when the primary fails, then the replicas and global never run and end cancelled, not failed, and a retry completes the operation", async () => {
    h.runner.delayMs = 80;
    h.runner.failures.set("up:us-east-1", "postgres did not start");
    const res = await h.req("POST", "/fleet/apply", { body: fleet });
    const op = await h.waitFor(res.body.operation.id);
    expect(op.status).toBe("failed");
    expect(op.error.message).toBe("step up:us-east-1 failed: postgres did not start");
    expect(op.steps.map((s: any) => [s.id, s.status, s.note])).toEqual([
      ["up:us-east-1", "failed", undefined],
      ["up:eu-west-1", "cancelled", "not run: an earlier step failed"],
      ["up:ap-south-1", "cancelled", "not run: an earlier step failed"],
      ["up:global", "cancelled", "not run: an earlier step failed"],
    ]);
    expect(op.steps.filter((s: any) => s.status === "cancelled").map((s: any) => [s.attempt, s.startedAt])).toEqual([[0, undefined], [0, undefined], [0, undefined]]);
    expect(h.runner.calls.map((c) => c.stack)).toEqual(["us-east-1"]);
    const retry = await h.req("POST", `/operations/${op.id}/retry`, {});
    expect(retry.status).toBe(202);
    expect((await h.waitFor(op.id)).status).toBe("succeeded");
  });

  test("when the primary's engine has finished but its step still reads back outputs, then the replicas' programs wait for the step", async () => {
    // Dependents run their programs only once the dependency's step is over: when runs shared one
    // process, a program starting while another run tore down could inherit its stray rejection
    // (the Automation API's process-wide handlers), and since the engine adapter no longer reads
    // outputs back after the summary, there is nothing left to overlap.
    h.runner.delayMs = 50;
    h.runner.afterSummaryMs = 300;
    const op = await h.waitFor((await h.req("POST", "/fleet/apply", { body: fleet })).body.operation.id);
    expect(op.status).toBe("succeeded");
    const call = (stack: string) => h.runner.calls.find((c) => c.stack === stack)!;
    expect(call("eu-west-1").start).toBeGreaterThanOrEqual(call("us-east-1").end!);
    expect(call("ap-south-1").start).toBeGreaterThanOrEqual(call("us-east-1").end!);
    expect(call("global").start).toBeGreaterThanOrEqual(Math.max(call("eu-west-1").end!, call("ap-south-1").end!));
  });

  test("when max parallel is 1, then the steps run one after another", async () => {
    await h.close();
    h = await startTestService({ env: { ARAGORA_MAX_PARALLEL: "1" } });
    h.runner.delayMs = 40;
    const op = await h.waitFor((await h.req("POST", "/fleet/apply", { body: fleet })).body.operation.id);
    expect(op.status).toBe("succeeded");
    const steps = [...op.steps].sort((x: any, y: any) => Date.parse(x.startedAt) - Date.parse(y.startedAt));
    for (let i = 1; i < steps.length; i++) expect(Date.parse(steps[i].startedAt)).toBeGreaterThanOrEqual(Date.parse(steps[i - 1].finishedAt));
  });

  test("when the replicas wait on the primary, then they run in parallel once it is done, and none starts before", async () => {
    const op = await applyOn({}, 60);
    expect(op.status).toBe("succeeded");
    const step = (id: string) => op.steps.find((s: any) => s.id === id);
    expect(Date.parse(step("up:eu-west-1").startedAt)).toBeGreaterThanOrEqual(Date.parse(step("up:us-east-1").finishedAt));
    expect(Date.parse(step("up:ap-south-1").startedAt)).toBeGreaterThanOrEqual(Date.parse(step("up:us-east-1").finishedAt));
    expect(Date.parse(step("up:eu-west-1").startedAt)).toBeLessThan(Date.parse(step("up:ap-south-1").finishedAt));
    expect(Date.parse(step("up:ap-south-1").startedAt)).toBeLessThan(Date.parse(step("up:eu-west-1").finishedAt));
  });

  test("when the primary runs and two replicas wait on it, then the engine is asked ahead for two engines, never for more than run at once", async () => {
    const op = await applyOn({}, 60);
    expect(op.status).toBe("succeeded");
    // Asked as the primary's step starts, before either replica runs: the second engine boots beside the primary.
    expect(h.runner.prepared[0]).toEqual({ parallel: 2, called: [] });
    const beforeReplicas = h.runner.prepared.filter((p) => p.called.every((s) => s === "us-east-1"));
    expect(beforeReplicas.every((p) => p.parallel === 2)).toBe(true);
    expect(Math.max(...h.runner.prepared.map((p) => p.parallel))).toBe(2);
  });

  test("when max parallel is 1, then the engine is never asked for a second engine", async () => {
    const op = await applyOn({ env: { ARAGORA_MAX_PARALLEL: "1" } });
    expect(op.status).toBe("succeeded");
    expect(h.runner.calls.length).toBe(4);
    expect(h.runner.prepared).toEqual([]);
  });

  test("when the same list is applied again, then the operation succeeds with no steps and the engine is not called", async () => {
    expect((await h.waitFor((await h.req("POST", "/fleet/apply", { body: fleet })).body.operation.id)).status).toBe("succeeded");
    const calls = h.runner.calls.length;
    const again = await h.req("POST", "/fleet/apply", { body: fleet });
    expect(again.status).toBe(202);
    const op = await h.waitFor(again.body.operation.id);
    expect(op.status).toBe("succeeded");
    expect(op.steps).toEqual([]);
    expect(op.skipped.map((s: any) => s.stack)).toEqual(["us-east-1", "eu-west-1", "ap-south-1", "global"]);
    expect(h.runner.calls.length).toBe(calls);
  });

  test("when dryRun=true, then 200 with every resolved spec and the steps, and nothing is recorded", async () => {
    const res = await h.req("POST", "/fleet/apply?dryRun=true", { body: fleet });
    expect(res.status).toBe(200);
    expect(res.body.specs.map((s: any) => [s.name, s.network.cidr])).toEqual([["us-east-1", "10.0.0.0/16"], ["eu-west-1", "10.1.0.0/16"], ["ap-south-1", "10.2.0.0/16"]]);
    expect(res.body.steps.map((s: any) => s.id)).toEqual(["up:us-east-1", "up:eu-west-1", "up:ap-south-1", "up:global"]);
    expect((await h.req("GET", "/regions", { token: "viewer" })).body.regions).toEqual([]);
    expect((await h.req("GET", "/operations", { token: "viewer" })).body.operations).toEqual([]);
  });

  test("when an existing replica is listed with a change next to a new one, then only they (and the primary, whose peers changed) run", async () => {
    await h.waitFor((await h.req("POST", "/fleet/apply", { body: { regions: [primary, replica("eu-west-1")] } })).body.operation.id);
    const res = await h.req("POST", "/fleet/apply", { body: { regions: [{ ...replica("eu-west-1"), app: { replicas: 2 } }, replica("ap-south-1")] } });
    expect(res.status).toBe(202);
    expect(res.body.regions.map((r: any) => [r.name, r.status])).toEqual([["eu-west-1", "updating"], ["ap-south-1", "creating"]]);
    const op = await h.waitFor(res.body.operation.id);
    expect(op.status).toBe("succeeded");
    expect((await h.req("GET", "/regions/eu-west-1", { token: "viewer" })).body.spec.app.replicas).toBe(2);
  });

  test("when items are bad, then 400 lists every bad field under its regions.<i> path and nothing is recorded", async () => {
    const res = await h.req("POST", "/fleet/apply", { body: { regions: [primary, { name: "eu-west-1", app: { replicas: "two" } }, { name: "Bad/Name" }, replica("eu-west-1")] } });
    expect(res.status).toBe(400);
    const paths = res.body.error.details.map((d: any) => d.path);
    expect(paths).toEqual(expect.arrayContaining(["regions.1.app.replicas", "regions.2.name", "regions.3.name"]));
    expect(res.body.error.details.find((d: any) => d.path === "regions.3.name").message).toBe('"eu-west-1" is already listed at regions.1');
    expect((await h.req("GET", "/regions", { token: "viewer" })).body.regions).toEqual([]);
  });

  test.each([
    [{}, "regions", "must be a list of region specs"],
    [{ regions: [] }, "regions", "must list at least one region"],
    [{ regions: [primary], prune: true }, "prune", "unknown field"],
    [[primary], "body", 'must be an object {"regions": [region spec, ...]}'],
  ])("when the body is %j, then 400 naming %s", async (body, path, message) => {
    const res = await h.req("POST", "/fleet/apply", { body });
    expect(res.status).toBe(400);
    expect(res.body.error.details).toEqual([{ path, message }]);
  });

  test("when more than 20 regions are listed, then 400", async () => {
    const res = await h.req("POST", "/fleet/apply", { body: { regions: Array.from({ length: 21 }, (_, i) => replica(`r-${i}-x`)) } });
    expect(res.status).toBe(400);
    expect(res.body.error.details).toEqual([{ path: "regions", message: "must list at most 20 regions" }]);
  });

  test("when a viewer applies, then 403 and nothing runs", async () => {
    const res = await h.req("POST", "/fleet/apply", { token: "viewer", body: fleet });
    expect(res.status).toBe(403);
    expect(h.runner.calls).toEqual([]);
  });

  test("when the list flips the primary of an existing region, then 409: failover only", async () => {
    await h.waitFor((await h.req("POST", "/fleet/apply", { body: { regions: [primary, replica("eu-west-1")] } })).body.operation.id);
    const res = await h.req("POST", "/fleet/apply", { body: { regions: [{ ...replica("eu-west-1"), primary: true }] } });
    expect(res.status).toBe(409);
    expect(res.body.error.message).toBe("the spec conflicts with the fleet: regions.0.primary: cannot change from false to true: the primary changes only through failover");
  });

  test("when a listed region is already being changed by another operation, then 409 naming that operation", async () => {
    h.runner.delayMs = 300;
    const first = await h.req("POST", "/regions", { body: primary });
    const res = await h.req("POST", "/fleet/apply", { body: fleet });
    expect(res.status).toBe(409);
    expect(res.body.error.details).toMatchObject({ operation: first.body.operation.id });
    await h.waitFor(first.body.operation.id);
  });
});
