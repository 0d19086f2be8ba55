/**
 * StackRunner over Pulumi's Automation API with inline programs.
 *
 * - One workspace directory per stack (`<stateDir>/workspaces/<stack>`): concurrent select/create
 *   in one workDir race on the current-stack file.
 * - Stack config files live together in `<stateDir>/stacks/Pulumi.<stack>.yaml` (the workspaces'
 *   project settings point `stackConfigDir` there), so `npm run pulumi -- up -s <stack>` reads
 *   exactly what the service last applied.
 * - One step per stack at a time inside this process (a per-stack mutex); across processes the
 *   backend's stack lock applies and surfaces as StackBusyError.
 * - SDK errors become the domain errors of stackRunner.ts here and nowhere else.
 */
import * as fs from "node:fs";
import * as path from "node:path";
import { execFile } from "node:child_process";
import { promisify } from "node:util";
import {
  CommandError,
  ConcurrentUpdateError,
  LocalWorkspace,
  PulumiCommand,
  StackAlreadyExistsError,
  StackNotFoundError,
  Stack,
  type EngineEvent as PulumiEngineEvent,
  type OutputMap,
  type UpdateSummary,
} from "@pulumi/pulumi/automation";
import * as pulumi from "@pulumi/pulumi";
import {
  StackBusyError,
  StepCancelledError,
  StepFailedError,
  type ChangeSummary,
  type EngineEvent,
  type RunOptions,
  type StackConfig,
  type StackOutputs,
  type StackRunRequest,
  type StackRunner,
  type StepAction,
  type StepResult,
} from "./stackRunner";
import { killOrphanedPlugins } from "./orphans";
import { fileBackendCheckpoint, fileBackendDir, repairFileBackend } from "./backendRepair";
import { attachSetting, ProviderPool, type ProviderLease } from "./providerPool";

/** How the CLI reports a backend metadata sidecar that does not decode (server/engine/backendRepair.ts). */
const DAMAGED_SIDECAR = /failed to load checkpoint: (unexpected )?EOF/;

export const PROJECT_NAME = "aragora";
const execFileAsync = promisify(execFile);

export interface AutomationRunnerOptions {
  /** Service state directory: workspaces, stack config files, default file backend. */
  stateDir: string;
  /** Pulumi backend URL; default `file://<stateDir>/backend`. */
  backendUrl?: string;
  /** Secrets passphrase (one of passphrase / passphraseFile is required). */
  passphrase?: string;
  passphraseFile?: string;
  /**
   * Keep dynamic-provider servers between runs and attach each run to one (server/engine/providerPool.ts)
   * instead of letting every run start its own. Default true.
   */
  sharedProviders?: boolean;
  /** Directory holding the `pulumi` binary (and pulumi-resource-pulumi-nodejs); default: from PATH. */
  pulumiBinDir?: string;
  /** Extra environment for the engine and its plugins. */
  env?: Record<string, string>;
  /** Directory from which `@pulumi/pulumi` resolves for dynamic providers (the project root). */
  projectDir: string;
}

const STACK_NAME = /^[A-Za-z0-9][A-Za-z0-9_.-]{0,99}$/;

/** Simple FIFO mutex per key. */
class KeyedMutex {
  private readonly tails = new Map<string, Promise<void>>();
  async run<T>(key: string, fn: () => Promise<T>): Promise<T> {
    const prev = this.tails.get(key) ?? Promise.resolve();
    let release!: () => void;
    const mine = new Promise<void>((r) => (release = r));
    const tail = prev.then(() => mine);
    this.tails.set(key, tail);
    await prev;
    try {
      return await fn();
    } finally {
      release();
      if (this.tails.get(key) === tail) this.tails.delete(key);
    }
  }
}

export function createAutomationRunner(options: AutomationRunnerOptions): StackRunner & AutomationRunnerExtras {
  return new AutomationRunner(options);
}

/**
 * A stack handle kept between steps: selecting a stack and reading its config are CLI calls
 * (about 0.3 s each on an idle machine, seconds under load), and every command names its stack
 * explicitly anyway. `configKey` is what the service last wrote to the stack's config file and
 * `configStamp` the file's size and mtime right after; when both still match, the config is
 * current and is not read back.
 */
