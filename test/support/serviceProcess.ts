/**
 * The service as a user runs it: server/main.ts in a child process (under ts-node in the tests,
 * dist/server/main.js when the caller itself runs compiled, as the bench does), its output kept,
 * waited for on `GET /health`, and its exit awaited.
 */
import { spawn, type ChildProcess } from "node:child_process";
import * as fs from "node:fs";
import * as path from "node:path";

/** The project root (package.json and Pulumi.yaml), from this file's place in the source or dist/ tree. */
export function projectRoot(): string {
  for (let dir = __dirname; ; dir = path.dirname(dir)) {
    if (fs.existsSync(path.join(dir, "package.json")) && fs.existsSync(path.join(dir, "Pulumi.yaml"))) return dir;
    if (path.dirname(dir) === dir) throw new Error(`cannot find the project root above ${__dirname}`);
  }
}

/**
 * The environment of a service child: this process's, without the state dir, backend, Pulumi home
 * and passphrase `scripts/with-env.sh` exports for the repo's own `.aragora` (a child would
 * otherwise use the repo's backend, not its own state dir), plus `env`. Other ARAGORA_ settings of
 * this process are dropped too unless `keepSettings` (the bench passes a user's settings on).
 */
export function childEnv(env: Record<string, string>, o: { keepSettings?: boolean } = {}): Record<string, string> {
  const engine = /^(ARAGORA_STATE_DIR$|PULUMI_BACKEND_URL$|PULUMI_HOME$|PULUMI_CONFIG_PASSPHRASE)/;
  const drop = o.keepSettings ? engine : /^(ARAGORA_|PULUMI_BACKEND_URL$|PULUMI_HOME$|PULUMI_CONFIG_PASSPHRASE)/;
  const inherited = Object.entries(process.env).filter((e): e is [string, string] => e[1] !== undefined && !drop.test(e[0]) && !engine.test(e[0]));
  return { ...Object.fromEntries(inherited), PULUMI_NODEJS_TRANSPILE_ONLY: "true", ...env };
}

export interface ServiceChild {
  child: ChildProcess;
  /** The last 20 000 characters of its stdout and stderr, interleaved. */
  output(): string;
}

export interface SpawnOptions {
  /** Run as this uid (and gid). */
  uid?: number;
  /** Its own process group (default true): `process.kill(-pid)` then stops it and everything it started. */
  detached?: boolean;
  /** Inherit this process's ARAGORA_ settings (see childEnv). */
  keepSettings?: boolean;
  /** The whole environment, instead of childEnv(env). */
  exactEnv?: boolean;
}

/** Starts server/main.ts (or dist/server/main.js when this file runs compiled) with `env`. */
export function spawnService(env: Record<string, string>, o: SpawnOptions = {}): ServiceChild {
  let out = "";
  const root = projectRoot();
  const compiled = __filename.endsWith(".js");
  const args = compiled ? [path.join(root, "dist", "server", "main.js")] : ["-r", "ts-node/register/transpile-only", "server/main.ts"];
  const child = spawn(process.execPath, args, {
    cwd: root,
    env: o.exactEnv ? env : childEnv(env, { keepSettings: o.keepSettings ?? false }),
    detached: o.detached ?? true,
    stdio: ["ignore", "pipe", "pipe"],
    ...(o.uid !== undefined ? { uid: o.uid, gid: o.uid } : {}),
  });
  const keep = (d: Buffer): void => {
    out = (out + d.toString()).slice(-20000);
  };
  child.stdout.on("data", keep);
  child.stderr.on("data", keep);
  return { child, output: () => out };
}

/** Waits for `GET /health` to answer; fails at once if the child exits. */
export async function waitHealthy(s: ServiceChild, port: number, timeoutMs = 120_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (s.child.exitCode !== null) throw new Error(`service exited ${String(s.child.exitCode)}: ${s.output().slice(-3000)}`);
    const ok = await fetch(`http://127.0.0.1:${String(port)}/health`).then((r) => r.ok, () => false);
    if (ok) return;
    if (Date.now() > deadline) throw new Error(`service did not start: ${s.output().slice(-3000)}`);
    await new Promise((r) => setTimeout(r, 200));
  }
}

/**
 * Resolves with the exit code (or the signal name) once the child has exited; with `drained`, once
 * its output pipes have closed too (which waits for any grandchild that holds them).
 */
export function exitOf(child: ChildProcess, o: { drained?: boolean } = {}): Promise<number | string | null> {
  const ended = child.exitCode !== null || child.signalCode !== null;
  const drained = child.stdout?.readableEnded !== false && child.stderr?.readableEnded !== false;
  if (ended && (!o.drained || drained)) return Promise.resolve(child.exitCode ?? child.signalCode);
  return new Promise((resolve) => child.once(o.drained ? "close" : "exit", (code: number | null, signal: NodeJS.Signals | null) => { resolve(code ?? signal); }));
}

/** SIGTERM, then SIGKILL (to its process group, when it has one) if it has not exited after `graceMs`. */
export async function stopService(s: ServiceChild, graceMs = 20_000): Promise<number | string | null> {
  const { child } = s;
  const exited = exitOf(child);
  if (child.exitCode !== null || child.signalCode !== null) return exited;
  child.kill("SIGTERM");
  const timer = setTimeout(() => {
    const pid = child.pid;
    try {
      if (pid === undefined) return;
      process.kill(-pid, "SIGKILL");
    } catch {
      child.kill("SIGKILL"); // not a group leader (spawned with detached: false)
    }
  }, graceMs);
  try {
    return await exited;
  } finally {
    clearTimeout(timer);
  }
}
