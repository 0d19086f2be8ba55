/**
 * The service's database failing while it runs, with the real SQLite store: "disk full" is SQLite's
 * own SQLITE_FULL, made by capping the service's connection at the pages the database has
 * (`PRAGMA max_page_count` is per connection, so the cap is set on the service's own connection
 * through a subclass of its store). The service must keep running and answering reads, refuse
 * changes with 503 store_unavailable (never a 500), say degraded on /health with the cause, fail the
 * operation whose progress it cannot record, lose nothing it acknowledged, and be ok again once a
 * write succeeds. An I/O error while an SSE stream waits for an operation's last event closes the
 * stream instead of escaping as an unhandled rejection. Where the page cap cannot choose which write
 * fails (updates in place still fit), the store throws SQLite's own error from chosen methods: a
 * step whose record and whose operation's end are refused keeps the operation active (its regions
 * taken) until the store can be written, and it then ends failed.
 *
 * Crash safety: jest fails a test on any unhandled rejection or uncaught exception raised while it
 * runs (it holds the process-level handlers itself; a listener installed here would never be
 * called), so these tests passing is the check that none was raised.
 */
import Database from "better-sqlite3";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import type { OperationStatus, StepStatus } from "../../../domain/model";
import { StoreUnavailableError, storeUnavailable } from "../../../server/errors";
import { createLogger } from "../../../server/logger";
import { SqliteStore } from "../../../server/store/sqliteStore";
import type { OperationPatch, StepPatch } from "../../../server/store/store";
import { StoreHealth } from "../../../server/store/storeHealth";
import { primary, replica } from "../../support/fixtures";
import { until } from "../../support/http";
import { LogSink, startTestService, type FakeService } from "../../support/serviceDriver";

jest.setTimeout(30_000);

const DISK_FULL = "the service's database cannot be written: disk full (SQLITE_FULL)";
const full = (): Error => new Database.SqliteError("database or disk is full", "SQLITE_FULL");

/** The SQLite store with a hold on its own connection: a page cap ("disk full") and failing event reads. */
class FaultyStore extends SqliteStore {
  private limit: number | undefined;
  /** listEvents calls left before each one throws SQLITE_IOERR_READ; undefined: never. */
  eventReadsLeft: number | undefined;
  /** Methods that throw SQLITE_FULL. */
  readonly failing = new Set<"putStack" | "transitionStep" | "transitionOperation" | "checkWritable">();

  /** Caps the database at the pages it has: a write that needs one more fails with SQLITE_FULL. Returns the pages on the free list (0: every write that grows fails). */
  fill(): number {
    this.limit ??= this.db.pragma("max_page_count", { simple: true }) as number;
    this.db.pragma(`max_page_count = ${String(this.db.pragma("page_count", { simple: true }))}`);
    return this.db.pragma("freelist_count", { simple: true }) as number;
  }

  unfill(): void {
    if (this.limit !== undefined) this.db.pragma(`max_page_count = ${String(this.limit)}`);
  }

  override listEvents(operationId: string, afterId: number, limit: number): ReturnType<SqliteStore["listEvents"]> {
    if (this.eventReadsLeft !== undefined && this.eventReadsLeft-- <= 0) throw new Database.SqliteError("disk I/O error", "SQLITE_IOERR_READ");
    return super.listEvents(operationId, afterId, limit);
  }

  override putStack(name: string, fingerprint: string | undefined, outputs: Record<string, unknown>): Promise<void> {
    if (this.failing.has("putStack")) throw full();
    return super.putStack(name, fingerprint, outputs);
  }

  override transitionStep(operationId: string, stepId: string, from: readonly StepStatus[], to: StepStatus, patch?: StepPatch): Promise<boolean> {
    if (this.failing.has("transitionStep")) throw full();
    return super.transitionStep(operationId, stepId, from, to, patch);
  }

  override transitionOperation(id: string, from: readonly OperationStatus[], to: OperationStatus, patch?: OperationPatch): Promise<boolean> {
    if (this.failing.has("transitionOperation")) throw full();
    return super.transitionOperation(id, from, to, patch);
  }

