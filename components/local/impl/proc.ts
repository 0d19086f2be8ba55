/**
 * Process helpers of the local target: run a command (as the daemon user when the service is
 * root, see daemonFs.ts), detect whether a daemon is really alive (not a zombie, right program,
 * port answering), stop it.
 *
 * Every child gets a minimal environment (PATH, LANG and what the caller adds): the engine's
 * environment holds the stack passphrase and must not leak into daemons.
 */
import { spawn } from "node:child_process";
import * as fs from "node:fs";
import * as net from "node:net";
import * as path from "node:path";
import { asDaemonArgv, daemonRead, isRoot } from "./daemonFs";

export { isRoot };

export interface RunResult {
  code: number | null;
  output: string;
}

export interface RunOptions {
  /** Extra environment (on top of PATH and LANG). */
  env?: Record<string, string>;
  /** Run as the daemon user when we are root (daemonFs.ts); the log file is then opened by that user. */
  asDaemon?: boolean;
  timeoutMs?: number;
  cwd?: string;
  /** Send stdout/stderr to this file (append) instead of a pipe: for commands that leave a daemon behind. */
  logFile?: string;
}

/**
 * PATH for the daemons: ours, plus the sbin directories, which a normal user's PATH often lacks
 * and where Debian puts haproxy.
 */
export function daemonPath(given: string | undefined): string {
  const parts = (given ?? "/usr/local/bin:/usr/bin:/bin").split(":").filter((p) => p !== "");
  for (const sbin of ["/usr/local/sbin", "/usr/sbin", "/sbin"]) if (!parts.includes(sbin)) parts.push(sbin);
  return parts.join(":");
}

export function baseEnv(extra: Record<string, string> = {}): Record<string, string> {
  return { PATH: daemonPath(process.env["PATH"]), LANG: "C.UTF-8", LC_ALL: "C.UTF-8", ...extra };
}

/** Runs a command to completion in its own session; never rejects on a non-zero exit (check `code`). */
export function run(cmd: string, args: string[], opts: RunOptions = {}): Promise<RunResult> {
  let argv = [cmd, ...args];
  let logFd: number | undefined;
  let logStart = 0;
  const daemon = opts.asDaemon === true && isRoot();
  if (daemon) {
    // The log file lives in the daemon's directory: the daemon user opens it, never root.
    if (opts.logFile !== undefined) {
      logStart = Buffer.byteLength(daemonRead(opts.logFile) ?? "");
      argv = ["sh", "-c", 'exec >>"$0" 2>&1; exec "$@"', opts.logFile, ...argv];
    }
    argv = [...asDaemonArgv(), ...argv];
  } else if (opts.logFile !== undefined) {
    logFd = fs.openSync(opts.logFile, "a", 0o600);
    logStart = fs.fstatSync(logFd).size;
  }
  const [file = cmd, ...rest] = argv;
  return new Promise((resolve, reject) => {
    const child = spawn(file, rest, {
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
      if (logFd !== undefined) fs.closeSync(logFd);
      if (opts.logFile !== undefined) {
        const text = daemon ? daemonRead(opts.logFile) : readOwn(opts.logFile);
        if (text !== undefined) output = Buffer.from(text).subarray(logStart).toString("utf8");
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

function readOwn(file: string): string | undefined {
  try {
    return fs.readFileSync(file, "utf8");
  } catch {
    return undefined;
  }
}

/** First line of a pidfile (in a daemon's directory) as a pid, or undefined. */
export function readPidFile(file: string): number | undefined {
  const first = daemonRead(file)?.split("\n")[0]?.trim() ?? "";
  const pid = Number(first);
  return Number.isInteger(pid) && pid > 1 ? pid : undefined;
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

/**
 * True when something accepts TCP connections on 127.0.0.1:port. A connect on loopback is accepted
 * or refused by the kernel at once, so the timeout only decides for a port that does neither. It is
 * long because the timer also runs out when this process's event loop is held up (a provider busy
 * with other resources' synchronous work on a loaded machine): a short one then fires before the
 * connect that already succeeded is seen, and a refresh reports a live daemon as stopped.
 */
export function portOpen(port: number, timeoutMs = 5000): Promise<boolean> {
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

/**
 * mkdir -p with a mode on every directory it makes, whatever the umask (root-owned directories
 * the daemons must traverse but cannot change).
 */
export function makeDir(dir: string, mode: number): void {
  const first = fs.mkdirSync(dir, { recursive: true, mode });
  if (first !== undefined) {
    for (let d = dir; d.startsWith(first); d = path.dirname(d)) fs.chmodSync(d, mode);
  }
  fs.chmodSync(dir, mode);
}

/** Last `n` characters of a log file in a daemon's directory, for error messages. */
export function tail(file: string, n = 1500): string {
  return (daemonRead(file) ?? "").slice(-n);
}
