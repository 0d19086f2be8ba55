/**
 * Concurrency over HTTP with the real SQLite store: 20 simultaneous adds of one new region, and ten
 * simultaneous different changes. Exactly one add wins; the different changes all run, never two
 * steps on one stack at once, each stack's steps in submission order, nothing left locked.
 */
import { primary, replica } from "../../support/fixtures";
import { startRig, type Rig } from "./rig";

jest.setTimeout(60_000);

let rig: Rig;

beforeEach(async () => {
  rig = await startRig();
});

afterEach(async () => {
  await rig.close();
});

test("when 20 adds of the same new region arrive at once, then exactly one is 202 and 19 are 409; one operation, one region, one up of its stack", async () => {
  const replies = await Promise.all(Array.from({ length: 20 }, () => rig.req("POST", "/regions", { token: "operator", body: primary })));
  const statuses = replies.map((r) => r.status).sort();
  expect(statuses).toEqual([202, ...Array<number>(19).fill(409)]);
  for (const r of replies.filter((x) => x.status === 409)) expect(r.body.error.code).toBe("conflict");
  const accepted = replies.find((r) => r.status === 202)!;
  const op = await rig.waitFor(accepted.body.operation.id);
  expect(op.status).toBe("succeeded");

  const db = rig.dump();
  expect(db["operations"]!.map((o: any) => o.id)).toEqual([accepted.body.operation.id]);
  expect(db["regions"]!.map((r: any) => r.name)).toEqual(["us-east-1"]);
  expect(rig.runner.calls.map((c) => `${c.action}:${c.stack}`)).toEqual(["up:us-east-1", "up:global"]);
  console.log(`concurrency: 20 simultaneous adds → ${JSON.stringify(Object.fromEntries(["202", "409"].map((s) => [s, statuses.filter((x) => String(x) === s).length])))}`);
});

test("when ten different changes arrive at once, then all are accepted and serialized per stack (no overlap, submission order) and no lock is left", async () => {
  const first = await rig.req("POST", "/regions", { token: "operator", body: primary });
  expect((await rig.waitFor(first.body.operation.id)).status).toBe("succeeded");
  rig.runner.calls.length = 0;

  const names = ["eu-west-1", "eu-west-2", "eu-west-3", "eu-central-1", "ap-south-1", "ap-east-1", "sa-east-1", "ca-central-1"];
  const changes = [
    ...names.map((n) => rig.req("POST", "/regions", { token: "operator", body: replica(n) })),
    rig.req("PUT", "/regions/us-east-1", { token: "operator", body: { ...primary, app: { replicas: 2 } } }),
    rig.req("POST", "/regions/global/preview", { token: "operator" }),
  ];
  const replies = await Promise.all(changes);
  expect(replies.map((r) => r.status)).toEqual(Array<number>(10).fill(202));
  const ids = replies.map((r) => r.body.operation.id as string);
  const ops = await Promise.all(ids.map((id) => rig.waitFor(id)));
  expect(ops.map((o) => o.status)).toEqual(Array<string>(10).fill("succeeded"));

  // Never two steps on one stack at once, and on each stack the steps ran in submission order.
  expect(rig.runner.overlapsOnOneStack).toBe(0);
  const seqOf = new Map<string, number>();
  const db = rig.dump();
  for (const o of db["operations"] as { id: string; seq: number }[]) seqOf.set(o.id, o.seq);
  const byStack = new Map<string, { start: number; end: number }[]>();
  for (const c of rig.runner.calls) {
    const list = byStack.get(c.stack) ?? [];
    list.push({ start: c.start, end: c.end! });
    byStack.set(c.stack, list);
  }
  for (const [stack, list] of byStack) {
    for (let i = 1; i < list.length; i++) expect({ stack, ok: list[i]!.start >= list[i - 1]!.end }).toEqual({ stack, ok: true });
  }
  const steps = db["steps"] as { operation_id: string; id: string; stack: string; started_at: string | null; finished_at: string | null; status: string }[];
  expect(steps.filter((s) => !["succeeded", "skipped"].includes(s.status))).toEqual([]);
  // In the store: on each stack, a later-submitted operation's step starts only after the earlier one's finished.
  const ran = steps.filter((s) => s.status === "succeeded").map((s) => ({ ...s, seq: seqOf.get(s.operation_id)! }));
  for (const stack of new Set(ran.map((s) => s.stack))) {
    const list = ran.filter((s) => s.stack === stack).sort((a, b) => a.seq - b.seq);
    for (let i = 1; i < list.length; i++) {
      expect({ stack, later: list[i]!.id, startsAfterEarlierEnds: list[i]!.started_at! >= list[i - 1]!.finished_at! }).toEqual({ stack, later: list[i]!.id, startsAfterEarlierEnds: true });
    }
  }

  // Nothing left locked or queued: the runner holds no stack, the orchestrator no work, every region ready.
  expect([...rig.runner.running]).toEqual([]);
  expect(rig.svc.orchestrator.stats()).toEqual({ activeOperations: 0, queuedOperations: 0, runningSteps: 0, waitingSteps: 0 });
  expect((db["regions"] as { name: string; status: string }[]).map((r) => [r.name, r.status]).sort()).toEqual(
    ["us-east-1", ...names].map((n) => [n, "ready"]).sort(),
  );
  const after = await rig.req("POST", "/fleet/reconcile", { token: "operator" });
  expect(after.status).toBe(202);
  expect((await rig.waitFor(after.body.operation.id)).status).toBe("succeeded");
  console.log(`concurrency: 10 simultaneous changes → 10×202, all succeeded; ${rig.runner.calls.length} steps, 0 overlaps`);
});
