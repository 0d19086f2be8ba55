/**
 * The engine process killed mid-`up`: the service runs as a user runs it (a child process); once
 * the region's `up` step is under way, the `pulumi up` CLI among the service's descendants gets
 * SIGKILL (the service itself keeps running). The step must fail promptly with a message saying
 * the engine process died, the operation must be `failed` with nothing secret in it, no provider
 * working for the dead engine may keep running; the stack lock the dead CLI left is removed, the
 * resource operations it left pending are kept (never dropped), and `POST /operations/{id}/retry`
 * resolves them against reality first (the local provider's creates adopt what the killed ones
 * left) and brings the region up. Then the
 * same for the engine host process itself (the parent of the running CLI): the step fails saying
 * so, its orphaned engine is stopped, and the retry runs on a new host.
 */
import { Client } from "pg";
import { cleanup, directRunner, testEnv, type TestEnv } from "./serviceHelpers";
import { apiFor, TOKENS, until, waitForOperation, type Api } from "../../support/http";
import { alive, descendants } from "../../support/processTree";
import { secretStrings } from "../../support/secrets";
import { PASSPHRASE } from "../../support/serviceDriver";
import { exitOf, spawnService, waitHealthy, type ServiceChild } from "../../support/serviceProcess";
import { followSse, readSse } from "../../support/sse";

jest.setTimeout(900_000);

const REGION = "us-east-1";
let env: TestEnv;
let svc: ServiceChild | undefined;
let api: Api;
let base: string;
const figures: Record<string, unknown> = {};

/** The aragora-local provider servers an engine host keeps (server/engine/providerPool.ts). */
function providerServersOf(hostPid: number): { pid: number; ppid: number; argv: string[] }[] {
  return descendants(hostPid).filter((p) => p.ppid === hostPid && p.argv.some((a) => /[/\\]local[/\\]provider[/\\]main\.(js|ts)$/.test(a)));
}

const isPulumiUp = (argv: string[]): boolean => (argv[0] ?? "").split("/").pop() === "pulumi" && argv.includes("up");

/**
 * The `pulumi up` CLI of the region's step among the service's descendants, once that step runs
 * and its engine has reported `resources` resources: the update is under way. (Matched by its
 * `--stack` argument: another step of the operation, `global`, runs a `pulumi up` too.)
 */
async function upUnderway(servicePid: number, opId: string, resources: number): Promise<{ pid: number; ppid: number; argv: string[] }> {
  const stepId = `up:${REGION}`;
  let cli: { pid: number; ppid: number; argv: string[] } | undefined;
  // Followed live, so the kill lands while the step runs (a poll could come after it ended).
  const seen = await followSse(`${base}/operations/${opId}/events`, { token: TOKENS.viewer }, (events) => {
    if (events.filter((e) => e.event === "resourcePre" && e.data?.stepId === stepId).length < resources) return false;
    cli = descendants(servicePid).find((p) => isPulumiUp(p.argv) && p.argv.includes(REGION));
    return cli !== undefined;
  });
  if (!seen.reached || !cli) throw new Error(`the operation ended before the kill: ${JSON.stringify(seen.events.map((e) => e.event))}\n${svc?.output().slice(-3000) ?? ""}`);
  return cli;
}

beforeAll(async () => {
  env = await testEnv(1);
  base = `http://127.0.0.1:${env.servicePort}`;
  api = apiFor(base);
});

afterAll(async () => {
  console.log(`engine kill figures: ${JSON.stringify(figures)}`);
  const pid = svc?.child.pid;
  if (svc && svc.child.exitCode === null && pid !== undefined) {
    try { process.kill(-pid, "SIGKILL"); } catch { /* gone */ }
    await exitOf(svc.child);
  }
  await cleanup(env.stateDir);
});

