/**
 * One service per state dir, with the service run as a user runs it (server/main.ts, a child
 * process): a second start on the dir of a running service exits non-zero within seconds, naming
 * the first one's pid, and touches nothing: with the first paused (SIGSTOP) while an operation of
 * it is in flight, every table of the database reads the same before and after the second start
 * (a second service that got as far as recovery would have marked that operation interrupted).
 * The first, resumed, keeps answering and finishes its operation. After a graceful stop the dir
 * can be used again.
 */
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { PID_FILE } from "../../server/stateDirLock";
import { apiFor, TOKEN_ENV, waitForOperation } from "../support/http";
import { freePortBlock } from "../support/ports";
import { exitOf, spawnService, stopService, waitHealthy, type ServiceChild } from "../support/serviceProcess";
import { PASSPHRASE } from "../support/serviceDriver";
import { dumpTables } from "../support/storeDump";

jest.setTimeout(300_000);

let stateDir: string;
const started: ServiceChild[] = [];

beforeEach(() => {
  stateDir = fs.mkdtempSync(path.join(os.tmpdir(), "aragora-e2e-lock-"));
});

afterEach(async () => {
  for (const s of started.splice(0)) {
    const pid = s.child.pid;
    if (pid !== undefined && s.child.exitCode === null && s.child.signalCode === null) {
      try {
        process.kill(pid, "SIGCONT");
      } catch {
        /* gone */
      }
      await stopService(s, 10_000);
    }
  }
  fs.rmSync(stateDir, { recursive: true, force: true });
});

function start(port: number): ServiceChild {
  const s = spawnService({ PORT: String(port), ARAGORA_STATE_DIR: stateDir, ARAGORA_API_TOKENS: TOKEN_ENV, PULUMI_CONFIG_PASSPHRASE: PASSPHRASE, ARAGORA_LOG_LEVEL: "info" });
  started.push(s);
  return s;
}

/** Starts a second service on the state dir; resolves with its exit code, output and run time once it has exited. */
async function secondStart(port: number): Promise<{ code: number | string | null; output: string; ms: number }> {
  const t0 = Date.now();
  const s = start(port);
  const timer = setTimeout(() => s.child.kill("SIGKILL"), 120_000);
  const code = await exitOf(s.child, { drained: true });
  clearTimeout(timer);
  return { code, output: s.output(), ms: Date.now() - t0 };
}

test("when a second service starts on the state dir of a running one, then it exits non-zero naming the first's pid and touches nothing; the first carries on", async () => {
  const base = await freePortBlock(3, 16000, 19999);
  const first = start(base);
  await waitHealthy(first, base);
  const firstPid = first.child.pid!;
  expect(fs.readFileSync(path.join(stateDir, PID_FILE), "utf8").split("\n")[0]).toBe(String(firstPid));
  const api = apiFor(`http://127.0.0.1:${String(base)}`);

  // An operation in flight (a preview starts an engine host first, which takes a while), then the first is paused with it.
  const accepted = await api("POST", "/regions/global/preview", { token: "operator" });
  expect(accepted.status).toBe(202);
  const opId = accepted.body.operation.id as string;
  process.kill(firstPid, "SIGSTOP");
  const dbFile = path.join(stateDir, "aragora.db");
  const before = dumpTables(dbFile, { withAudit: true });
  const stored = (before["operations"] as { id: string; status: string }[]).find((o) => o.id === opId);
  expect(["queued", "running"]).toContain(stored?.status);

  const second = await secondStart(base + 1);
  expect(second.code).not.toBe(0);
  expect(second.output).toContain(
    `aragora-regions failed to start: the state dir ${stateDir} is in use by another aragora-regions service (pid ${String(firstPid)}`,
  );
  expect(second.output).toContain("stop it or set ARAGORA_STATE_DIR to another directory");
  expect(second.output).not.toContain("listening");
  expect(second.ms).toBeLessThan(60_000);
  expect(dumpTables(dbFile, { withAudit: true })).toEqual(before);
  expect(fs.readFileSync(path.join(stateDir, PID_FILE), "utf8").split("\n")[0]).toBe(String(firstPid));

  process.kill(firstPid, "SIGCONT");
  expect((await api("GET", "/health", { token: null })).body.status).toBe("ok");
  const op = await waitForOperation(api, opId, 240_000);
  expect(op.status).not.toBe("interrupted");
  const events = (dumpTables(dbFile)["events"] as { operation_id: string; kind: string }[]).filter((e) => e.operation_id === opId);
  expect(events.map((e) => e.kind)).not.toContain("operation.interrupted");

  // Refused again while the first runs: it answers throughout.
  const health: number[] = [];
  const state = { done: false };
  const again = secondStart(base + 1).finally(() => {
    state.done = true;
  });
  while (!state.done) {
    health.push((await fetch(`http://127.0.0.1:${String(base)}/health`)).status);
    await new Promise((r) => setTimeout(r, 200));
  }
  const refused = await again;
  expect(refused.code).not.toBe(0);
  expect(refused.output).toContain(`(pid ${String(firstPid)}`);
  expect(health.length).toBeGreaterThan(0);
  expect(new Set(health)).toEqual(new Set([200]));
  process.stdout.write(`second start refused after ${String(second.ms)} ms (first paused) and ${String(refused.ms)} ms (first running)\n`);

  // A graceful stop lets the dir go: the next start takes it.
  expect(await stopService(first)).toBe(0);
  expect(fs.existsSync(path.join(stateDir, PID_FILE))).toBe(false);
  const next = start(base + 2);
  await waitHealthy(next, base + 2);
  expect(fs.readFileSync(path.join(stateDir, PID_FILE), "utf8").split("\n")[0]).toBe(String(next.child.pid));
  expect(await stopService(next)).toBe(0);
});
