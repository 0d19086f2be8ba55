/**
 * The Automation API workspaces of the stacks, and each stack's config file.
 *
 * - One workspace directory per stack (`<stateDir>/workspaces/<stack>`): concurrent select/create
 *   in one workDir race on the current-stack file.
 * - Stack config files live together in `<stateDir>/stacks/Pulumi.<stack>.yaml` (the workspaces'
 *   project settings point `stackConfigDir` there), so `npm run pulumi -- up -s <stack>` reads
 *   exactly what the service last applied.
 * - A stack handle is kept between steps: selecting a stack and reading its config are CLI calls,
 *   and every command names its stack anyway. The config is written only when it changed, and read
 *   back from the CLI only when someone else wrote the file since.
 */
import * as fs from "node:fs";
import * as path from "node:path";
import { LocalWorkspace, PulumiCommand, Stack, StackAlreadyExistsError, StackNotFoundError, type PulumiFn } from "@pulumi/pulumi/automation";
import { fileBackendDir } from "./fileBackend";
import { OutputCapture } from "./outputCapture";
import type { StackConfig } from "./stackRunner";

export const PROJECT_NAME = "aragora";

/** Where the engine finds a provider plugin of the project's own (see providerPool.ts). */
export interface OwnPlugin {
  /** Package name: the engine runs `pulumi-resource-<name>`. */
  name: string;
  /** Directory holding the launcher `pulumi-resource-<name>`. */
  launcherDir: string;
  /** The module a long-lived server of the plugin runs (no extension: .ts from sources, .js compiled). */
  main: string;
  /**
   * Its creates are "ensure" operations: run again, a create adopts or finishes what an
   * interrupted one left (a data dir, a running daemon), so a create a killed run left pending can
   * be cleared and re-run (pendingOperations.ts).
   */
  createsAdopt?: boolean;
}

export interface WorkspaceSettings {
  stateDir: string;
  backendUrl: string;
  projectDir: string;
  pulumiBinDir?: string | undefined;
  passphrase?: string | undefined;
  passphraseFile?: string | undefined;
  plugins: readonly OwnPlugin[];
  env?: Record<string, string> | undefined;
  /** The program every stack runs (it finds its own by stack name and config). */
  program: PulumiFn;
}

interface StackHandle {
  stack: Stack;
  workspace: LocalWorkspace;
  /** The outputs of an `up`, from the program (outputCapture.ts). */
  capture: OutputCapture;
  /** What the service last wrote to the config file, and the file's size and mtime right after. */
  config?: { key: string; stamp: string; values: StackConfig } | undefined;
}

export class StackWorkspaces {
  private readonly handles = new Map<string, StackHandle>();
  private commandPromise: Promise<PulumiCommand> | undefined;
  readonly configDir: string;

  constructor(private readonly s: WorkspaceSettings) {
    this.configDir = path.join(s.stateDir, "stacks");
    const backendDir = fileBackendDir(s.backendUrl);
    if (backendDir !== undefined) fs.mkdirSync(backendDir, { recursive: true });
    fs.mkdirSync(this.configDir, { recursive: true });
  }

  /** The stack, selected (or created) once per process, with `config` written to its config file. */
  async stack(stackName: string, config: StackConfig): Promise<Stack> {
    let handle = this.handles.get(stackName);
    if (!handle) {
      const capture = new OutputCapture();
      const workspace = await LocalWorkspace.create({ ...(await this.options(stackName)), program: capture.capture(this.s.program) });
      handle = { stack: await this.selectOrCreate(stackName, capture.capturingWorkspace(workspace)), workspace, capture };
      this.handles.set(stackName, handle);
    }
    const key = configKey(config);
    const file = path.join(this.configDir, `Pulumi.${stackName}.yaml`);
    const stamp = fileStamp(file);
    if (handle.config?.key !== key || handle.config.stamp !== stamp) {
      // What the file holds, when known without asking the CLI: what this handle last wrote, if
      // nobody touched the file since; nothing, if the file has no config section yet.
      const known = handle.config?.stamp === stamp ? handle.config.values : noConfigIn(file) ? {} : undefined;
      handle.config = undefined;
      await writeConfig(handle.stack, config, known);
      handle.config = { key, stamp: fileStamp(file), values: config };
    }
    return handle.stack;
  }

  /** The stack's next run is an `up`: take its outputs from the program (outputCapture.ts). */
  armCapture(stackName: string): void {
    this.handles.get(stackName)?.capture.arm();
  }

  /** The stack's workspace environment, to point its next run at a provider server (or not). */
  envVars(stackName: string): Record<string, string> | undefined {
    return this.handles.get(stackName)?.workspace.envVars;
  }

  /** Forgets a stack's handle: the next step selects it again and re-reads its config. */
  forget(stackName: string): void {
    this.handles.delete(stackName);
  }

  /** A workspace for a stack, without selecting it (reads, recovery). */
  async workspace(stackName: string): Promise<LocalWorkspace> {
    return LocalWorkspace.create(await this.options(stackName));
  }

  /** The stack if it exists, selected in its workspace. */
  async existing(stackName: string): Promise<Stack | undefined> {
    const ws = await this.workspace(stackName);
    return Stack.select(stackName, ws).catch((err: unknown) => {
      if (err instanceof StackNotFoundError) return undefined;
      throw err;
    });
  }