interface StackHandle {
  stack: Stack;
  workspace: LocalWorkspace;
  configKey?: string;
  configStamp?: string;
  /** The config this handle last wrote (the file holds it while `configStamp` still matches). */
  lastConfig?: StackConfig | undefined;
}

/** Beyond StackRunner: the provider servers' lifecycle. */
export interface AutomationRunnerExtras {
  /** Starts a dynamic-provider server ahead of the first run (the engine host does, at start). */
  warm(): void;
  /** Pids of the live dynamic-provider servers. */
  providerPids(): number[];
  /** Stops the dynamic-provider servers. */
  close(): Promise<void>;
}

class AutomationRunner implements StackRunner, AutomationRunnerExtras {
  private readonly mutex = new KeyedMutex();
  private readonly providers: ProviderPool | undefined;
  private readonly handles = new Map<string, StackHandle>();
  private commandPromise: Promise<PulumiCommand> | undefined;
  private readonly backendUrl: string;
  private readonly configDir: string;

  constructor(private readonly options: AutomationRunnerOptions) {
    if (!options.passphrase && !options.passphraseFile) {
      throw new Error("the engine needs a secrets passphrase (PULUMI_CONFIG_PASSPHRASE or PULUMI_CONFIG_PASSPHRASE_FILE)");
    }
    this.backendUrl = options.backendUrl ?? `file://${path.join(options.stateDir, "backend")}`;
    this.configDir = path.join(options.stateDir, "stacks");
    const backendDir = fileBackendDir(this.backendUrl);
    if (backendDir !== undefined) fs.mkdirSync(backendDir, { recursive: true });
    fs.mkdirSync(this.configDir, { recursive: true });
    if (options.sharedProviders !== false) {
      // Where a launched provider would run: a workspace, with the project's dirs linked in.
      const cwd = path.join(options.stateDir, "workspaces", "_providers");
      fs.mkdirSync(cwd, { recursive: true });
      linkProjectDirs(cwd, options.projectDir);
      this.providers = new ProviderPool({ env: { ...process.env, ...this.env() }, cwd });
    }
  }

  warm(): void {
    this.providers?.warm();
  }

  providerPids(): number[] {
    return this.providers?.pids() ?? [];
  }

  /** Settles once its provider servers have exited. */
  async close(): Promise<void> {
    await this.providers?.close();
  }

  /**
   * Leases a provider server for one run of `stackName` and points the run at it
   * (`PULUMI_DEBUG_PROVIDERS=pulumi-nodejs:<port>` in its workspace's environment); without a pool,
   * or if no server would start, the run starts its own provider as the CLI does by default.
   */
  private async attachProvider(stackName: string, onEvent?: (e: EngineEvent) => void): Promise<ProviderLease | undefined> {
    const envVars = this.handles.get(stackName)?.workspace.envVars;
    if (!envVars) return undefined;
    delete envVars["PULUMI_DEBUG_PROVIDERS"];
    if (!this.providers) return undefined;
    try {
      // What the server prints during the run joins the run's events, as a launched provider's
      // output does through the engine.
      const lease = await this.providers.lease((line) => onEvent?.({ kind: "diagnostic", severity: "info", message: line }));
      envVars["PULUMI_DEBUG_PROVIDERS"] = attachSetting(lease.port);
      return lease;
    } catch (err) {
      onEvent?.({ kind: "diagnostic", severity: "warning", message: `the dynamic-provider server did not start (${err instanceof Error ? err.message : String(err)}); this run starts its own provider` });
      return undefined;
    }
  }

  up(req: StackRunRequest, opts?: RunOptions): Promise<StepResult> {
    const capture = new RunCapture();
    return this.step("up", { ...req, program: capture.wrap(req.program) }, opts, async (stack, common) => {
      const res = await capture.around(stack, () => stack.up({ ...common, onEvent: capture.tap(common.onEvent) }));
      return { summary: countChanges(res.summary.resourceChanges), outputs: mapOutputs(res.outputs) };
    });
  }

  preview(req: StackRunRequest, opts?: RunOptions): Promise<StepResult> {
    return this.step("preview", req, opts, async (stack, common) => {
      const res = await stack.preview({ ...common });
      return { summary: countChanges(res.changeSummary), outputs: undefined };
    });
  }

