/**
 * The service over HTTP with the real engine on the local target: add a primary, add two replicas
 * (their steps overlap), follow SSE to the end, read masked outputs, update a region, 409s for a
 * concurrent change and for removing the primary, remove a replica (drain, destroy, peers updated).
 * One fleet, tests in order. Secrets read straight from the engine must appear in no response,
 * no event, no log line and not in the SQLite database.
 */
import * as fs from "node:fs";
import * as path from "node:path";
import { Writable } from "node:stream";
import { createLogger } from "../../../server/logger";
import { startService, type RunningService } from "../../../server/service";
import { cleanup, directRunner, testEnv, type TestEnv } from "./serviceHelpers";
import { EXAMPLE_FLEET } from "../../support/fixtures";
import { apiFor, TOKENS, waitForOperation, type Api } from "../../support/http";
import { processesMentioning } from "../../support/processTree";
import { secretStrings } from "../../support/secrets";
import { readSse } from "../../support/sse";

jest.setTimeout(900_000);

const logLines: string[] = [];
const sink = new Writable({
  write(chunk: Buffer, _enc, cb) {
    logLines.push(chunk.toString());
    cb();
  },
});

let env: TestEnv;
let svc: RunningService;
let api: Api;
const seen: unknown[] = [];
const timings: Record<string, number> = {};

async function call(...args: Parameters<Api>): ReturnType<Api> {
  const r = await api(...args);
  seen.push(r.body);
  return r;
}

beforeAll(async () => {
  env = await testEnv(3);
  svc = await startService(env.config(), { logger: createLogger({ level: "info", destination: sink }) });
  api = apiFor(svc.url);
});

afterAll(async () => {
  await svc.stop();
  await cleanup(env.stateDir);
  console.log(`service integration timings (ms): ${JSON.stringify(timings)}`);
});

