/**
 * The state dir's lock across real processes: a child node process takes it, this process is
 * refused with the child's pid, the child is SIGKILLed (no chance to release anything) and the lock
 * is then taken over at once. In one process, a second taker is refused too, and release lets the
 * next one in.
 */
import { spawn, type ChildProcess } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { acquireStateDirLock, PID_FILE, readHolder, StateDirInUseError, type StateDirLock } from "../../../server/stateDirLock";
import { exitOf, projectRoot } from "../../support/serviceProcess";

jest.setTimeout(60_000);

let dir: string;
const children: ChildProcess[] = [];
const held: StateDirLock[] = [];

beforeEach(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), "aragora-lock-"));
});

afterEach(async () => {
  for (const l of held.splice(0)) l.release();
  for (const c of children.splice(0)) {
    if (c.exitCode === null && c.signalCode === null) {
      c.kill("SIGKILL");
      await exitOf(c);
    }
  }
  fs.rmSync(dir, { recursive: true, force: true });
});

/** A node process that takes the lock of `stateDir` through server/stateDirLock.ts and holds it until killed. */
async function holderProcess(stateDir: string): Promise<ChildProcess> {
  const script = `require("./server/stateDirLock").acquireStateDirLock(${JSON.stringify(stateDir)}); process.stdout.write("held\\n"); setInterval(() => undefined, 60000);`;
  const child = spawn(process.execPath, ["-r", "ts-node/register/transpile-only", "-e", script], { cwd: projectRoot(), stdio: ["ignore", "pipe", "pipe"] });
  children.push(child);
  let out = "";
  await new Promise<void>((resolve, reject) => {
    child.stdout.on("data", (d: Buffer) => {
      out += d.toString();
      if (out.includes("held\n")) resolve();
    });
    child.stderr.on("data", (d: Buffer) => (out += d.toString()));
    child.once("exit", (code) => {
      reject(new Error(`lock holder exited ${String(code)}: ${out}`));
    });
  });
  return child;
}

function take(stateDir: string): StateDirLock {
  const l = acquireStateDirLock(stateDir);
  held.push(l);
  return l;
}

test("when another process holds the lock, then taking it fails at once naming that process; once it is SIGKILLed, the lock is taken over", async () => {
  const child = await holderProcess(dir);
  expect(readHolder(dir)?.pid).toBe(child.pid);

  const t0 = Date.now();
  let refused: unknown;
  try {
    take(dir);
  } catch (err) {
    refused = err;
  }
  expect(Date.now() - t0).toBeLessThan(1000);
  expect(refused).toBeInstanceOf(StateDirInUseError);
  expect((refused as Error).message).toContain(`the state dir ${dir} is in use by another aragora-regions service (pid ${String(child.pid)}`);
  expect((refused as Error).message).toContain("stop it or set ARAGORA_STATE_DIR to another directory");
  expect(fs.readFileSync(path.join(dir, PID_FILE), "utf8").split("\n")[0]).toBe(String(child.pid));

  child.kill("SIGKILL");
  expect(await exitOf(child)).toBe("SIGKILL");
  // The dead holder left its pid file behind; the kernel released its lock.
  expect(readHolder(dir)?.pid).toBe(child.pid);
  const lock = take(dir);
  expect(readHolder(dir)).toEqual({ pid: process.pid, startedAt: expect.stringMatching(/^\d{4}-\d\d-\d\dT/) });

  lock.release();
  expect(fs.existsSync(path.join(dir, PID_FILE))).toBe(false);
  lock.release();
});

test("when this process holds the lock, then a second take here is refused and another process can take it only after release", async () => {
  const lock = take(dir);
  expect(() => acquireStateDirLock(dir)).toThrow(`(pid ${String(process.pid)}`);

  const blocked = spawn(process.execPath, ["-r", "ts-node/register/transpile-only", "-e", `require("./server/stateDirLock").acquireStateDirLock(${JSON.stringify(dir)})`], { cwd: projectRoot(), stdio: ["ignore", "pipe", "pipe"] });
  children.push(blocked);
  let err = "";
  blocked.stderr.on("data", (d: Buffer) => (err += d.toString()));
  expect(await exitOf(blocked, { drained: true })).not.toBe(0);
  expect(err).toContain(`is in use by another aragora-regions service (pid ${String(process.pid)}`);

  lock.release();
  const child = await holderProcess(dir);
  expect(readHolder(dir)?.pid).toBe(child.pid);
});