  refresh(req: StackRunRequest, opts?: RunOptions): Promise<StepResult> {
    const capture = new RunCapture();
    return this.step("refresh", req, opts, async (stack, common) => {
      const res = await capture.around(stack, () => stack.refresh({ ...common, onEvent: capture.tap(common.onEvent) }));
      return { summary: countChanges(res.summary.resourceChanges), outputs: undefined };
    });
  }

  async destroy(req: StackRunRequest, opts?: RunOptions): Promise<StepResult> {
    const exists = (await this.listStacks()).includes(req.stack);
    if (!exists) {
      return { action: "destroy", stack: req.stack, summary: {}, outputs: {}, changes: [], durationMs: 0 };
    }
    const capture = new RunCapture();
    return this.step("destroy", req, opts, async (stack, common) => {
      const res = await capture.around(stack, () => stack.destroy({ ...common, onEvent: capture.tap(common.onEvent), remove: true }));
      return { summary: countChanges(res.summary.resourceChanges), outputs: {} };
    });
  }

  async outputs(stackName: string): Promise<StackOutputs | undefined> {
    assertStackName(stackName);
    return this.mutex.run(stackName, async () => {
      const ws = await this.workspace(stackName);
      try {
        await ws.selectStack(stackName);
      } catch (err) {
        if (err instanceof StackNotFoundError) return undefined;
        throw err;
      }
      return mapOutputs(await ws.stackOutputs(stackName));
    });
  }

  async recover(stackName: string): Promise<void> {
    assertStackName(stackName);
    await this.mutex.run(stackName, () => this.clearStale(stackName));
  }

  /** recover() without the per-stack mutex (the caller holds it). */
  private async clearStale(stackName: string): Promise<void> {
    // First the metadata a killed CLI can leave empty: with it, every command below fails.
    repairFileBackend(this.backendUrl, stackName);
    const ws = await this.workspace(stackName);
    try {
      await ws.selectStack(stackName);
    } catch (err) {
      if (err instanceof StackNotFoundError) return;
      throw err;
    }
    // A crashed update leaves its lock behind: `pulumi cancel` removes it.
    const cmd = await this.command();
    await execFileAsync(cmd.command, ["cancel", "--yes", "--stack", stackName, "--non-interactive"], {
      cwd: ws.workDir,
      env: { ...process.env, ...this.env() },
    }).catch(() => undefined);
    // Pending operations (creates/updates the engine started but never recorded) are dropped
    // from the checkpoint so the next update can run; the next refresh re-reads reality.
    const stack = await LocalWorkspace.selectStack({ stackName, workDir: ws.workDir }, await this.workspaceOptions(stackName));
    const state = await stack.exportStack();
    const deployment = (state as { deployment?: { pending_operations?: unknown[] } }).deployment;
    if (deployment?.pending_operations && deployment.pending_operations.length > 0) {
      deployment.pending_operations = [];
      await stack.importStack(state);
    }
  }

  async listStacks(): Promise<string[]> {
    const ws = await this.workspace("_list");
    const summaries = await ws.listStacks({ all: true });
    return summaries.map((s) => s.name.split("/").pop() ?? s.name);
  }

  // ---------------------------------------------------------------------------------------------

