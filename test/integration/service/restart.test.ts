/**
 * Restart safety with the service run as a user runs it (a separate process): kill it (SIGKILL,
 * with its whole process group, engine included) in the middle of an `up`, start it again on the
 * same state dir, find the operation `interrupted` with every event kept, retry it to success.
 * Then SIGTERM mid-operation: a graceful stop records `interrupted` and exits 0.
 */
import { cleanup, testEnv, type TestEnv } from "./serviceHelpers";
import { apiFor, TOKENS, until, waitForOperation, type Api } from "../../support/http";
import { exitOf, spawnService, waitHealthy, type ServiceChild } from "../../support/serviceProcess";
import { followSse, readSse, type SseEvent } from "../../support/sse";

jest.setTimeout(900_000);

let env: TestEnv;
let proc: ServiceChild | undefined;
let api: Api;

/** server/main.ts in its own process group on the test's port, once healthy. */
async function startChild(): Promise<ServiceChild> {
  const child = spawnService({ ...env.env, PORT: String(env.servicePort) });
  await waitHealthy(child, env.servicePort);
  return child;
}

beforeAll(async () => {
  env = await testEnv(1);
  api = apiFor(`http://127.0.0.1:${env.servicePort}`);
});

afterAll(async () => {
  const pid = proc?.child.pid;
  if (proc && proc.child.exitCode === null && pid !== undefined) {
    try { process.kill(-pid, "SIGKILL"); } catch { /* gone */ }
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
    // Mid-up: the engine has reported some of the region step's resources, not all (followed live,
    // so the kill lands right then, not a poll later).
    const seen = await followSse(`http://127.0.0.1:${String(env.servicePort)}/operations/${opId}/events`, { token: TOKENS.viewer }, (events) =>
      events.filter((e) => e.event === "resourcePre" || e.event === "resOutputs").length >= 4);
    expect(seen.reached).toBe(true);
    process.kill(-proc.child.pid!, "SIGKILL");
    eventsBeforeKill = seen.events.flatMap((e) => (e.id !== undefined ? [e.id] : []));
    await exitOf(proc.child);

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
    proc!.child.kill("SIGTERM");
    expect(await exitOf(proc!.child)).toBe(0);
    proc = await startChild();
    const op = (await api("GET", `/operations/${id}`, { token: "viewer" })).body;
    expect(op.status).toBe("interrupted");
    expect((await api("POST", `/operations/${id}/retry`, { token: "operator" })).status).toBe(202);
    expect((await waitForOperation(api, id)).status).toBe("succeeded");
    expect((await api("GET", "/regions/us-east-1", { token: "viewer" })).body.outputs.appPorts).toHaveLength(2);
    proc.child.kill("SIGTERM");
    expect(await exitOf(proc.child)).toBe(0);
  });
});

/** The operation's stored events, read over SSE for at most 1.5 s (a live operation's stream does not end by itself). */
const readStored = async (operationId: string): Promise<SseEvent[]> =>
  (await readSse(`http://127.0.0.1:${env.servicePort}/operations/${operationId}/events`, { token: TOKENS.viewer, forMs: 1500 })).events;