  override checkWritable(): Promise<void> {
    if (this.failing.has("checkWritable")) throw full();
    return super.checkWritable();
  }
}

let dir: string;
let store: FaultyStore;
let h: FakeService | undefined;

beforeEach(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), "aragora-store-faults-"));
  store = new FaultyStore(path.join(dir, "aragora.db"));
});
afterEach(async () => {
  await h?.close();
  h = undefined;
  fs.rmSync(dir, { recursive: true, force: true });
});

/** Holds `action` on `stack` in the fake engine until the returned function is called. */
function hold(svc: FakeService, key: string): () => void {
  let release = (): void => undefined;
  svc.runner.gates.set(key, new Promise<void>((r) => { release = r; }));
  return () => {
    svc.runner.gates.delete(key);
    release();
  };
}

/** Adds the primary, then starts adding eu-west-1 with its up held; returns both operations' ids. */
async function fleetWithAddRunning(svc: FakeService): Promise<{ first: string; running: string; release: () => void }> {
  const first = (await svc.req("POST", "/regions", { body: primary })).body.operation.id as string;
  expect((await svc.waitFor(first)).status).toBe("succeeded");
  // Outputs larger than a page: recording them needs pages a full database does not have.
  svc.runner.outputsByStack.set("eu-west-1", { region: { value: "eu-west-1", secret: false }, manifest: { value: "m".repeat(20_000), secret: false } });
  const release = hold(svc, "up:eu-west-1");
  const res = await svc.req("POST", "/regions", { body: replica("eu-west-1") });
  expect(res.status).toBe(202);
  await until(() => (svc.runner.running.has("eu-west-1") ? true : undefined), 5000, "the held up");
  return { first, running: res.body.operation.id as string, release };
}

test("when the database fills up while an operation runs, then changes get 503 store_unavailable, /health says degraded, the operation fails, and after space returns all is well and nothing acknowledged is lost", async () => {
  h = await startTestService({ store, stateDir: dir });
  const svc = h;
  const { first, running, release } = await fleetWithAddRunning(svc);
  const acknowledged = (await svc.req("GET", "/operations")).body.operations.map((o: any) => o.id);
  expect(acknowledged).toEqual([running, first]);

  expect(store.fill()).toBe(0);
  const refused = await svc.req("POST", "/regions", { token: "operator", body: replica("ap-south-1") });
  expect({ status: refused.status, error: refused.body.error }).toEqual({ status: 503, error: { code: "store_unavailable", message: DISK_FULL } });
  const degraded = await svc.req("GET", "/health", { token: null });
  expect(degraded.status).toBe(503);
  expect(degraded.body).toEqual({ status: "degraded", version: expect.any(String), reason: DISK_FULL, since: expect.stringMatching(/^\d{4}-/) });

  // The held step ends; recording its outputs needs pages the database cannot take.
  release();
  await until(() => (svc.orchestrator.stats().runningSteps === 0 ? true : undefined), 5000, "the step to end");
  expect((await svc.req("GET", "/health", { token: null })).body.status).toBe("degraded");
  expect((await svc.req("GET", "/regions")).status).toBe(200);
  expect((await svc.req("GET", `/operations/${running}`)).status).toBe(200);
  expect((await svc.req("PUT", "/regions/us-east-1", { body: { ...primary, app: { replicas: 2 } } })).status).toBe(503);

  store.unfill();
  await until(async () => ((await svc.req("GET", "/health", { token: null })).status === 200 ? true : undefined), 10_000, "/health to be ok");
  expect((await svc.req("GET", "/health", { token: null })).body).toEqual({ status: "ok", version: expect.any(String) });

  const failed = await svc.waitFor(running);
  expect(failed.status).toBe("failed");
  expect(failed.error.message).toContain("disk full");
  expect(failed.steps.map((s: any) => [s.id, s.status])).toEqual([["up:us-east-1", "succeeded"], ["up:eu-west-1", "failed"], ["up:global", "cancelled"]]);
  expect(failed.steps[1].error.message).toContain(DISK_FULL);
  expect((await svc.req("GET", "/operations")).body.operations.map((o: any) => [o.id, o.status])).toEqual([[running, "failed"], [first, "succeeded"]]);
  expect((await svc.req("GET", "/regions")).body.regions.map((r: any) => [r.name, r.status])).toEqual([["us-east-1", "ready"], ["eu-west-1", "failed"]]);

  // Writes work again: the failed add is retried to success and new changes are taken.
  expect((await svc.req("POST", `/operations/${running}/retry`, { token: "operator" })).status).toBe(202);
  expect((await svc.waitFor(running)).status).toBe("succeeded");
  expect((await svc.req("GET", "/regions/eu-west-1")).body.outputs.manifest).toHaveLength(20_000);
  const added = await svc.req("POST", "/regions", { token: "operator", body: replica("ap-south-1") });
  expect(added.status).toBe(202);
  expect((await svc.waitFor(added.body.operation.id)).status).toBe("succeeded");

  const logs = svc.logs.lines.join("\n");
  expect(logs).toContain(`store degraded: ${DISK_FULL}`);
  expect(logs).toContain("store writable again");
  expect(logs).not.toContain('"msg":"unhandled error"');
});

