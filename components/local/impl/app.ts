/**
 * Provider implementation for one process of the stand-in Aragora app: a detached `node` process
 * with its own pidfile and log, started with the env contract and a minimal environment.
 *
 * When the service is root the app runs as the daemon user, which may not reach the project's
 * checkout or the toolchain's Node.js (a clone under a 0700 home directory). So the region keeps a
 * root-owned runtime beside the apps' directories (`<region dir>/app-runtime`): a link to the
 * running Node.js, the app's script and the packages it needs, readable by everyone.
 */
import { spawn } from "node:child_process";
import { createHash } from "node:crypto";
import * as fs from "node:fs";
import * as path from "node:path";
import type * as pulumi from "@pulumi/pulumi";
import { assertInt, assertPort, assertRegionName, assertSafePath } from "../names";
import { changedKeys, processReader, httpStatus, type ProcessState } from "./common";
import { baseEnv, isRoot, pidAlive, portOpen, readPidFile, stopPid, tail, waitFor } from "./proc";
import { asDaemonArgv, daemonWrite, makeDaemonDir, removeTree, discardTree } from "./daemonFs";
import { checker } from "./redis";

export interface AppProcessInputs {
  region: string;
  index: number;
  dir: string;
  port: number;
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
  for (const [k, v] of Object.entries(i.env)) {
    if (!ENV_NAME.test(k) || typeof v !== "string" || v.includes("\0")) throw new Error(`env: ${JSON.stringify(k)} is not a valid variable`);
  }
}

function appFiles(i: AppProcessInputs): { pidFile: string; logFile: string } {
  return { pidFile: path.join(i.dir, "app.pid"), logFile: path.join(i.dir, "app.log") };
}

/**
 * The stand-in app this provider ships: its entry module (the .ts source when the provider runs
 * from sources, the compiled .js under dist/) and the node_modules its dependencies resolve from.
 * Known to the provider, never a resource input, so no checkout path reaches the state.
 */
function standinApp(): { script: string; nodePath: string } {
  const script = require.resolve("../standinApp/main");
  const pgPackage = require.resolve("pg/package.json");
  return { script, nodePath: path.dirname(path.dirname(pgPackage)) };
}

/** What the app runs, as the user running it sees it. */
interface AppRuntime {
  node: string;
  /** The file `node` runs: the compiled script, or a transpiled copy of a .ts source. */
  script: string;
  nodePath: string;
}

/** The packages the stand-in app imports (components/local/standinApp/main.ts). */
const APP_PACKAGES = ["pg", "ioredis"];

function runtime(i: AppProcessInputs): AppRuntime {
  if (!isRoot()) return { node: process.execPath, script: path.join(i.dir, "standin-app.js"), nodePath: standinApp().nodePath };
  const dir = path.join(path.dirname(i.dir), "app-runtime");
  return { node: path.join(dir, "bin", "node"), script: path.join(dir, "standin-app.js"), nodePath: path.join(dir, "node_modules") };
}

/** The script's JavaScript: a .ts entry (one self-contained module) is transpiled with the project's TypeScript. */
function scriptSource(): string {
  const { script, nodePath } = standinApp();
  if (!script.endsWith(".ts")) return fs.readFileSync(script, "utf8");
  /* eslint-disable @typescript-eslint/no-require-imports */
  const ts = require(path.join(nodePath, "typescript")) as typeof import("typescript");
  /* eslint-enable @typescript-eslint/no-require-imports */
  return ts.transpileModule(fs.readFileSync(script, "utf8"), {
    fileName: script,
    compilerOptions: {
      module: ts.ModuleKind.CommonJS,
      moduleResolution: ts.ModuleResolutionKind.Bundler,
      target: ts.ScriptTarget.ES2022,
      esModuleInterop: true,
    },
  }).outputText;
}

/** `names` and everything they depend on (name@version), from a flat (hoisted) node_modules; nested node_modules travel with their package. */
export function packageClosure(nodePath: string, names: readonly string[]): Map<string, string> {
  const seen = new Map<string, string>();
  const visit = (name: string): void => {
    if (seen.has(name)) return;
    const manifest = path.join(nodePath, name, "package.json");
    if (!fs.existsSync(manifest)) return; // an optional dependency that is not installed
    const pkg = JSON.parse(fs.readFileSync(manifest, "utf8")) as { version?: string; dependencies?: Record<string, string>; optionalDependencies?: Record<string, string> };
    seen.set(name, pkg.version ?? "");
    for (const dep of Object.keys({ ...pkg.dependencies, ...pkg.optionalDependencies })) {
      if (!fs.existsSync(path.join(nodePath, name, "node_modules", dep))) visit(dep);
    }
  };
  for (const n of names) visit(n);
  return new Map([...seen].sort(([a], [b]) => a.localeCompare(b)));
}

/**
 * Root only: the runtime the daemon user can read (root-owned, world-readable), staged again when
 * the script, the packages' versions or the Node.js binary changed.
 */
