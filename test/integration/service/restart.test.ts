/**
 * Restart safety with the service run as a user runs it (a separate process): kill it (SIGKILL,
 * with its whole process group, engine included) in the middle of an `up`, start it again on the
 * same state dir, find the operation `interrupted` with every event kept, retry it to success.
 * Then SIGTERM mid-operation: a graceful stop records `interrupted` and exits 0.
 */
import { spawn, type ChildProcess } from "node:child_process";
import { projectDir } from "../../../server/engine/toolchain";
import { apiFor, childEnv, cleanup, storedEvents, testEnv, waitForOperation, type Api, type TestEnv } from "./serviceHelpers";

jest.setTimeout(900_000);

let env: TestEnv;
let proc: ChildProcess | undefined;
let output = "";
let api: Api;

async function startChild(): Promise<ChildProcess> {
  const child = spawn(process.execPath, ["-r", "ts-node/register/transpile-only", "server/main.ts"], {
    cwd: projectDir(),
    env: childEnv({ ...env.env, PORT: String(env.servicePort) }),
    detached: true,
    stdio: ["ignore", "pipe", "pipe"],
  });
  child.stdout.on("data", (d: Buffer) => (output = (output + d.toString()).slice(-20000)));
  child.stderr.on("data", (d: Buffer) => (output = (output + d.toString()).slice(-20000)));
  const deadline = Date.now() + 120_000;
  for (;;) {
    if (child.exitCode !== null) throw new Error(`service exited ${child.exitCode}: ${output.slice(-3000)}`);
    const ok = await fetch(`http://127.0.0.1:${env.servicePort}/health`).then((r) => r.ok, () => false);
    if (ok) return child;
    if (Date.now() > deadline) throw new Error(`service did not start: ${output.slice(-3000)}`);
    await new Promise((r) => setTimeout(r, 200));
  }
}

function exited(child: ChildProcess): Promise<number | null> {
  return child.exitCode !== null ? Promise.resolve(child.exitCode) : new Promise((resolve) => child.once("exit", (code) => { resolve(code); }));
}

async function until<T>(fn: () => Promise<T | undefined>, timeoutMs: number, what: string): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = await fn();
    if (v !== undefined) return v;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

beforeAll(async () => {
  env = await testEnv(1);
  api = apiFor(`http://127.0.0.1:${env.servicePort}`);
});

afterAll(async () => {
  if (proc && proc.exitCode === null && proc.pid !== undefined) {
    try { process.kill(-proc.pid, "SIGKILL"); } catch { /* gone */ }
  }
  await cleanup(env.stateDir);
});

describe("restart safety", () => {
  let opId: string;
  let eventsBeforeKill: number[] = [];

  test("when the service is killed mid-up and restarted, then the operation is interrupted with every event kept", async () => {
    proc = await startChild();
    const res = await api("POST", "/regions", { token: "operator", body: { name: "us-east-1", primary: true, app: { replicas: 1 } } });
    expect(res.status).toBe(202);
    opId = res.body.operation.id;
    // Mid-up: the region step runs and the engine has reported some resources, but not all.
    await until(async () => {
      const events = await api("GET", `/operations/${opId}`, { token: "viewer" });
      const step = events.body.steps?.[0];
      if (step?.status !== "running") return undefined;
      const stored = await readStored(opId);
      return stored.filter((e) => e.event === "resourcePre" || e.event === "resOutputs").length >= 4 ? true : undefined;
    }, 300_000, "the up to be under way");
    eventsBeforeKill = (await readStored(opId)).flatMap((e) => (e.id !== undefined ? [e.id] : []));
    process.kill(-proc.pid!, "SIGKILL");
    await exited(proc);

    proc = await startChild();
    const op = (await api("GET", `/operations/${opId}`, { token: "viewer" })).body;
    expect(op.status).toBe("interrupted");
    expect(op.error.code).toBe("interrupted");
    // up:global waited for the primary: it is left pending, and the retry runs it.
    expect(op.steps.map((s: any) => s.status)).toEqual(["interrupted", "pending"]);
    expect((await api("GET", "/regions/us-east-1", { token: "viewer" })).body.status).toBe("interrupted");
    const after = await readStored(opId);
    const ids = after.map((e) => e.id!);
    for (const id of eventsBeforeKill) expect(ids).toContain(id);
    expect(after.map((e) => e.event)).toContain("operation.interrupted");
  });

  test("when the interrupted operation is retried, then it completes and the region is ready", async () => {
    const retry = await api("POST", `/operations/${opId}/retry`, { token: "operator" });
    expect(retry.status).toBe(202);
    expect(retry.headers.get("location")).toBe(`/operations/${opId}`);
    const op = await waitForOperation(api, opId);
    expect({ status: op.status, error: op.error }).toEqual({ status: "succeeded", error: undefined });
    expect(op.attempt).toBe(2);
    expect(op.steps.map((s: any) => [s.id, s.status])).toEqual([["up:us-east-1", "succeeded"], ["up:global", "succeeded"]]);
    const region = (await api("GET", "/regions/us-east-1", { token: "viewer" })).body;
    expect(region.status).toBe("ready");
    expect(region.outputs.databaseUrl).toBe("[secret]");
    const events = await readStored(opId);
    expect(events.map((e) => e.id!).slice(0, eventsBeforeKill.length)).toEqual(eventsBeforeKill);
    expect(events.some((e) => e.event === "operation.retried")).toBe(true);
  });

  test("when SIGTERM arrives mid-operation, then the service records it interrupted, exits 0, and a retry after restart completes it", async () => {
    const res = await api("PUT", "/regions/us-east-1", { token: "operator", body: { name: "us-east-1", primary: true, app: { replicas: 2 } } });
    expect(res.status).toBe(202);
    const id = res.body.operation.id;
    await until(async () => ((await api("GET", `/operations/${id}`, { token: "viewer" })).body.steps?.[0]?.status === "running" ? true : undefined), 120_000, "the update to start");
    process.kill(proc!.pid!, "SIGTERM");
    expect(await exited(proc!)).toBe(0);
    proc = await startChild();
    const op = (await api("GET", `/operations/${id}`, { token: "viewer" })).body;
    expect(op.status).toBe("interrupted");
    expect((await api("POST", `/operations/${id}/retry`, { token: "operator" })).status).toBe(202);
    expect((await waitForOperation(api, id)).status).toBe("succeeded");
    expect((await api("GET", "/regions/us-east-1", { token: "viewer" })).body.outputs.appPorts).toHaveLength(2);
    process.kill(proc.pid!, "SIGTERM");
    expect(await exited(proc)).toBe(0);
  });
});

/** The operation's stored events, replayed over SSE (ends at once for a finished operation). */
const readStored = (operationId: string) => storedEvents(`http://127.0.0.1:${env.servicePort}`, operationId);