describe("a fleet through the API on the local target", () => {
  let addPrimaryOp: string;

  test("when the primary is added, then 202 + Location, and its SSE stream runs to the end with engine events", async () => {
    const t = Date.now();
    const res = await call("POST", "/regions", { token: "operator", body: EXAMPLE_FLEET[0] });
    expect(res.status).toBe(202);
    addPrimaryOp = res.body.operation.id;
    expect(res.headers.get("location")).toBe(`/operations/${addPrimaryOp}`);
    const events = (await readSse(`${svc.url}/operations/${addPrimaryOp}/events`, { token: TOKENS.viewer, timeoutMs: 600_000 })).events;
    timings["add primary"] = Date.now() - t;
    seen.push(events);
    const failure = events.filter((e) => e.event === "step.failed" || e.event === "operation.finished").map((e) => e.data.message);
    expect({ end: events[events.length - 1], failure }).toEqual({ end: { event: "end", data: { status: "succeeded" } }, failure: [expect.stringMatching(/succeeded/)] });
    const kinds = new Set(events.map((e) => e.event));
    for (const k of ["operation.queued", "step.started", "step.succeeded", "operation.finished"]) expect(kinds).toContain(k);
    expect(events.some((e) => e.data?.urn?.includes("us-east-1"))).toBe(true);
    const ids = events.filter((e) => e.id !== undefined).map((e) => e.id!);
    expect([...ids].sort((a, b) => a - b)).toEqual(ids);

    const op = await waitForOperation(api, addPrimaryOp);
    expect(op.steps.map((s: any) => [s.id, s.status])).toEqual([["up:us-east-1", "succeeded"], ["up:global", "succeeded"]]);
    expect(op.steps[0].summary.create).toBeGreaterThan(3);
  });

  test("when two replicas are added, then the second add re-applies both replicas in parallel (overlapping step intervals) and global reads them only after both", async () => {
    const t = Date.now();
    const eu = await call("POST", "/regions", { token: "operator", body: EXAMPLE_FLEET[1] });
    expect(eu.status).toBe(202);
    const euOp = await waitForOperation(api, eu.body.operation.id);
    expect({ status: euOp.status, error: euOp.error }).toEqual({ status: "succeeded", error: undefined });
    const ap = await call("POST", "/regions", { token: "operator", body: EXAMPLE_FLEET[2] });
    expect(ap.status).toBe(202);
    const op = await waitForOperation(api, ap.body.operation.id);
    timings["add two replicas"] = Date.now() - t;
    expect({ status: op.status, error: op.error }).toEqual({ status: "succeeded", error: undefined });
    const step = (id: string) => op.steps.find((s: any) => s.id === id);
    const a = step("up:eu-west-1");
    const b = step("up:ap-south-1");
    expect(a.dependsOn).toEqual(["up:us-east-1"]);
    expect(b.dependsOn).toEqual(["up:us-east-1"]);
    expect(Date.parse(a.startedAt)).toBeLessThan(Date.parse(b.finishedAt));
    expect(Date.parse(b.startedAt)).toBeLessThan(Date.parse(a.finishedAt));
    // global starts once both replicas' steps ended, so its program reads the replicas' stacks only
    // after their engine updates ended (their summary events).
    const events = (await readSse(`${svc.url}/operations/${op.id}/events`, { token: TOKENS.viewer, timeoutMs: 600_000 })).events;
    const at = (pred: (e: any) => boolean) => events.filter((e) => e.data && pred(e)).map((e) => Date.parse(e.data.at));
    const replicaSummaries = at((e) => e.event === "summary" && (e.data.stepId === "up:eu-west-1" || e.data.stepId === "up:ap-south-1"));
    const globalReads = at((e) => e.data.stepId === "up:global" && String(e.data.message).includes("StackReference"));
    expect(replicaSummaries).toHaveLength(2);
    expect(globalReads.length).toBeGreaterThan(0);
    expect(Math.min(...globalReads)).toBeGreaterThanOrEqual(Math.max(...replicaSummaries));
    expect(b.summary.create).toBeGreaterThan(3);
  });

  test("when a region is read, then spec, status, outputs with secrets masked and the last operation come back", async () => {
    const res = await call("GET", "/regions/eu-west-1", { token: "viewer" });
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({ name: "eu-west-1", status: "ready", primary: false, provider: "local", lastOperation: { kind: "add", status: "succeeded" } });
    expect(res.body.outputs.databaseUrl).toBe("[secret]");
    expect(res.body.outputs.postgresAppPassword).toBe("[secret]");
    expect(typeof res.body.outputs.postgresPort).toBe("number");
    const list = await call("GET", "/regions", { token: "viewer" });
    expect(list.body.regions.map((r: any) => [r.name, r.status, r.primary])).toEqual([
      ["us-east-1", "ready", true],
      ["eu-west-1", "ready", false],
      ["ap-south-1", "ready", false],
    ]);
  });

  test("when a region is updated, then 202 and the change applies; a second concurrent change to it gets 409 naming the first", async () => {
    const first = await call("PUT", "/regions/eu-west-1", { token: "operator", body: { ...EXAMPLE_FLEET[1], app: { replicas: 3 } } });
    expect(first.status).toBe(202);
    const second = await call("PUT", "/regions/eu-west-1", { token: "operator", body: { ...EXAMPLE_FLEET[1], app: { replicas: 1 } } });
    expect(second.status).toBe(409);
    expect(second.body.error.details.operation).toBe(first.body.operation.id);
    const removeWhileBusy = await call("DELETE", "/regions/eu-west-1");
    expect(removeWhileBusy.status).toBe(409);
    const op = await waitForOperation(api, first.body.operation.id);
    expect(op.status).toBe("succeeded");
    const euStep = op.steps.find((s: any) => s.id === "up:eu-west-1");
    expect(Number(euStep.summary.create ?? 0) + Number(euStep.summary.update ?? 0)).toBeGreaterThan(0);
    const region = await call("GET", "/regions/eu-west-1", { token: "viewer" });
    expect(region.body.spec.app.replicas).toBe(3);
    expect(region.body.outputs.appPorts).toHaveLength(3);
  });

  test("when the primary is removed, then 409: fail over first", async () => {
    const res = await call("DELETE", "/regions/us-east-1");
    expect(res.status).toBe(409);
    expect(res.body.error.message).toMatch(/fail over/);
  });

  test("when a replica is removed, then it is drained from global, destroyed, and the peers are updated", async () => {
    const before = processesMentioning(path.join(env.stateDir, "local", "ap-south-1")).length;
    expect(before).toBeGreaterThan(0);
    const res = await call("DELETE", "/regions/ap-south-1");
    expect(res.status).toBe(202);
    const op = await waitForOperation(api, res.body.operation.id);
    expect(op.status).toBe("succeeded");
    expect(op.steps.slice(0, 2).map((s: any) => s.id)).toEqual(["up:global", "destroy:ap-south-1"]);
    expect(op.steps.find((s: any) => s.id === "destroy:ap-south-1").summary.delete).toBeGreaterThan(3);
    expect(op.steps.filter((s: any) => s.action === "up" && s.stack !== "global").map((s: any) => s.stack).sort()).toEqual(["eu-west-1", "us-east-1"]);
    expect((await call("GET", "/regions/ap-south-1", { token: "viewer" })).status).toBe(404);
    expect(processesMentioning(path.join(env.stateDir, "local", "ap-south-1"))).toEqual([]);
    expect(await directRunner(env.stateDir).listStacks()).not.toContain("ap-south-1");
  });

  test("when everything is done, then no secret from the engine appears in responses, events, logs or the database; metrics count it all", async () => {
    const runner = directRunner(env.stateDir);
    const secrets: string[] = [];
    for (const stack of ["us-east-1", "eu-west-1"]) secrets.push(...secretStrings((await runner.outputs(stack)) ?? {}));
    expect(secrets.length).toBeGreaterThan(3);
    const ops = await call("GET", "/operations?limit=100", { token: "viewer" });
    for (const o of ops.body.operations) seen.push((await readSse(`${svc.url}/operations/${o.id}/events`, { token: TOKENS.viewer, timeoutMs: 600_000 })).events);
    const db = ["aragora.db", "aragora.db-wal"].map((f) => path.join(env.stateDir, f)).filter((f) => fs.existsSync(f)).map((f) => fs.readFileSync(f).toString("latin1")).join("");
    const haystacks = { responses: JSON.stringify(seen), logs: logLines.join(""), database: db };
    const leaks: string[] = [];
    for (const s of secrets) {
      for (const [where, text] of Object.entries(haystacks)) {
        const at = text.indexOf(s);
        if (at >= 0) leaks.push(`${where}: …${text.slice(Math.max(0, at - 120), at)}<SECRET>${text.slice(at + s.length, at + s.length + 60)}…`);
      }
    }
    expect(leaks).toEqual([]);
    const metrics = await call("GET", "/metrics", { token: "viewer" });
    expect(metrics.body).toMatch(/aragora_operations\{kind="add",status="succeeded"\} 3/);
    expect(metrics.body).toMatch(/aragora_operations\{kind="remove",status="succeeded"\} 1/);
    expect(metrics.body).toMatch(/aragora_step_duration_seconds_count\{action="destroy"\} 1/);
    // The service process's own series.
    expect(metrics.body).toMatch(/^process_resident_memory_bytes [1-9][0-9]{6,}$/m);
    expect(metrics.body).toMatch(/^process_cpu_seconds_total [0-9.]+$/m);
    expect(metrics.body).toMatch(/^nodejs_eventloop_lag_max_seconds [0-9.e-]+$/m);
  });
});