test("when the service stops while its database is full, then it stops cleanly, and the next start finds the running operation interrupted and retries it", async () => {
  h = await startTestService({ store, stateDir: dir });
  const { first, running } = await fleetWithAddRunning(h);
  expect(store.fill()).toBe(0);
  expect((await h.req("POST", "/regions", { body: replica("ap-south-1") })).status).toBe(503);
  const stopping = h;
  h = undefined;
  await expect(stopping.close()).resolves.toBeUndefined();

  h = await startTestService({ stateDir: dir });
  const ops = (await h.req("GET", "/operations")).body.operations.map((o: any) => [o.id, o.status]);
  expect(ops).toEqual([[running, "interrupted"], [first, "succeeded"]]);
  expect((await h.req("POST", `/operations/${running}/retry`, { token: "operator" })).status).toBe(202);
  expect((await h.waitFor(running)).status).toBe("succeeded");
});

test("when the store refuses a step's record and its operation's end, then the operation stays active, its regions taken, until the store can be written; it then ends failed and can be retried", async () => {
  h = await startTestService({ store, stateDir: dir });
  const svc = h;
  const { running, release } = await fleetWithAddRunning(svc);
  for (const m of ["putStack", "transitionStep", "transitionOperation", "checkWritable"] as const) store.failing.add(m);
  release();
  await until(() => (svc.orchestrator.stats().runningSteps === 0 ? true : undefined), 5000, "the step to end");
  await new Promise((r) => setTimeout(r, 100));

  expect(svc.orchestrator.stats().activeOperations).toBe(1);
  expect((await svc.req("GET", `/operations/${running}`)).body.status).toBe("running");
  expect((await svc.req("GET", "/health", { token: null })).body).toMatchObject({ status: "degraded", reason: DISK_FULL });
  const conflict = await svc.req("PUT", "/regions/eu-west-1", { body: { ...replica("eu-west-1"), app: { replicas: 2 } } });
  expect({ status: conflict.status, operation: conflict.body.error?.details?.operation }).toEqual({ status: 409, operation: running });

  store.failing.clear();
  await until(async () => ((await svc.req("GET", "/health", { token: null })).status === 200 ? true : undefined), 10_000, "/health to be ok");
  const failed = await svc.waitFor(running);
  expect(failed.status).toBe("failed");
  const step = failed.steps.find((s: any) => s.id === "up:eu-west-1");
  expect(step).toMatchObject({ status: "failed", error: { code: "store_unavailable", message: `the step's progress could not be recorded: ${DISK_FULL}` } });
  expect(failed.steps.find((s: any) => s.id === "up:global").status).toBe("cancelled");
  expect((await svc.req("GET", "/regions/eu-west-1")).body.status).toBe("failed");
  expect(svc.orchestrator.stats().activeOperations).toBe(0);
  expect(svc.logs.lines.join("\n")).toContain("recorded the end of the operation once the store could be written");

  expect((await svc.req("POST", `/operations/${running}/retry`, { token: "operator" })).status).toBe(202);
  expect((await svc.waitFor(running)).status).toBe("succeeded");
});

