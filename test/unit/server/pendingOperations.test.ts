/**
 * Resource operations a killed engine run left pending (docs/reliability.md, "Pending
 * operations"), through the HTTP API with the fake engine: they are never dropped; the next step on
 * the stack has the engine resolve what reality can settle (creates that adopt, updates, deletes);
 * a cloud create that may or may not have happened stops the step as `needs_attention` until an
 * admin decides it (import by id, or clear), audited, and the retry then completes the operation.
 */
import * as path from "node:path";
import Database from "better-sqlite3";
import { FakeRunner } from "../../support/fakeRunner";
import { primary } from "../../support/fixtures";
import { startTestService, type FakeService } from "../../support/serviceDriver";

const cloudCreate = { urn: "urn:pulumi:us-east-1::aragora::aws:rds/instance:Instance::db", type: "aws:rds/instance:Instance", operation: "creating" };
const localCreate = { urn: "urn:pulumi:us-east-1::aragora::aragora-local:index:PostgresServer::pg", type: "aragora-local:index:PostgresServer", operation: "creating" };
const localUpdate = { urn: "urn:pulumi:us-east-1::aragora::aragora-local:index:Dir::dir", type: "aragora-local:index:Dir", operation: "updating", id: "dir:/x" };

describe("pending operations of a killed engine run", () => {
  let h: FakeService;
  beforeEach(async () => { h = await startTestService(); });
  afterEach(async () => { await h.close(); });

  /** An add whose region step "was killed" leaving `pending` on the stack. */
  async function killedAdd(pending: object[]): Promise<string> {
    h.runner.failures.set("up:us-east-1", "the engine process (pulumi up) was killed (SIGKILL) before it finished");
    h.runner.pending.set("us-east-1", pending as never);
    const p = await h.req("POST", "/regions", { body: primary });
    const failed = await h.waitFor(p.body.operation.id);
    expect(failed.status).toBe("failed");
    return p.body.operation.id as string;
  }

  test("when a killed run left a cloud create pending, then the retry stops at needs_attention naming it, without running the engine on that stack", async () => {
    const id = await killedAdd([cloudCreate]);
    expect([...(await h.store.pendingOperations()).entries()]).toEqual([["us-east-1", [cloudCreate]]]);
    const before = h.runner.calls.length;
    expect((await h.req("POST", `/operations/${id}/retry`, { token: "operator" })).status).toBe(202);
    const op = await h.waitFor(id);
    expect(op.status).toBe("needs_attention");
    expect(op.error.code).toBe("needs_attention");
    const step = op.steps.find((s: { id: string }) => s.id === "up:us-east-1");
    expect(step.status).toBe("needs_attention");
    expect(step.error.code).toBe("pending_operations");
    expect(step.error.message).toContain(cloudCreate.urn.split("::").pop());
    expect(step.error.message).toContain("POST /stacks/us-east-1/pending-operations");
    expect(step.error.message).toContain(`POST /operations/${id}/retry`);
    expect(h.runner.calls.length).toBe(before); // no up, no global step
    expect(h.runner.pendingCalls).toEqual([{ stack: "us-east-1", kind: "resolve" }]);
    expect((await h.req("GET", "/regions/us-east-1")).body.status).toBe("needs_attention");
    const events = (await h.sse(id)).events.map((e) => e.data as { kind: string });
    expect(events.map((e) => e.kind)).toContain("step.needs_attention");
  });

  test("when an admin decides the pending create, then it is recorded, audited and logged on the operation, and the retry completes the add", async () => {
    const id = await killedAdd([cloudCreate]);
    await h.req("POST", `/operations/${id}/retry`, { token: "operator" });
    await h.waitFor(id);

    const listed = await h.req("GET", "/stacks/us-east-1/pending-operations", { token: "operator" });
    expect(listed.status).toBe(200);
    expect(listed.body.pendingOperations).toEqual([cloudCreate]);
    expect(listed.body.choices.map((c: string) => c.split(":")[0])).toEqual(["retry", "import", "clear"]);

    const asOperator = await h.req("POST", "/stacks/us-east-1/pending-operations", { token: "operator", body: { decisions: [{ urn: cloudCreate.urn, action: "clear" }] } });
    expect(asOperator.status).toBe(403);
    const undecided = await h.req("POST", "/stacks/us-east-1/pending-operations", { token: "admin", body: { decisions: [] } });
    expect(undecided.status).toBe(400);
    expect(undecided.body.error.details).toEqual([{ path: "decisions", message: `no decision for pending create ${cloudCreate.urn}` }]);
    const badId = await h.req("POST", "/stacks/us-east-1/pending-operations", { token: "admin", body: { decisions: [{ urn: cloudCreate.urn, action: "import" }] } });
    expect(badId.status).toBe(400);
    expect(badId.body.error.details).toEqual([{ path: "decisions.0.id", message: expect.stringMatching(/expected string/) as unknown }]);

    const decided = await h.req("POST", "/stacks/us-east-1/pending-operations", { token: "admin", body: { decisions: [{ urn: cloudCreate.urn, action: "import", id: "db-123" }] } });
    expect(decided.status).toBe(200);
    expect(decided.body).toEqual({ stack: "us-east-1", pendingOperations: [], choices: [] });
    expect(h.runner.pendingCalls.at(-1)).toEqual({ stack: "us-east-1", kind: "decide", decisions: [{ urn: cloudCreate.urn, action: "import", id: "db-123" }] });
    expect((await h.store.pendingOperations()).size).toBe(0);
    const audit = await h.req("GET", "/audit", { token: "admin" });
    expect(audit.body.entries.some((e: { path: string; actor: string; status: number }) => e.path === "/stacks/us-east-1/pending-operations" && e.actor === "ada" && e.status === 200)).toBe(true);

    expect((await h.req("POST", `/operations/${id}/retry`, { token: "operator" })).status).toBe(202);
    const done = await h.waitFor(id);
    expect(done.status).toBe("succeeded");
    const kinds = (await h.sse(id)).events.map((e) => e.data as { kind: string; message: string });
    expect(kinds.find((e) => e.kind === "pending.decided")?.message).toMatch(/^ada decided the pending operations of stack us-east-1: import .*db as id db-123/);
  });

  test("when a killed run left local creates and updates pending, then the retry has the engine resolve them and the add completes without an admin", async () => {
    const id = await killedAdd([localCreate, localUpdate]);
    expect((await h.req("POST", `/operations/${id}/retry`, { token: "operator" })).status).toBe(202);
    const done = await h.waitFor(id);
    expect(done.status).toBe("succeeded");
    expect(h.runner.pendingCalls).toEqual([{ stack: "us-east-1", kind: "resolve" }]);
    expect((await h.store.pendingOperations()).size).toBe(0);
    const resolved = (await h.sse(id)).events.map((e) => e.data as { kind: string; message: string }).find((e) => e.kind === "pending.resolved");
    expect(resolved?.message).toMatch(/resolved 2 pending resource operation\(s\).*creating aragora-local:index:PostgresServer pg.*updating aragora-local:index:Dir dir/);
  });

  test("when the stack holds nothing pending, then no resolution runs before its steps", async () => {
    const p = await h.req("POST", "/regions", { body: primary });
    expect((await h.waitFor(p.body.operation.id)).status).toBe("succeeded");
    expect(h.runner.pendingCalls).toEqual([]);
    const listed = await h.req("GET", "/stacks/us-east-1/pending-operations", { token: "operator" });
    expect(listed.body).toEqual({ stack: "us-east-1", pendingOperations: [], choices: [] });
  });

  test("when an operation is active on the stack, then deciding its pending operations is refused with 409", async () => {
    let release: () => void = () => undefined;
    h.runner.gates.set("up:us-east-1", new Promise<void>((r) => { release = r; }));
    const p = await h.req("POST", "/regions", { body: primary });
    const res = await h.req("POST", "/stacks/us-east-1/pending-operations", { token: "admin", body: { decisions: [] } });
    expect(res.status).toBe(409);
    expect(res.body.error.message).toContain(p.body.operation.id);
    release();
    await h.waitFor(p.body.operation.id);
  });
});

