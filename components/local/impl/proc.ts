/**
 * Process helpers of the local target: run a command (optionally as the `postgres` user), detect
 * whether a daemon is really alive (not a zombie, right program, port answering), stop it.
 *
 * Every child gets a minimal environment (PATH, LANG and what the caller adds): the engine's
 * environment holds the stack passphrase and must not leak into daemons.
 */
import { spawn, spawnSync } from "node:child_process";
import * as fs from "node:fs";
import * as net from "node:net";
import * as path from "node:path";

export const SERVICE_USER = "postgres";

export interface RunResult {
  code: number | null;
  output: string;
}

export interface RunOptions {
  /** Extra environment (on top of PATH and LANG). */
  env?: Record<string, string>;
  /** Run as this user (through runuser) when we are root. */
  asUser?: string;
  timeoutMs?: number;
  cwd?: string;
  /** Send stdout/stderr to this file (append) instead of a pipe: for commands that leave a daemon behind. */
  logFile?: string;
}

export function isRoot(): boolean {
  return typeof process.geteuid === "function" && process.geteuid() === 0;
}

export function baseEnv(extra: Record<string, string> = {}): Record<string, string> {
  return { PATH: process.env["PATH"] ?? "/usr/local/bin:/usr/bin:/bin", LANG: "C.UTF-8", LC_ALL: "C.UTF-8", ...extra };
}

/** Runs a command to completion in its own session; never rejects on a non-zero exit (check `code`). */
export function run(cmd: string, args: string[], opts: RunOptions = {}): Promise<RunResult> {
  let file = cmd;
  let argv = args;
  if (opts.asUser !== undefined && isRoot()) {
    file = "runuser";
    argv = ["-u", opts.asUser, "--", cmd, ...args];
  }
  let logFd: number | undefined;
  let logStart = 0;
  if (opts.logFile !== undefined) {
    logFd = fs.openSync(opts.logFile, "a", 0o600);
    logStart = fs.fstatSync(logFd).size;
  }
  return new Promise((resolve, reject) => {
    const child = spawn(file, argv, {
      cwd: opts.cwd ?? "/",
      env: baseEnv(opts.env),
      detached: true,
      stdio: logFd !== undefined ? ["ignore", logFd, logFd] : ["ignore", "pipe", "pipe"],
    });
    let output = "";
    child.stdout?.on("data", (d: Buffer) => (output += d.toString()));
    child.stderr?.on("data", (d: Buffer) => (output += d.toString()));
    const timer = setTimeout(() => {
      try {
        if (child.pid !== undefined) process.kill(-child.pid, "SIGKILL");
      } catch {
        /* already gone */
      }
    }, opts.timeoutMs ?? 120_000);
    let done = false;
    const finish = (code: number | null): void => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      if (logFd !== undefined) {
        fs.closeSync(logFd);
        try {
          output = fs.readFileSync(opts.logFile ?? "", "utf8").slice(logStart);
        } catch {
          /* unreadable log */
        }
      }
      child.stdout?.destroy();
      child.stderr?.destroy();
      resolve({ code, output: output.trim() });
    };
    child.on("error", (err) => {
      clearTimeout(timer);
      if (logFd !== undefined) fs.closeSync(logFd);
      reject(err);
    });
    // A daemon may keep an inherited pipe open: do not wait for 'close' longer than a moment after exit.
    child.on("exit", (code) => setTimeout(() => { finish(code); }, 200).unref());
    child.on("close", (code) => { finish(code); });
  });
}

/** Runs and throws with the command's output when it exits non-zero. */
export async function runOk(what: string, cmd: string, args: string[], opts: RunOptions = {}): Promise<string> {
  const res = await run(cmd, args, opts);
  if (res.code !== 0) throw new Error(`${what} failed (exit ${String(res.code)}): ${res.output.slice(-2000)}`);
  return res.output;
}

/** First line of a pidfile as a pid, or undefined. */
export function readPidFile(file: string): number | undefined {
  try {
    const first = fs.readFileSync(file, "utf8").split("\n")[0]?.trim() ?? "";
    const pid = Number(first);
    return Number.isInteger(pid) && pid > 1 ? pid : undefined;
  } catch {
    return undefined;
  }
}

/** True when `pid` runs (not a zombie) and its command line contains `expect`. */
export function pidAlive(pid: number | undefined, expect?: string): boolean {
  if (pid === undefined || !Number.isInteger(pid) || pid <= 1) return false;
  try {
    const stat = fs.readFileSync(`/proc/${pid}/stat`, "utf8");
    const state = stat.slice(stat.lastIndexOf(")") + 2, stat.lastIndexOf(")") + 3);
    if (state === "Z" || state === "X") return false;
    if (expect !== undefined) {
      const cmdline = fs.readFileSync(`/proc/${pid}/cmdline`, "utf8").replace(/\0/g, " ");
      if (!cmdline.includes(expect)) return false;
    }
    return true;
  } catch {
    return false;
  }
}