test("when the store cannot be read while an event stream waits for an operation's last event, then the stream closes without end and the service carries on", async () => {
  h = await startTestService({ store, stateDir: dir });
  const id = (await h.req("POST", "/regions", { body: primary })).body.operation.id as string;
  expect((await h.waitFor(id)).status).toBe("succeeded");
  // A finished operation whose last stored event is not its final one: the stream re-reads after a grace second.
  await h.store.appendEvent({ operationId: id, kind: "note", message: "a late note" });
  store.eventReadsLeft = 1;
  const stream = await h.sse(id, { timeoutMs: 5000 });
  store.eventReadsLeft = undefined;
  expect(stream.status).toBe(200);
  expect(stream.events.map((e) => e.event)).toContain("note");
  expect(stream.events.map((e) => e.event)).not.toContain("end");
  expect(h.logs.lines.join("\n")).toContain("store degraded: the service's database cannot be read or written: I/O error (SQLITE_IOERR_READ)");
  await until(async () => ((await h?.req("GET", "/health", { token: null }))?.status === 200 ? true : undefined), 10_000, "/health to be ok");
  expect((await h.sse(id)).events.at(-1)?.event).toBe("end");
});

describe("store faults, one at a time", () => {
  test("SQLite's codes for a failing database map to 503 store_unavailable naming the cause; other errors do not", () => {
    const as = (code: string): StoreUnavailableError | undefined => storeUnavailable(new Database.SqliteError("x", code));
    expect(as("SQLITE_FULL")).toMatchObject({ status: 503, code: "store_unavailable", message: DISK_FULL, sqliteCode: "SQLITE_FULL" });
    expect(as("SQLITE_READONLY_DBMOVED")?.message).toMatch(/^the service's database cannot be written: it is read-only .*\(SQLITE_READONLY_DBMOVED\)$/);
    expect(as("SQLITE_IOERR_WRITE")?.message).toBe("the service's database cannot be read or written: I/O error (SQLITE_IOERR_WRITE)");
    expect(as("SQLITE_CANTOPEN")?.message).toBe("the service's database cannot be opened (SQLITE_CANTOPEN)");
    expect(as("SQLITE_CORRUPT")?.message).toBe("the service's database is damaged (SQLITE_CORRUPT)");
    for (const code of ["SQLITE_CONSTRAINT_UNIQUE", "SQLITE_ERROR", "SQLITE_FULLX"]) expect(as(code)).toBeUndefined();
    expect(storeUnavailable(Object.assign(new Error("no space"), { code: "ENOSPC" }))).toBeUndefined();
    expect(storeUnavailable("SQLITE_FULL")).toBeUndefined();
  });

  test("health: degraded on a fault, still degraded while the probe write fails, ok (waiters released) once it succeeds", async () => {
    let writable = false;
    const probes: boolean[] = [];
    const health = new StoreHealth({
      probe: () => {
        probes.push(writable);
        return writable ? Promise.resolve() : Promise.reject(new Database.SqliteError("full", "SQLITE_FULL"));
      },
      logger: createLogger({ destination: new LogSink() }),
      minProbeGapMs: 0,
    });
    try {
      const other = new Error("a bug");
      expect(health.failed(other)).toBe(other);
      expect(health.fault).toBeUndefined();
      expect(await health.check()).toBeUndefined();

      expect(health.failed(new Database.SqliteError("full", "SQLITE_FULL"))).toBeInstanceOf(StoreUnavailableError);
      const since = health.fault?.since;
      let released = false;
      void health.whenWritable().then(() => (released = true));
      expect((await health.check())?.message).toBe(DISK_FULL);
      health.succeeded();
      await health.check();
      expect(released).toBe(false);
      expect(health.fault?.since).toBe(since);

      writable = true;
      expect(await health.check()).toBeUndefined();
      await Promise.resolve();
      expect(released).toBe(true);
      expect(probes).toEqual([false, false, true]);
    } finally {
      health.close();
    }
  });
});