describe("engine process killed mid-up", () => {
  let opId: string;
  let failedMessage = "";

  test("when the pulumi up process is SIGKILLed, then the step fails with a clear message, the operation is failed and no provider outlives it", async () => {
    svc = spawnService({ ...env.env, PORT: String(env.servicePort) });
    await waitHealthy(svc, env.servicePort);
    const servicePid = svc.child.pid!;
    const res = await api("POST", "/regions", { token: "operator", body: { name: REGION, primary: true, app: { replicas: 1 } } });
    expect(res.status).toBe(202);
    opId = res.body.operation.id;

    // Mid-up: the step runs, the engine has reported a few resources, and its CLI is a descendant of the service.
    const cli = await upUnderway(servicePid, opId, 4);
    // Everything working for this run before the CLI dies: what the CLI started, and the
    // aragora-local provider server of the engine host running it, which the run attached to.
    const engineChildren = [...descendants(cli.pid), ...providerServersOf(cli.ppid)];
    expect(providerServersOf(cli.ppid).length).toBeGreaterThan(0);
    figures["engineChildren"] = engineChildren.map((p) => p.argv.slice(0, 2).map((a) => a.split("/").pop()).join(" "));
    process.kill(cli.pid, "SIGKILL");
    const killedAt = Date.now();

    const op = await waitForOperation(api, opId, 120_000);
    figures["killToFailedMs"] = Date.now() - killedAt;
    expect(op.status).toBe("failed");
    const step = op.steps.find((s: any) => s.id === `up:${REGION}`);
    expect(step.status).toBe("failed");
    expect(step.error.code).toBe("step_failed");
    failedMessage = step.error.message as string;
    figures["failedMessage"] = failedMessage;
    expect(failedMessage).toMatch(new RegExp(`^up of stack ${REGION} failed: the engine process \\(pulumi up\\) was killed by SIGKILL`));
    expect(op.error.message).toContain("the engine process (pulumi up) was killed by SIGKILL");
    // The lock is removed at once (Pulumi's cancel), not left for a restart; pending operations stay.
    expect(failedMessage).toMatch(/its stack lock was removed and the resource operations it left pending are resolved before the stack runs again$/);
    const pending = await api("GET", `/stacks/${REGION}/pending-operations`, { token: "operator" });
    expect(pending.status).toBe(200);
    figures["pendingAfterKill"] = (pending.body.pendingOperations as { operation: string; type: string }[]).map((o) => `${o.operation} ${o.type}`);
    for (const o of pending.body.pendingOperations as { type: string }[]) expect(o.type).toMatch(/^aragora-local:/);
    expect(failedMessage.length).toBeLessThan(600);
    for (const s of [PASSPHRASE, ...Object.values(TOKENS)]) {
      expect(failedMessage).not.toContain(s);
      expect(JSON.stringify(op)).not.toContain(s);
    }
    expect((await api("GET", `/regions/${REGION}`, { token: "viewer" })).body.status).toBe("failed");
    // The service itself is unaffected.
    expect(svc.child.exitCode).toBeNull();
    expect((await fetch(`${base}/health`)).status).toBe(200);

    // No process that worked for the dead engine keeps running (a provider could otherwise finish a
    // create behind the retry's back; the runner kills the run's provider server and anything left
    // in the stack's workspace).
    const left = await until(() => {
      const still = engineChildren.map((p) => p.pid).filter(alive);
      return still.length === 0 ? still : undefined;
    }, 15_000, "the dead engine's plugins to exit").catch(() => engineChildren.map((p) => p.pid).filter(alive));
    figures["orphansAfter15s"] = left.length;
    expect(left).toEqual([]);
  });

  test("when the failed operation is retried, then the pending operations are resolved first, the region is ready, nothing stays pending and its postgres answers", async () => {
    const t0 = Date.now();
    const retry = await api("POST", `/operations/${opId}/retry`, { token: "operator" });
    expect(retry.status).toBe(202);
    const op = await waitForOperation(api, opId, 600_000);
    figures["retryMs"] = Date.now() - t0;
    expect({ status: op.status, error: op.error }).toEqual({ status: "succeeded", error: undefined });
    expect(op.attempt).toBe(2);
    expect(op.steps.map((s: any) => [s.id, s.status])).toEqual([[`up:${REGION}`, "succeeded"], ["up:global", "succeeded"]]);
    const region = (await api("GET", `/regions/${REGION}`, { token: "viewer" })).body;
    expect(region.status).toBe("ready");
    expect((await api("GET", `/stacks/${REGION}/pending-operations`, { token: "operator" })).body.pendingOperations).toEqual([]);
    if ((figures["pendingAfterKill"] as string[]).length > 0) {
      const events = (await readSse(`${base}/operations/${opId}/events`, { token: TOKENS.viewer })).events;
      expect(events.some((e) => e.event === "pending.resolved")).toBe(true);
    }

    const outputs = await directRunner(env.stateDir).outputs(REGION);
    expect(outputs).toBeDefined();
    const pg = new Client({
      host: "127.0.0.1",
      port: outputs!["postgresPort"]?.value as number,
      user: "aragora_app",
      password: outputs!["postgresAppPassword"]?.value as string,
      database: "aragora",
      connectionTimeoutMillis: 3000,
    });
    await pg.connect();
    try {
      expect((await pg.query("SELECT count(*)::int AS n FROM debates")).rows).toEqual([{ n: expect.any(Number) }]);
    } finally {
      await pg.end();
    }
    // The generated passwords are known now: the failure message never held one.
    const secrets = secretStrings(outputs!);
    figures["secretNeedles"] = secrets.length;
    expect(secrets.length).toBeGreaterThan(0);
    for (const s of secrets) expect(failedMessage).not.toContain(s);
  });

  test("when the engine host process itself dies mid-up, then the step fails saying so, the engine it ran is stopped, and a retry runs on a new host", async () => {
    const servicePid = svc!.child.pid!;
    const res = await api("POST", "/fleet/apply", { token: "operator", body: { regions: [{ name: REGION, primary: true, app: { replicas: 2 } }] } });
    expect(res.status).toBe(202);
    const id = res.body.operation.id as string;
    const cli = await upUnderway(servicePid, id, 1);
    const host = descendants(servicePid).find((p) => p.pid === cli.ppid);
    expect(host?.argv.some((a) => /engineHost\.(ts|js)$/.test(a))).toBe(true);
    const engine = [cli, ...descendants(cli.pid), ...providerServersOf(cli.ppid)];
    expect(engine.length).toBeGreaterThan(1);
    process.kill(cli.ppid, "SIGKILL");
    const killedAt = Date.now();

    const op = await waitForOperation(api, id, 120_000);
    figures["hostKillToFailedMs"] = Date.now() - killedAt;
    expect(op.status).toBe("failed");
    expect(op.steps.map((x: any) => [x.id, x.status])).toEqual([[`up:${REGION}`, "failed"], ["up:global", "cancelled"]]);
    const step = op.steps.find((x: any) => x.id === `up:${REGION}`);
    figures["hostKillMessage"] = step.error.message;
    expect(step.error.message).toBe(`up of stack ${REGION} failed: the engine host process running it exited (SIGKILL) before it finished; its engine was stopped and its stack lock removed; the resource operations it left pending are resolved before the stack runs again`);
    // The orphaned CLI and its plugins are gone, and the service runs on.
    expect(engine.map((p) => p.pid).filter(alive)).toEqual([]);
    expect((await fetch(`${base}/health`)).status).toBe(200);

    const retry = await api("POST", `/operations/${id}/retry`, { token: "operator" });
    expect(retry.status).toBe(202);
    const again = await waitForOperation(api, id, 600_000);
    expect({ status: again.status, error: again.error }).toEqual({ status: "succeeded", error: undefined });
    const outputs = await directRunner(env.stateDir).outputs(REGION);
    expect((outputs!["appPorts"]?.value as number[]).length).toBe(2);
    const hosts = descendants(servicePid).filter((p) => p.argv.some((a) => /engineHost\.(ts|js)$/.test(a))).map((p) => p.pid);
    expect(hosts.length).toBeGreaterThan(0);
    expect(hosts).not.toContain(cli.ppid);
  });
});
