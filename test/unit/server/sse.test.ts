import { primary } from "../../support/fixtures";
import { startTestService, type FakeService } from "../../support/serviceDriver";

describe("operation events over SSE", () => {
  let h: FakeService;
  beforeEach(async () => { h = await startTestService(); });
  afterEach(async () => { await h.close(); });

  test("when a client follows a running operation, then it gets every event live, in increasing id order, ending with end", async () => {
    h.runner.delayMs = 100;
    const p = await h.req("POST", "/regions", { body: primary });
    const id = p.body.operation.id;
    const stream = await h.sse(id);
    expect(stream.status).toBe(200);
    expect(stream.type).toMatch(/text\/event-stream/);
    const last = stream.events[stream.events.length - 1]!;
    expect(last).toEqual({ event: "end", data: { status: "succeeded" } });
    const ids = stream.events.filter((e) => e.id !== undefined).map((e) => e.id!);
    expect(ids.length).toBeGreaterThan(6);
    expect([...ids].sort((a, b) => a - b)).toEqual(ids);
    const kinds = stream.events.map((e) => e.event);
    expect(kinds[0]).toBe("operation.queued");
    expect(kinds).toEqual(expect.arrayContaining(["step.started", "resourcePre", "step.succeeded", "operation.finished"]));
    const resourcePre = stream.events.find((e) => e.event === "resourcePre")!;
    expect(resourcePre.data).toMatchObject({ operationId: id, stepId: "up:us-east-1", op: "create", urn: expect.stringContaining("us-east-1") });
  });

  test("when an engine event carries a connection URL with a password, then the stored and streamed event is masked", async () => {
    const p = await h.req("POST", "/regions", { body: primary });
    await h.waitFor(p.body.operation.id);
    const stream = await h.sse(p.body.operation.id);
    const text = JSON.stringify(stream.events);
    expect(text).toContain("postgres://app:[secret]@127.0.0.1");
    expect(text).not.toContain("hunter2");
    const stored = await h.store.listEvents(p.body.operation.id, 0, 1000);
    expect(JSON.stringify(stored)).not.toContain("hunter2");
  });

  test("when a client reconnects with Last-Event-ID, then it gets only later events and the end", async () => {
    const p = await h.req("POST", "/regions", { body: primary });
    const id = p.body.operation.id;
    await h.waitFor(id);
    const all = await h.sse(id);
    const withIds = all.events.filter((e) => e.id !== undefined);
    const cut = withIds[3]!.id!;
    const resumed = await h.sse(id, { headers: { "last-event-id": String(cut) } });
    expect(resumed.events.filter((e) => e.id !== undefined).map((e) => e.id)).toEqual(withIds.filter((e) => e.id! > cut).map((e) => e.id));
    expect(resumed.events[resumed.events.length - 1]!.event).toBe("end");
  });

  test("when Last-Event-ID is not a number or the operation is unknown, then 400 or 404 in the error shape", async () => {
    const p = await h.req("POST", "/regions", { body: primary });
    const bad = await h.req("GET", `/operations/${p.body.operation.id}/events`, { headers: { "last-event-id": "abc" } });
    expect(bad.status).toBe(400);
    expect(bad.body.error.details[0].path).toBe("headers.last-event-id");
    const missing = await h.req("GET", "/operations/00000000-0000-4000-8000-000000000000/events");
    expect(missing.status).toBe(404);
    await h.waitFor(p.body.operation.id);
  });
});
