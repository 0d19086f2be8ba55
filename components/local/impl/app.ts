/**
 * Provider implementation for one process of the stand-in Aragora app: a detached `node` process
 * with its own pidfile and log, started with the env contract and a minimal environment.
 */
import { spawn } from "node:child_process";
import * as fs from "node:fs";
import * as path from "node:path";
import type * as pulumi from "@pulumi/pulumi";
import { assertInt, assertPort, assertRegionName, assertSafePath } from "../names";
import { changedKeys, httpStatus, type ProcessState } from "./common";
import { baseEnv, makeDir, pidAlive, portOpen, readPidFile, removeDir, stopPid, tail, waitFor, writeFile } from "./proc";
import { checker } from "./redis";

export interface AppProcessInputs {
  region: string;
  index: number;
  dir: string;
  port: number;
  /** Absolute path of the app's entry module (.js, or .ts with `tsNode` set). */
  script: string;
  /** Absolute path of ts-node's transpile-only register hook when `script` is TypeScript, else "". */
  tsNode: string;
  /** The env contract (secret: URLs carry passwords). */
  env: Record<string, string>;
}
export type AppProcessOutputs = AppProcessInputs & ProcessState & { pidFile: string; logFile: string };

const ENV_NAME = /^[A-Z][A-Z0-9_]{0,63}$/;

function validateApp(i: AppProcessInputs): void {
  assertRegionName(i.region);
  assertInt(i.index, "index", 0, 99);
  assertSafePath(i.dir, "dir");
  assertPort(i.port, "port");
  assertSafePath(i.script, "script");
  if (i.tsNode !== "") assertSafePath(i.tsNode, "tsNode");
  for (const [k, v] of Object.entries(i.env)) {
    if (!ENV_NAME.test(k) || typeof v !== "string" || v.includes("\0")) throw new Error(`env: ${JSON.stringify(k)} is not a valid variable`);
  }
}

function appFiles(i: AppProcessInputs): { pidFile: string; logFile: string } {
  return { pidFile: path.join(i.dir, "app.pid"), logFile: path.join(i.dir, "app.log") };
}

/** The script path identifies our process in /proc/<pid>/cmdline. */
async function appState(i: AppProcessInputs): Promise<ProcessState> {
  const pid = readPidFile(appFiles(i).pidFile);
  const running = pidAlive(pid, i.script) && (await portOpen(i.port));
  return { running, pid: running && pid !== undefined ? pid : 0 };
}

async function startApp(i: AppProcessInputs): Promise<void> {
  const { pidFile, logFile } = appFiles(i);
  if (!fs.existsSync(i.script)) throw new Error(`stand-in app not found at ${i.script}`);
  const out = fs.openSync(logFile, "a", 0o600);
  try {
    const args = i.tsNode !== "" ? ["-r", i.tsNode, i.script] : [i.script];
    const child = spawn(process.execPath, args, {
      cwd: i.dir,
      detached: true,
      stdio: ["ignore", out, out],
      env: baseEnv({
        ...i.env,
        PORT: String(i.port),
        HOST: "127.0.0.1",
        TS_NODE_TRANSPILE_ONLY: "true",
        TS_NODE_SKIP_PROJECT: "true",
        TS_NODE_COMPILER_OPTIONS: JSON.stringify({ module: "commonjs", moduleResolution: "bundler", target: "es2022", esModuleInterop: true }),
      }),
    });
    if (child.pid === undefined) throw new Error("could not spawn the stand-in app");
    child.unref();
    writeFile(pidFile, `${child.pid}\n`, 0o600);
  } finally {
    fs.closeSync(out);
  }
  const up = await waitFor(async () => (await httpStatus(i.port, "/health")) !== undefined, 30_000, 100);
  if (!up) {
    await stopPid(readPidFile(pidFile), i.script, "SIGKILL");
    throw new Error(`app ${i.region}#${i.index} did not answer on port ${i.port}: ${tail(logFile)}`);
  }
}

async function ensureApp(i: AppProcessInputs, restart: boolean): Promise<AppProcessOutputs> {
  validateApp(i);
  makeDir(i.dir, 0o700);
  const files = appFiles(i);
  const before = await appState(i);
  if (before.running && restart) await stopPid(before.pid, i.script);
  if (!before.running || restart) {
    await stopPid(readPidFile(files.pidFile), i.script);
    await startApp(i);
  }
  return { ...i, ...(await appState(i)), ...files };
}

const APP_KEYS = ["region", "index", "dir", "port", "script", "tsNode", "env"] as const;

export const appProcess: pulumi.dynamic.ResourceProvider = {
  check: checker(validateApp),
  async diff(_id: string, olds: AppProcessOutputs, news: AppProcessInputs) {
    const changed = changedKeys(olds as unknown as Record<string, unknown>, news as unknown as Record<string, unknown>, APP_KEYS);
    const alive = olds.running && (await appState({ ...news, script: olds.script })).running;
    return { changes: changed.length > 0 || !alive, replaces: changed.filter((k) => k === "dir"), deleteBeforeReplace: true };
  },
  async create(inputs: AppProcessInputs) {
    try {
      return { id: `app:${inputs.dir}`, outs: await ensureApp(inputs, false) };
    } catch (err) {
      removeDir(inputs.dir);
      throw err;
    }
  },
  async read(id: string, props?: AppProcessOutputs) {
    if (props === undefined) return { id };
    return { id, props: { ...props, ...(await appState(props)) } };
  },
  async update(_id: string, olds: AppProcessOutputs, news: AppProcessInputs) {
    const changed = changedKeys(olds as unknown as Record<string, unknown>, news as unknown as Record<string, unknown>, APP_KEYS);
    if (changed.includes("script")) await stopPid(readPidFile(appFiles(olds).pidFile), olds.script);
    return { outs: await ensureApp(news, changed.length > 0) };
  },
  async delete(_id: string, props: AppProcessOutputs) {
    validateApp(props);
    await stopPid(readPidFile(appFiles(props).pidFile), props.script);
    removeDir(props.dir);
  },
};