  private async step(
    action: StepAction,
    req: StackRunRequest,
    opts: RunOptions | undefined,
    run: (
      stack: Stack,
      common: { onEvent: (e: PulumiEngineEvent) => void; signal?: AbortSignal; color: "never" },
    ) => Promise<{ summary: ChangeSummary; outputs: StackOutputs | undefined }>,
  ): Promise<StepResult> {
    assertStackName(req.stack);
    return this.mutex.run(req.stack, async () => {
      const started = Date.now();
      if (opts?.signal?.aborted) throw new StepCancelledError(req.stack, action);
      const changes: { urn: string; op: string }[] = [];
      const errors: string[] = [];
      const onEvent = (e: PulumiEngineEvent): void => {
        const mapped = mapEvent(e);
        if (!mapped) return;
        if (mapped.urn && mapped.op && isChange(action, e)) {
          const md = e.resOutputsEvent?.metadata;
          const keys = action === "refresh" && md ? driftedKeys(md) : [];
          changes.push({ urn: mapped.urn, op: mapped.op, ...(keys.length > 0 ? { keys } : {}) });
        }
        if (mapped.severity === "error") errors.push(mapped.message);
        opts?.onEvent?.(mapped);
      };
      let lease: ProviderLease | undefined;
      try {
        const ready = opts?.ready;
        const stack = await this.stack(ready ? { ...req, program: gated(req.program, ready) } : req);
        lease = await this.attachProvider(req.stack, opts?.onEvent);
        const result = await run(stack, { onEvent, ...(opts?.signal ? { signal: opts.signal } : {}), color: "never" });
        // The engine has closed its connection: the server is free for the next run.
        lease?.release(true);
        const outputs = result.outputs ?? (action === "destroy" ? {} : mapOutputs(await stack.outputs()));
        if (action === "destroy") this.handles.delete(req.stack);
        return { action, stack: req.stack, summary: result.summary, outputs, changes, durationMs: Date.now() - started };
      } catch (err) {
        // The run failed, was cancelled or its CLI died: its provider may still be working for it
        // (a create the engine never heard back from). Killed, before anything below clears the
        // stack for a retry.
        lease?.release(false);
        // Whatever failed (a stack removed by hand, a config file edited mid-step), start afresh next time.
        this.handles.delete(req.stack);
        // The CLI died (kill -9, the OOM killer) instead of finishing: it left the backend's stack
        // lock and its pending operations behind, and every later step of this stack would fail as
        // "locked" until a restart ran recover(). Nothing else can hold that lock (it was this
        // step's, and this stack's mutex is ours), so clear it now, as recover() does at startup.
        // Its plugins (the dynamic provider) outlive it: stop them first, so none finishes a
        // half-done create behind the retry's back.
        const death = opts?.signal?.aborted ? undefined : engineDeath(err);
        let cleared = false;
        if (death !== undefined) {
          killOrphanedPlugins(path.join(this.options.stateDir, "workspaces", req.stack));
          cleared = await this.clearStale(req.stack).then(() => true, () => false);
        }
        // A CLI killed earlier (a manual run, another process) can have left an empty metadata
        // sidecar that fails every command on the stack (server/engine/backendRepair.ts).
        const repaired = death === undefined && DAMAGED_SIDECAR.test(`${String(err)}\n${errors.join("\n")}`) ? repairFileBackend(this.backendUrl, req.stack) : [];
        throw this.translate(err, req.stack, action, errors, opts?.signal, death === undefined ? undefined : { how: death, cleared }, repaired);
      }
    });
  }

  private translate(err: unknown, stackName: string, action: StepAction, errors: string[], signal?: AbortSignal, death?: { how: string; cleared: boolean }, repaired: string[] = []): Error {
    if (signal?.aborted) return new StepCancelledError(stackName, action);
    if (err instanceof ConcurrentUpdateError) {
      return new StackBusyError(stackName, `stack ${stackName} is locked by another update (another service instance or a manual pulumi run)`);
    }
    if (death !== undefined) {
      // The SDK's own message is the CLI's command line and partial output: say what happened instead.
      const after = death.cleared
        ? "its stack lock and pending operations were cleared, so the step can be retried"
        : "clearing its stack lock failed; a restart of the service clears it";
      return new StepFailedError(stackName, action, `${action} of stack ${stackName} failed: the engine process (pulumi ${action}) ${death.how} before it finished; ${after}`);
    }
    const raw = err instanceof Error ? err.message : String(err);
    const detail = errors.length > 0 ? errors.join("\n") : summarizeCliError(raw);
    const repair = repaired.length > 0
      ? `\nthe backend held metadata files a killed Pulumi CLI had left empty (${repaired.join(", ")}); they were removed, so the step can be retried`
      : "";
    return new StepFailedError(stackName, action, `${action} of stack ${stackName} failed: ${detail}${repair}`);
  }