describe("pending operations across a restart", () => {
  test("when the service starts and a stack of an interrupted operation holds pending operations, then recovery records them and the retry stops at needs_attention", async () => {
    const first = await startTestService();
    let release: () => void = () => undefined;
    first.runner.gates.set("up:us-east-1", new Promise<void>((r) => { release = r; }));
    const p = await first.req("POST", "/regions", { body: primary });
    const id = p.body.operation.id as string;
    await first.svc.stop();
    release();
    // A crash records nothing: put the operation back the way a killed service leaves it.
    const db = new Database(path.join(first.stateDir, "aragora.db"));
    db.prepare("UPDATE operations SET status = 'running', finished_at = NULL, error = NULL WHERE id = ?").run(id);
    db.prepare("UPDATE steps SET status = 'running', finished_at = NULL WHERE operation_id = ? AND id = 'up:us-east-1'").run(id);
    db.close();

    const runner = new FakeRunner();
    runner.pending.set("us-east-1", [cloudCreate]);
    const second = await startTestService({ stateDir: first.stateDir, runner });
    try {
      expect(second.svc.recovered.operations).toEqual([id]);
      expect(runner.recovered.sort()).toEqual(["global", "us-east-1"]);
      expect([...(await second.store.pendingOperations()).keys()]).toEqual(["us-east-1"]);
      expect((await second.req("POST", `/operations/${id}/retry`, { token: "operator" })).status).toBe(202);
      const op = await second.waitFor(id);
      expect(op.status).toBe("needs_attention");
      expect(runner.calls.filter((c) => c.stack === "us-east-1")).toEqual([]);
    } finally {
      await second.close();
    }
  });
});