function stageRuntime(rt: AppRuntime): void {
  const dir = path.dirname(rt.script);
  fs.mkdirSync(path.join(dir, "bin"), { recursive: true, mode: 0o755 });
  const nodeStat = fs.statSync(process.execPath);
  const staged = fs.existsSync(rt.node) ? fs.statSync(rt.node) : undefined;
  if (staged?.ino !== nodeStat.ino || staged.size !== nodeStat.size) {
    const tmp = `${rt.node}.tmp-${String(process.pid)}`;
    fs.rmSync(tmp, { force: true });
    try {
      fs.linkSync(process.execPath, tmp);
    } catch {
      fs.copyFileSync(process.execPath, tmp); // another file system
    }
    fs.chmodSync(tmp, 0o755);
    fs.renameSync(tmp, rt.node);
  }
  const source = scriptSource();
  const appNodePath = standinApp().nodePath;
  const packages = packageClosure(appNodePath, APP_PACKAGES);
  const stamp = JSON.stringify({ script: createHash("sha256").update(source).digest("hex"), packages: [...packages].map(([n, v]) => `${n}@${v}`) });
  const stampFile = path.join(dir, "runtime.json");
  let current: string | undefined;
  try {
    current = fs.readFileSync(stampFile, "utf8");
  } catch {
    current = undefined;
  }
  if (current === stamp && fs.existsSync(rt.nodePath) && fs.existsSync(rt.script)) return;
  const tmp = `${rt.nodePath}.tmp-${String(process.pid)}`;
  fs.rmSync(tmp, { recursive: true, force: true });
  for (const name of packages.keys()) {
    fs.cpSync(path.join(appNodePath, name), path.join(tmp, name), { recursive: true, mode: fs.constants.COPYFILE_FICLONE });
  }
  fs.rmSync(rt.nodePath, { recursive: true, force: true });
  fs.renameSync(tmp, rt.nodePath);
  fs.writeFileSync(`${rt.script}.tmp`, source, { mode: 0o644 });
  fs.renameSync(`${rt.script}.tmp`, rt.script);
  fs.writeFileSync(stampFile, stamp, { mode: 0o644 });
}

/** The run file's path identifies our process in /proc/<pid>/cmdline. */
async function appState(i: AppProcessInputs): Promise<ProcessState> {
  const pid = readPidFile(appFiles(i).pidFile);
  const running = pidAlive(pid, runtime(i).script) && (await portOpen(i.port));
  return { running, pid: running && pid !== undefined ? pid : 0 };
}

async function startApp(i: AppProcessInputs): Promise<void> {
  const { pidFile, logFile } = appFiles(i);
  const { script } = standinApp();
  if (!fs.existsSync(script)) throw new Error(`stand-in app not found at ${script}`);
  const rt = runtime(i);
  const env = baseEnv({ ...i.env, PORT: String(i.port), HOST: "127.0.0.1", NODE_PATH: rt.nodePath });
  let child;
  if (isRoot()) {
    stageRuntime(rt);
    // As the daemon user, which opens the log in its own directory; `exec` keeps the pid.
    const argv = [...asDaemonArgv(), "sh", "-c", 'exec "$0" "$1" >>"$2" 2>&1', rt.node, rt.script, logFile];
    child = spawn(argv[0] ?? "setpriv", argv.slice(1), { cwd: i.dir, detached: true, stdio: "ignore", env });
  } else {
    daemonWrite(rt.script, scriptSource(), 0o600);
    const out = fs.openSync(logFile, "a", 0o600);
    try {
      child = spawn(rt.node, [rt.script], { cwd: i.dir, detached: true, stdio: ["ignore", out, out], env });
    } finally {
      fs.closeSync(out);
    }
  }
  if (child.pid === undefined) throw new Error("could not spawn the stand-in app");
  child.unref();
  daemonWrite(pidFile, `${String(child.pid)}\n`, 0o600);
  const up = await waitFor(async () => (await httpStatus(i.port, "/health")) !== undefined, 30_000, 100);
  if (!up) {
    await stopPid(readPidFile(pidFile), rt.script, "SIGKILL");
    throw new Error(`app ${i.region}#${i.index} did not answer on port ${i.port}: ${tail(logFile)}`);
  }
}

async function ensureApp(i: AppProcessInputs, restart: boolean): Promise<AppProcessOutputs> {
  validateApp(i);
  makeDaemonDir(i.dir);
  const files = appFiles(i);
  const before = await appState(i);
  if (before.running && restart) await stopPid(before.pid, runtime(i).script);
  if (!before.running || restart) {
    await stopPid(readPidFile(files.pidFile), runtime(i).script);
    await startApp(i);
  }
  return { ...i, ...(await appState(i)), ...files };
}

const APP_KEYS = ["region", "index", "dir", "port", "env"] as const;

export const appProcess: pulumi.dynamic.ResourceProvider = {
  check: checker(validateApp),
  async diff(_id: string, olds: AppProcessOutputs, news: AppProcessInputs) {
    const changed = changedKeys(olds as unknown as Record<string, unknown>, news as unknown as Record<string, unknown>, APP_KEYS);
    const alive = olds.running && (await appState({ ...news, dir: olds.dir })).running;
    return { changes: changed.length > 0 || !alive, replaces: changed.filter((k) => k === "dir"), deleteBeforeReplace: true };
  },
  async create(inputs: AppProcessInputs) {
    try {
      return { id: `app:${inputs.dir}`, outs: await ensureApp(inputs, false) };
    } catch (err) {
      discardTree(inputs.dir);
      throw err;
    }
  },
  read: processReader(appState),
  async update(_id: string, olds: AppProcessOutputs, news: AppProcessInputs) {
    const changed = changedKeys(olds as unknown as Record<string, unknown>, news as unknown as Record<string, unknown>, APP_KEYS);
    if (changed.includes("dir")) await stopPid(readPidFile(appFiles(olds).pidFile), runtime(olds).script);
    return { outs: await ensureApp(news, changed.length > 0) };
  },
  async delete(_id: string, props: AppProcessOutputs) {
    validateApp(props);
    await stopPid(readPidFile(appFiles(props).pidFile), runtime(props).script);
    removeTree(props.dir);
  },
};