  /** The stack, selected (or created) once per process, with `req`'s program and config in place. */
  private async stack(req: StackRunRequest): Promise<Stack> {
    let handle = this.handles.get(req.stack);
    if (!handle) {
      const workspace = await this.workspace(req.stack, req);
      handle = { stack: await this.selectOrCreate(req.stack, workspace), workspace };
      this.handles.set(req.stack, handle);
    }
    // Every action runs the workspace's program (up and preview could take it per call; refresh
    // and destroy cannot), so the handle gets this step's program.
    handle.workspace.program = req.program;
    const key = configKey(req.config);
    const file = path.join(this.configDir, `Pulumi.${req.stack}.yaml`);
    const stamp = fileStamp(file);
    if (handle.configKey !== key || handle.configStamp !== stamp) {
      // What the file holds, when known without asking the CLI (`pulumi config --json`, a process
      // of its own): what this handle last wrote, if nobody touched the file since; nothing, if
      // the file has no config section yet (a stack just created).
      const known = handle.lastConfig !== undefined && handle.configStamp === stamp ? handle.lastConfig : noConfigIn(file) ? {} : undefined;
      handle.configKey = undefined;
      handle.lastConfig = undefined;
      await setConfig(handle.stack, req.config, known);
      handle.configKey = key;
      handle.lastConfig = req.config;
      handle.configStamp = fileStamp(file);
    }
    return handle.stack;
  }