/** True when something accepts TCP connections on 127.0.0.1:port. */
export function portOpen(port: number, timeoutMs = 1000): Promise<boolean> {
  return new Promise((resolve) => {
    const sock = net.connect({ host: "127.0.0.1", port });
    const done = (ok: boolean): void => {
      sock.destroy();
      resolve(ok);
    };
    sock.setTimeout(timeoutMs, () => { done(false); });
    sock.once("connect", () => { done(true); });
    sock.once("error", () => { done(false); });
  });
}

export function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}

/** Polls `fn` until it returns true or the time is up; returns the last answer. */
export async function waitFor(fn: () => boolean | Promise<boolean>, timeoutMs: number, intervalMs = 100): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (await fn()) return true;
    if (Date.now() >= deadline) return false;
    await sleep(intervalMs);
  }
}

/** Signals a process, waits for it to go, escalates to SIGKILL. Safe on a dead or foreign pid (checks `expect`). */
export async function stopPid(pid: number | undefined, expect: string, signal: NodeJS.Signals = "SIGTERM", timeoutMs = 15_000): Promise<void> {
  if (!pidAlive(pid, expect) || pid === undefined) return;
  try {
    process.kill(pid, signal);
  } catch {
    return;
  }
  if (await waitFor(() => !pidAlive(pid), timeoutMs, 50)) return;
  try {
    process.kill(pid, "SIGKILL");
  } catch {
    /* gone */
  }
  await waitFor(() => !pidAlive(pid), 5000, 50);
}

/** mkdir -p with a mode; chown to the service user when asked and we are root. */
export function makeDir(dir: string, mode: number, owner?: string): void {
  fs.mkdirSync(dir, { recursive: true, mode });
  fs.chmodSync(dir, mode);
  if (owner !== undefined && isRoot()) {
    const { uid, gid } = userIds(owner);
    fs.chownSync(dir, uid, gid);
  }
}

/** Writes a file atomically with a mode (and owner when root). */
export function writeFile(file: string, content: string, mode: number, owner?: string): void {
  const tmp = `${file}.tmp-${process.pid}`;
  fs.writeFileSync(tmp, content, { mode });
  fs.chmodSync(tmp, mode);
  if (owner !== undefined && isRoot()) {
    const { uid, gid } = userIds(owner);
    fs.chownSync(tmp, uid, gid);
  }
  fs.renameSync(tmp, file);
}

const idCache = new Map<string, { uid: number; gid: number }>();

function passwdLine(user: string): string | undefined {
  return fs
    .readFileSync("/etc/passwd", "utf8")
    .split("\n")
    .find((l) => l.startsWith(`${user}:`));
}

/**
 * uid/gid of a local user, from /etc/passwd. When we are root and the service user is missing
 * (no postgresql-common package), it is created as a system user, as the Debian package would.
 */
export function userIds(user: string): { uid: number; gid: number } {
  const cached = idCache.get(user);
  if (cached) return cached;
  let line = passwdLine(user);
  if (line === undefined && isRoot() && user === SERVICE_USER) {
    spawnSync("useradd", ["--system", "--user-group", "--home-dir", "/var/lib/postgresql", "--shell", "/bin/bash", user], { stdio: "ignore", env: baseEnv() });
    line = passwdLine(user);
  }
  if (line === undefined) {
    throw new Error(
      `the local target runs PostgreSQL as the unprivileged user "${user}", which does not exist: ` +
        `create it with: useradd --system --user-group --home-dir /var/lib/postgresql --shell /bin/bash ${user}`,
    );
  }
  const [, , uid, gid] = line.split(":");
  const ids = { uid: Number(uid), gid: Number(gid) };
  idCache.set(user, ids);
  return ids;
}

/**
 * PostgreSQL refuses to run as root, so its directories must be reachable by the service user:
 * every ancestor of `dir` needs the execute bit for it. Throws naming the first blocking ancestor
 * (typically a 0700 home directory such as /root).
 */
export function assertTraversable(dir: string, user: string): void {
  if (!isRoot()) return; // PostgreSQL runs as ourselves: nothing to cross.
  const { uid, gid } = userIds(user);
  let cur = path.dirname(dir);
  const blocking: string[] = [];
  for (;;) {
    const st = fs.statSync(cur);
    const bit = st.uid === uid ? 0o100 : st.gid === gid ? 0o010 : 0o001;
    if ((st.mode & bit) === 0) blocking.push(cur);
    const parent = path.dirname(cur);
    if (parent === cur) break;
    cur = parent;
  }
  if (blocking.length > 0) {
    throw new Error(
      `PostgreSQL runs as "${user}", which cannot reach ${dir}: ${blocking.join(", ")} ` +
        `${blocking.length === 1 ? "is" : "are"} not traversable by it. Put the local state dir (ARAGORA_STATE_DIR) ` +
        `somewhere every ancestor of which is world-executable (e.g. /var/lib/aragora), or run chmod o+x on ${blocking.join(", ")}`,
    );
  }
}

/** Last `n` characters of a log file, for error messages. */
export function tail(file: string, n = 1500): string {
  try {
    const s = fs.readFileSync(file, "utf8");
    return s.slice(-n);
  } catch {
    return "";
  }
}

export function removeDir(dir: string): void {
  fs.rmSync(dir, { recursive: true, force: true });
}
