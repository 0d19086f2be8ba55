import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { SqliteStore } from "../../../server/store/sqliteStore";
import { MIGRATIONS } from "../../../server/store/migrations";
import type { OperationRecord, StepRecord } from "../../../domain/model";
import type { RegionSpec } from "../../../domain/spec/regionSpec";
import { fleetSettings } from "../../../domain/spec/fleetSettings";
import { localTwo } from "../domain/spec/fixtures";

const state = { specs: [], settings: fleetSettings.parse({}) };
function op(id: string, stacks: string[], subjects: string[] = []): Omit<OperationRecord, "seq"> {
  return { id, kind: "reconcile", status: "queued", subjects, stacks, request: {}, before: state, after: state, skipped: [], actor: "t", attempt: 1, createdAt: new Date().toISOString() };
}
function step(operationId: string, id: string, stack: string): StepRecord {
  return { operationId, id, stack, action: "up", why: "test", dependsOn: [], status: "pending", attempt: 0 };
}

describe("SQLite store", () => {
  let dir: string;
  beforeEach(() => { dir = fs.mkdtempSync(path.join(os.tmpdir(), "aragora-store-")); });
  afterEach(() => { fs.rmSync(dir, { recursive: true, force: true }); });

  test("when opened twice, then migrations apply once and the schema version is recorded", async () => {
    const file = path.join(dir, "a.db");
    const a = new SqliteStore(file);
    expect(a.schemaVersion()).toBe(MIGRATIONS.length);
    await a.close();
    const b = new SqliteStore(file);
    expect(b.schemaVersion()).toBe(MIGRATIONS.length);
    await b.close();
  });

  test("when two workers move the same step from running, then exactly one wins", async () => {
    const s = new SqliteStore(":memory:");
    await s.createOperation(op("o1", ["a"]), [step("o1", "up:a", "a")], { upsert: [], remove: [], status: [] });
    expect(await s.transitionStep("o1", "up:a", ["pending"], "running")).toBe(true);
    const results = await Promise.all([s.transitionStep("o1", "up:a", ["running"], "succeeded"), s.transitionStep("o1", "up:a", ["running"], "failed")]);
    expect(results.sort()).toEqual([false, true]);
    expect(await s.transitionOperation("o1", ["running"], "succeeded")).toBe(false);
    expect(await s.transitionOperation("o1", ["queued"], "running")).toBe(true);
    await s.close();
  });

  test("when events are appended across operations, then ids strictly increase and reads page by cursor", async () => {
    const s = new SqliteStore(":memory:");
    await s.createOperation(op("o1", ["a"]), [], { upsert: [], remove: [], status: [] });
    await s.createOperation(op("o2", ["b"]), [], { upsert: [], remove: [], status: [] });
    const ids: number[] = [];
    for (let i = 0; i < 10; i++) ids.push((await s.appendEvent({ operationId: i % 2 ? "o1" : "o2", kind: "k", message: `m${i}` })).id);
    expect([...ids].sort((x, y) => x - y)).toEqual(ids);
    const o1 = await s.listEvents("o1", 0, 100);
    expect(o1.map((e) => e.message)).toEqual(["m1", "m3", "m5", "m7", "m9"]);
    expect((await s.listEvents("o1", o1[1]!.id, 2)).map((e) => e.message)).toEqual(["m5", "m7"]);
    await s.close();
  });

  test("when the service restarts with work in flight, then queued and running operations become interrupted and their stacks are reported", async () => {
    const s = new SqliteStore(":memory:");
    await s.createOperation(op("o1", ["a", "global"]), [step("o1", "up:a", "a"), step("o1", "up:global", "global")], { upsert: [], remove: [], status: [] });
    await s.createOperation(op("o2", ["b"]), [step("o2", "up:b", "b")], { upsert: [], remove: [], status: [] });
    await s.createOperation({ ...op("o3", ["c"]), status: "succeeded" }, [], { upsert: [], remove: [], status: [] });
    await s.transitionOperation("o1", ["queued"], "running");
    await s.transitionStep("o1", "up:a", ["pending"], "running");
    const work = await s.interruptActive(new Date().toISOString());
    expect(work.operations).toEqual(["o1", "o2"]);
    expect(work.stacks.sort()).toEqual(["a", "b", "global"]);
    expect((await s.getOperation("o1"))!.status).toBe("interrupted");
    expect((await s.listSteps("o1")).map((x) => x.status)).toEqual(["interrupted", "pending"]);
    expect((await s.getOperation("o3"))!.status).toBe("succeeded");
    expect(await s.requeueOperation("o1", ["interrupted"])).toBe(true);
    expect((await s.listSteps("o1")).map((x) => x.status)).toEqual(["pending", "pending"]);
    expect((await s.getOperation("o1"))!.attempt).toBe(2);
    await s.close();
  });

  test("when an operation is read as a summary (alone or listed), then it is the whole record but its fleet states", async () => {
    const s = new SqliteStore(":memory:");
    const after = { specs: localTwo(), settings: fleetSettings.parse({}) };
    await s.createOperation({ ...op("o1", ["a"], ["a"]), after, error: { code: "x", message: "boom" }, startedAt: "2026-01-01T00:00:00.000Z" }, [], { upsert: [], remove: [], status: [] });
    const full = await s.getOperation("o1");
    expect(full!.after).toEqual(after);
    const { before: _b, after: _a, ...rest } = full!;
    const summary = await s.getOperationSummary("o1");
    expect(summary).toEqual(rest);
    expect(summary).not.toHaveProperty("before");
    expect(summary).not.toHaveProperty("after");
    expect(await s.listOperations({ limit: 10 })).toEqual([rest]);
    expect(await s.getOperationSummary("nope")).toBeUndefined();
    await s.close();
  });

  test("when operations are listed, then newest first, filtered, and later operations on the same stacks are found", async () => {
    const s = new SqliteStore(":memory:");
    const a = await s.createOperation(op("o1", ["a", "global"], ["a"]), [], { upsert: [], remove: [], status: [] });
    await s.createOperation({ ...op("o2", ["b"], ["b"]), kind: "add" }, [], { upsert: [], remove: [], status: [] });
    await s.createOperation(op("o3", ["global"]), [], { upsert: [], remove: [], status: [] });
    expect((await s.listOperations({ limit: 10 })).map((o) => o.id)).toEqual(["o3", "o2", "o1"]);
    expect((await s.listOperations({ limit: 10, kind: "add" })).map((o) => o.id)).toEqual(["o2"]);
    expect((await s.listOperations({ limit: 10, region: "a" })).map((o) => o.id)).toEqual(["o1"]);
    expect((await s.laterOperationsTouching(a.seq, a.stacks)).map((o) => o.id)).toEqual(["o3"]);
    expect((await s.lastOperationFor("b"))?.id).toBe("o2");
    await s.close();
  });
  test("when region states are read, then each region comes with its applied outputs and its last operation's head, in creation order", async () => {
    const s = new SqliteStore(":memory:");
    const [east, west] = localTwo() as [RegionSpec, RegionSpec];
    await s.createOperation({ ...op("o1", ["us-east-1"], ["us-east-1"]), kind: "add" }, [], { upsert: [{ spec: east, status: "creating" }], remove: [], status: [] });
    await s.createOperation({ ...op("o2", ["eu-west-1"], ["eu-west-1"]), kind: "add" }, [], { upsert: [{ spec: west, status: "creating" }], remove: [], status: [] });
    await s.putStack("us-east-1", "fp", { endpoint: "127.0.0.1:12000" });
    await s.transitionOperation("o1", ["queued"], "running");

    const all = await s.regionStates();
    expect(all.map((x) => x.region.name)).toEqual(["us-east-1", "eu-west-1"]);
    expect(all[0]).toMatchObject({ outputs: { endpoint: "127.0.0.1:12000" }, lastOperation: { id: "o1", kind: "add", status: "running" } });
    expect(all[0]?.region.spec).toEqual(east);
    expect(all[1]).toMatchObject({ outputs: {}, lastOperation: { id: "o2", kind: "add", status: "queued" } });

    expect((await s.regionStates("eu-west-1")).map((x) => x.region.name)).toEqual(["eu-west-1"]);
    expect(await s.regionStates("nowhere")).toEqual([]);
    await s.close();
  });
});