  /**
   * The stack, selected, or created when the file backend has no checkpoint for it: one CLI
   * process either way (`createOrSelect` runs a failing `stack select` before `stack init` for
   * every new stack). Other backends: `createOrSelect`.
   */
  private async selectOrCreate(stackName: string, workspace: LocalWorkspace): Promise<Stack> {
    const checkpoint = fileBackendCheckpoint(this.backendUrl, PROJECT_NAME, stackName);
    if (checkpoint === undefined) return Stack.createOrSelect(stackName, workspace);
    // Removed or created meanwhile: the other one.
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

  private async workspace(stackName: string, req?: StackRunRequest): Promise<LocalWorkspace> {
    return LocalWorkspace.create({
      ...(await this.workspaceOptions(stackName)),
      ...(req ? { program: req.program } : {}),
    });
  }

  private async workspaceOptions(stackName: string) {
    const pulumiCommand = await this.command();
    const workDir = path.join(this.options.stateDir, "workspaces", stackName);
    fs.mkdirSync(workDir, { recursive: true });
    linkProjectDirs(workDir, this.options.projectDir);
    return {
      workDir,
      envVars: this.env(),
      pulumiCommand,
      projectSettings: {
        name: PROJECT_NAME,
        runtime: "nodejs" as const,
        backend: { url: this.backendUrl },
        stackConfigDir: path.relative(workDir, this.configDir),
      },
    };
  }

  private env(): Record<string, string> {
    const nodePath = path.join(this.options.projectDir, "node_modules");
    const binDir = this.options.pulumiBinDir;
    return {
      PULUMI_BACKEND_URL: this.backendUrl,
      PULUMI_SKIP_UPDATE_CHECK: "true",
      PULUMI_DISABLE_AUTOMATIC_PLUGIN_ACQUISITION: "true",
      PULUMI_HOME: path.join(this.options.stateDir, "pulumi-home"),
      NODE_PATH: process.env["NODE_PATH"] ? `${nodePath}:${process.env["NODE_PATH"]}` : nodePath,
      // The CLI first, then this process's Node.js: the dynamic-provider shim runs `node` from PATH,
      // and it must be the same Node.js the service runs on.
      PATH: [...(binDir ? [binDir] : []), path.dirname(process.execPath), process.env["PATH"] ?? ""].join(":"),
      ...(this.options.passphrase !== undefined
        ? { PULUMI_CONFIG_PASSPHRASE: this.options.passphrase }
        : { PULUMI_CONFIG_PASSPHRASE_FILE: this.options.passphraseFile ?? "" }),
      ...this.options.env,
    };
  }

  /** The CLI, resolved once. */
  command(): Promise<PulumiCommand> {
    this.commandPromise ??= PulumiCommand.get(
      this.options.pulumiBinDir ? { root: path.dirname(this.options.pulumiBinDir) } : {},
    );
    return this.commandPromise;
  }
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
async function setConfig(stack: Stack, config: StackConfig, known?: StackConfig): Promise<void> {
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

/**
 * What a run tells about itself, so the SDK need not ask the CLI afterwards.
 *
 * After every update the SDK's `Stack.up` reads the stack's outputs (`pulumi stack output`, twice:
 * masked and with secrets, to learn which are secret) and its last history entry (`pulumi stack
 * history`) for the change counts; refresh and destroy read the history entry too. Those are CLI
 * processes of 0.2-0.5 s of CPU each, on every step's critical path. Here the program itself hands
 * over its outputs (the inline program runs in this process: the values and whether each is
 * secret, taken from the same Outputs the engine registers), and the engine's summary event gives
 * the counts. For the duration of the run the stack's `outputs` and `info` answer from these; when
 * either is missing (a program that returned nothing, a run without a summary) they fall back to
 * the SDK's CLI calls.
 */
class RunCapture {
  private outputs: OutputMap | undefined;
  private changes: Record<string, number> | undefined;

  wrap(program: StackRunRequest["program"]): StackRunRequest["program"] {
    return async () => {
      const out: unknown = await program();
      if (out !== null && typeof out === "object") this.outputs = await resolveOutputs(out as Record<string, unknown>);
      return out as Awaited<ReturnType<StackRunRequest["program"]>>;
    };
  }

  /** `onEvent`, noting the engine's summary on the way. */
  tap(onEvent: (e: PulumiEngineEvent) => void): (e: PulumiEngineEvent) => void {
    return (e) => {
      if (e.summaryEvent) this.changes = { ...e.summaryEvent.resourceChanges };
      onEvent(e);
    };
  }

  async around<T>(stack: Stack, run: () => Promise<T>): Promise<T> {
    const own = stack as unknown as { outputs: () => Promise<OutputMap>; info: (showSecrets?: boolean) => Promise<UpdateSummary | undefined> };
    own.outputs = () => (this.outputs !== undefined ? Promise.resolve(this.outputs) : Stack.prototype.outputs.call(stack));
    own.info = (showSecrets?: boolean) =>
      this.changes !== undefined ? Promise.resolve({ resourceChanges: this.changes } as UpdateSummary) : Stack.prototype.info.call(stack, showSecrets);
    try {
      return await run();
    } finally {
      // The handle is kept for later steps: back to the SDK's own methods.
      Reflect.deleteProperty(stack, "outputs");
      Reflect.deleteProperty(stack, "info");
    }
  }
}

/**
 * The program's outputs as `pulumi stack output --show-secrets --json` gives them: each top-level
 * value resolved and made plain JSON, marked secret when its Output is.
 */
async function resolveOutputs(out: Record<string, unknown>): Promise<OutputMap | undefined> {
  const entries = await Promise.all(
    Object.entries(out).map(async ([key, v]) => {
      // promise() and isKnown are the SDK's own (internal) accessors of an Output's value.
      const o = pulumi.output(v) as unknown as { promise(): Promise<unknown>; isKnown: Promise<boolean> } & pulumi.Output<unknown>;
      const [value, known, secret] = await Promise.all([o.promise(), o.isKnown, pulumi.isSecret(o)]);
      return { key, value, known, secret };
    }),
  );
  if (entries.some((e) => !e.known)) return undefined;
  const map: OutputMap = {};
  for (const e of entries) {
    if (e.value === undefined) continue; // the CLI lists no undefined output
    map[e.key] = { value: JSON.parse(JSON.stringify(e.value)) as unknown, secret: e.secret };
  }
  return map;
}

/** The program, run only once `ready` settles (the engine is already up and waiting on it). */
function gated(program: StackRunRequest["program"], ready: Promise<void>): StackRunRequest["program"] {
  return async () => {
    await ready;
    return program();
  };
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

function assertStackName(name: string): void {
  if (!STACK_NAME.test(name)) throw new Error(`invalid stack name ${JSON.stringify(name)}`);
}

function countChanges(changes: Record<string, number> | undefined): ChangeSummary {
  const out: ChangeSummary = {};
  for (const [op, n] of Object.entries(changes ?? {})) if (n > 0) out[op] = n;
  return out;
}

function mapOutputs(outputs: Record<string, { value: unknown; secret: boolean }>): StackOutputs {
  const out: StackOutputs = {};
  for (const [k, v] of Object.entries(outputs)) out[k] = { value: v.value, secret: v.secret };
  return out;
}

const CHANGING_OPS = new Set(["create", "update", "delete", "replace", "create-replacement", "delete-replaced", "import"]);

function isChange(action: StepAction, e: PulumiEngineEvent): boolean {
  const md = e.resOutputsEvent?.metadata ?? e.resourcePreEvent?.metadata;
  if (!md) return false;
  if (md.type === "pulumi:pulumi:Stack") return false;
  if (action === "refresh") {
    // The engine reports a refreshed resource as op "same" when its inputs still match, even when
    // the real state (its outputs) moved: drift is any output that differs from the recorded one.
    return Boolean(e.resOutputsEvent) && (md.op !== "same" || driftedKeys(md).length > 0);
  }
  return Boolean(e.resourcePreEvent) && CHANGING_OPS.has(md.op);
}

/** Reduces an engine event to what the service stores. Property values are never copied. */
export function mapEvent(e: PulumiEngineEvent): EngineEvent | undefined {
  if (e.diagnosticEvent) {
    const d = e.diagnosticEvent;
    // The SDK's type omits it, but the engine also sends "debug" diagnostics (SDK internals): not
    // worth storing per operation.
    if ((d.severity as string) === "debug") return undefined;
    const message = d.message.replace(/\u001b\[[0-9;]*m/g, "").trimEnd();
    if (!message) return undefined;
    return {
      kind: "diagnostic",
      message,
      ...(d.urn ? { urn: d.urn } : {}),
      severity: d.severity === "warning" ? "warning" : d.severity === "error" ? "error" : "info",
    };
  }
  if (e.resourcePreEvent) {
    const md = e.resourcePreEvent.metadata;
    return { kind: "resourcePre", message: `${md.op} ${md.type} ${lastSegment(md.urn)}`, urn: md.urn, op: md.op, severity: "info" };
  }
  if (e.resOutputsEvent) {
    const md = e.resOutputsEvent.metadata;
    const changed = md.diffs && md.diffs.length > 0 ? md.diffs : md.op === "refresh" || md.op === "same" ? driftedKeys(md) : [];
    const diffs = changed.length > 0 ? ` (changed: ${changed.join(", ")})` : "";
    return { kind: "resOutputs", message: `${md.op} ${md.type} ${lastSegment(md.urn)} done${diffs}`, urn: md.urn, op: md.op, severity: "info" };
  }
  if (e.resOpFailedEvent) {
    const md = e.resOpFailedEvent.metadata;
    return { kind: "resOpFailed", message: `${md.op} ${md.type} ${lastSegment(md.urn)} failed`, urn: md.urn, op: md.op, severity: "error" };
  }
  if (e.summaryEvent) {
    const s = e.summaryEvent;
    const counts = Object.entries(s.resourceChanges as Record<string, number | undefined>)
      .filter(([, n]) => (n ?? 0) > 0)
      .map(([op, n]) => `${op}=${n ?? 0}`);
    return { kind: "summary", message: `summary: ${counts.join(" ") || "no changes"} in ${s.durationSeconds}s`, severity: "info" };
  }
  if (e.cancelEvent) return { kind: "cancel", message: "cancelled", severity: "warning" };
  return undefined;
}

/** Output keys whose refreshed value differs from the recorded one (names only, never values). */
function driftedKeys(md: { old?: { outputs?: Record<string, unknown> }; new?: { outputs?: Record<string, unknown> } }): string[] {
  const before = md.old?.outputs ?? {};
  const after = md.new?.outputs ?? {};
  const keys = new Set([...Object.keys(before), ...Object.keys(after)]);
  return [...keys].filter((k) => k !== "__provider" && JSON.stringify(before[k]) !== JSON.stringify(after[k])).sort();
}

function lastSegment(urn: string): string {
  return urn.split("::").pop() ?? urn;
}

/**
 * How the CLI died, when it did not exit by itself: "was killed by SIGKILL" (execa, under the SDK,
 * records the signal). Undefined for an ordinary failure (the CLI exited with an error).
 */
export function engineDeath(err: unknown): string | undefined {
  if (!(err instanceof CommandError)) return undefined;
  const cause = (err as unknown as { commandResult?: { err?: { signal?: unknown } } }).commandResult?.err;
  return typeof cause?.signal === "string" && cause.signal !== "" ? `was killed by ${cause.signal}` : undefined;
}

function summarizeCliError(raw: string): string {
  const lines = raw.split("\n").map((l) => l.trim());
  const errs = lines.filter((l) => /^error:/i.test(l) || /error: /.test(l));
  const picked = errs.length > 0 ? errs : lines.filter(Boolean).slice(-3);
  return picked.join("\n").slice(0, 2000);
}