  /**
   * The stack, selected, or created when the file backend has no checkpoint for it: one CLI
   * process either way (`createOrSelect` runs a failing `stack select` before `stack init`).
   * Other backends: `createOrSelect`.
   */
  private async selectOrCreate(stackName: string, workspace: LocalWorkspace): Promise<Stack> {
    const checkpoint = fileBackendCheckpoint(this.s.backendUrl, PROJECT_NAME, stackName);
    if (checkpoint === undefined) return Stack.createOrSelect(stackName, workspace);
    if (fs.existsSync(checkpoint)) {
      return Stack.select(stackName, workspace).catch((err: unknown) => {
        if (err instanceof StackNotFoundError) return Stack.create(stackName, workspace);
        throw err;
      });
    }
    return Stack.create(stackName, workspace).catch((err: unknown) => {
      if (err instanceof StackAlreadyExistsError) return Stack.select(stackName, workspace);
      throw err;
    });
  }

  private async options(stackName: string) {
    const workDir = path.join(this.s.stateDir, "workspaces", stackName);
    fs.mkdirSync(workDir, { recursive: true });
    linkProjectDirs(workDir, this.s.projectDir);
    return {
      workDir,
      envVars: this.env(),
      pulumiCommand: await this.command(),
      projectSettings: {
        name: PROJECT_NAME,
        runtime: "nodejs" as const,
        backend: { url: this.s.backendUrl },
        stackConfigDir: path.relative(workDir, this.configDir),
      },
    };
  }

  /** The environment of the CLI and its plugins. */
  env(): Record<string, string> {
    const nodePath = path.join(this.s.projectDir, "node_modules");
    const s = this.s;
    return {
      PULUMI_BACKEND_URL: s.backendUrl,
      PULUMI_SKIP_UPDATE_CHECK: "true",
      PULUMI_DISABLE_AUTOMATIC_PLUGIN_ACQUISITION: "true",
      PULUMI_HOME: path.join(s.stateDir, "pulumi-home"),
      NODE_PATH: process.env["NODE_PATH"] ? `${nodePath}:${process.env["NODE_PATH"]}` : nodePath,
      // The CLI, this process's Node.js (plugin launchers run `node` from PATH) and the project's
      // own plugins' launchers, which the engine finds on PATH like any installed plugin.
      PATH: [...(s.pulumiBinDir ? [s.pulumiBinDir] : []), path.dirname(process.execPath), ...s.plugins.map((p) => p.launcherDir), process.env["PATH"] ?? ""].join(":"),
      ...(s.passphrase !== undefined ? { PULUMI_CONFIG_PASSPHRASE: s.passphrase } : { PULUMI_CONFIG_PASSPHRASE_FILE: s.passphraseFile ?? "" }),
      ...s.env,
    };
  }

  /** The CLI, resolved once. */
  command(): Promise<PulumiCommand> {
    this.commandPromise ??= PulumiCommand.get(this.s.pulumiBinDir ? { root: path.dirname(this.s.pulumiBinDir) } : {});
    return this.commandPromise;
  }
}

/** A stack's checkpoint file in a file:// backend (project-scoped layout); undefined for other backends. Read only. */
export function fileBackendCheckpoint(backendUrl: string, project: string, stack: string): string | undefined {
  const dir = fileBackendDir(backendUrl);
  return dir === undefined ? undefined : path.join(dir, ".pulumi", "stacks", project, `${stack}.json`);
}

/**
 * Plugins run with the workspace as their working directory, so paths the programs pass relative to
 * the project (the Helm chart at `charts/aragora`) must resolve there too: link them in.
 */
const PROJECT_DIRS_FOR_PLUGINS = ["charts"];
function linkProjectDirs(workDir: string, projectDir: string): void {
  for (const dir of PROJECT_DIRS_FOR_PLUGINS) {
    const target = path.join(projectDir, dir);
    const link = path.join(workDir, dir);
    if (!fs.existsSync(target)) continue;
    let current: string | undefined;
    try {
      current = fs.readlinkSync(link);
    } catch {
      current = undefined;
    }
    if (current === target) continue;
    if (current !== undefined) fs.rmSync(link);
    else if (fs.existsSync(link)) continue; // a real directory put there by hand: leave it
    fs.symlinkSync(target, link, "dir");
  }
}

/** Writes `config` to the stack's config file; `known`: what the file holds, when the caller knows. */
async function writeConfig(stack: Stack, config: StackConfig, known?: StackConfig): Promise<void> {
  const current = known ?? (await stack.getAllConfig());
  const wanted = Object.entries(config);
  const same =
    wanted.length === Object.keys(current).length &&
    wanted.every(([k, v]) => {
      const have = current[k];
      return have !== undefined && have.value === v.value && Boolean(have.secret) === (v.secret ?? false);
    });
  if (same) return;
  const stale = Object.keys(current).filter((k) => !(k in config));
  if (stale.length > 0) await stack.removeAllConfig(stale);
  if (wanted.length > 0) await stack.setAllConfig(Object.fromEntries(wanted.map(([k, v]) => [k, { value: v.value, secret: v.secret ?? false }])));
}

function configKey(config: StackConfig): string {
  return JSON.stringify(Object.entries(config).sort(([a], [b]) => a.localeCompare(b)).map(([k, v]) => [k, v.value, v.secret ?? false]));
}

/** The stack config file has no `config:` section (absent, or only the secrets salt `stack init` writes). */
function noConfigIn(file: string): boolean {
  try {
    return !/^config:/m.test(fs.readFileSync(file, "utf8"));
  } catch {
    return true;
  }
}

/** Size and mtime of a file ("absent" when it does not exist): a change means someone else wrote it. */
function fileStamp(file: string): string {
  try {
    const st = fs.statSync(file);
    return `${st.size}:${st.mtimeMs}`;
  } catch {
    return "absent";
  }
}
