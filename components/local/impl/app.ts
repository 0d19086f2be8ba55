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
  /**
   * Absolute path of the app's entry module: the compiled .js (running from dist/), or the .ts
   * source (jest, dev mode), which the provider transpiles once per start into the app's dir.
   */
  script: string;
  /** The project's node_modules (the app's dependencies resolve from it: NODE_PATH). */
  nodePath: string;
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
  assertSafePath(i.nodePath, "nodePath");
  for (const [k, v] of Object.entries(i.env)) {
    if (!ENV_NAME.test(k) || typeof v !== "string" || v.includes("\0")) throw new Error(`env: ${JSON.stringify(k)} is not a valid variable`);
  }
}

function appFiles(i: AppProcessInputs): { pidFile: string; logFile: string } {
  return { pidFile: path.join(i.dir, "app.pid"), logFile: path.join(i.dir, "app.log") };
}

/** The file `node` runs: the compiled script, or the transpiled copy of a .ts source in the app's dir. */
function runFile(i: AppProcessInputs): string {
  return i.script.endsWith(".ts") ? path.join(i.dir, "standin-app.js") : i.script;
}

/** Transpiles a .ts entry (one self-contained module) with the project's TypeScript: ~50 ms instead of ts-node's seconds per process. */
function transpile(i: AppProcessInputs): void {
  /* eslint-disable @typescript-eslint/no-require-imports */
  const ts = require(path.join(i.nodePath, "typescript")) as typeof import("typescript");
  /* eslint-enable @typescript-eslint/no-require-imports */
  const out = ts.transpileModule(fs.readFileSync(i.script, "utf8"), {
    fileName: i.script,
    compilerOptions: {
      module: ts.ModuleKind.CommonJS,
      moduleResolution: ts.ModuleResolutionKind.Bundler,
      target: ts.ScriptTarget.ES2022,
      esModuleInterop: true,
    },
  });
  writeFile(runFile(i), out.outputText, 0o600);
}

/** The run file's path identifies our process in /proc/<pid>/cmdline. */
async function appState(i: AppProcessInputs): Promise<ProcessState> {
  const pid = readPidFile(appFiles(i).pidFile);
  const running = pidAlive(pid, runFile(i)) && (await portOpen(i.port));
  return { running, pid: running && pid !== undefined ? pid : 0 };
}

async function startApp(i: AppProcessInputs): Promise<void> {
  const { pidFile, logFile } = appFiles(i);
  if (!fs.existsSync(i.script)) throw new Error(`stand-in app not found at ${i.script}`);
  if (i.script.endsWith(".ts")) transpile(i);
  const out = fs.openSync(logFile, "a", 0o600);
  try {
    const child = spawn(process.execPath, [runFile(i)], {
      cwd: i.dir,
      detached: true,
      stdio: ["ignore", out, out],
      env: baseEnv({
        ...i.env,
        PORT: String(i.port),
        HOST: "127.0.0.1",
        NODE_PATH: i.nodePath,
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
    await stopPid(readPidFile(pidFile), runFile(i), "SIGKILL");
    throw new Error(`app ${i.region}#${i.index} did not answer on port ${i.port}: ${tail(logFile)}`);
  }
}

async function ensureApp(i: AppProcessInputs, restart: boolean): Promise<AppProcessOutputs> {
  validateApp(i);
  makeDir(i.dir, 0o700);
  const files = appFiles(i);
  const before = await appState(i);
  if (before.running && restart) await stopPid(before.pid, runFile(i));
  if (!before.running || restart) {
    await stopPid(readPidFile(files.pidFile), runFile(i));
    await startApp(i);
  }
  return { ...i, ...(await appState(i)), ...files };
}

const APP_KEYS = ["region", "index", "dir", "port", "script", "nodePath", "env"] as const;

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
    if (changed.includes("script") || changed.includes("dir")) await stopPid(readPidFile(appFiles(olds).pidFile), runFile(olds));
    return { outs: await ensureApp(news, changed.length > 0) };
  },
  async delete(_id: string, props: AppProcessOutputs) {
    validateApp(props);
    await stopPid(readPidFile(appFiles(props).pidFile), runFile(props));
    removeDir(props.dir);
  },
};
