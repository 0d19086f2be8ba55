/**
 * StackRunner over Pulumi's Automation API with inline programs (stackWorkspaces.ts keeps the
 * workspaces and config files).
 *
 * - Every stack runs the same program (`program`), which finds the stack's own program by stack
 *   name and config: the engine knows stacks, programs and config, never the fleet.
 * - One step per stack at a time inside this process (a per-stack mutex); across processes the
 *   backend's stack lock applies and surfaces as StackBusyError.
 * - Runs attach to a long-lived server of each of the project's own provider plugins
 *   (providerPool.ts) instead of launching the plugin per run.
 * - SDK errors become the domain errors of stackRunner.ts here and nowhere else.
 */
import * as fs from "node:fs";
import * as path from "node:path";
import { ConcurrentUpdateError, LocalWorkspace, type EngineEvent as PulumiEngineEvent, type PulumiFn, type Stack } from "@pulumi/pulumi/automation";
import {
  describePending,
  StackBusyError,
  StepCancelledError,
  StepFailedError,
  type ChangeSummary,
  type EngineEvent,
  type RunOptions,
  type StackOutputs,
  type PendingDecision,
  type PendingDecisionResult,
  type PendingOperation,
  type PendingResolution,
  type StackRunRequest,
  type StackRunner,
  type StepAction,
  type StepResult,
} from "./stackRunner";
import { countChanges, driftedKeys, engineDeath, isChange, mapEvent, mapOutputs, summarizeCliError } from "./engineEvents";
import { KeyedMutex } from "./keyedMutex";
import { adoptable, importRequest, isCreate, pendingIn, refusedDecisions } from "./pendingOperations";
import { killOrphanedPlugins } from "./orphans";
import { attachSetting, ProviderPool, type ProviderLease } from "./providerPool";
import { defaultBackendUrl } from "./fileBackend";
import { StackWorkspaces, type OwnPlugin } from "./stackWorkspaces";

export { PROJECT_NAME, type OwnPlugin } from "./stackWorkspaces";

export interface AutomationRunnerOptions {
  /** Service state directory: workspaces, stack config files, default file backend. */
  stateDir: string;
  /** Pulumi backend URL; default `file://<stateDir>/backend?metadata=skip` (defaultBackendUrl). */
  backendUrl?: string;
  /** Secrets passphrase (one of passphrase / passphraseFile is required). */
  passphrase?: string;
  passphraseFile?: string;
  /** The project's own provider plugins (stacks/program.ts ownPlugins). */
  plugins?: readonly OwnPlugin[];
  /**
   * Keep servers of the own plugins between runs and attach each run to one (providerPool.ts)
   * instead of letting every run launch the plugin. Default true.
   */
  sharedProviders?: boolean;
  /** Directory holding the `pulumi` binary; default: from PATH. */
  pulumiBinDir?: string;
  /** Extra environment for the engine and its plugins. */
  env?: Record<string, string>;
  /** The project root: node_modules, charts. */
  projectDir: string;
}

const STACK_NAME = /^[A-Za-z0-9][A-Za-z0-9_.-]{0,99}$/;

/** The runner, running `program` for every stack. */
export function createAutomationRunner(options: AutomationRunnerOptions & { program: PulumiFn }): AutomationRunner {
  return new AutomationRunner(options);
}

export class AutomationRunner implements StackRunner {
  private readonly mutex = new KeyedMutex();
  private readonly pools: ProviderPool[] = [];
  private readonly workspaces: StackWorkspaces;
  private readonly backendUrl: string;

  constructor(private readonly options: AutomationRunnerOptions & { program: PulumiFn }) {
    if (!options.passphrase && !options.passphraseFile) {
      throw new Error("the engine needs a secrets passphrase (PULUMI_CONFIG_PASSPHRASE or PULUMI_CONFIG_PASSPHRASE_FILE)");
    }
    this.backendUrl = options.backendUrl ?? defaultBackendUrl(options.stateDir);
    this.workspaces = new StackWorkspaces({
      stateDir: options.stateDir,
      backendUrl: this.backendUrl,
      projectDir: options.projectDir,
      pulumiBinDir: options.pulumiBinDir,
      passphrase: options.passphrase,
      passphraseFile: options.passphraseFile,
      plugins: options.plugins ?? [],
      env: options.env,
      program: options.program,
    });
    if (options.sharedProviders !== false) {
      // Servers run where a launched plugin would: in a workspace directory.
      const cwd = path.join(options.stateDir, "workspaces");
      fs.mkdirSync(cwd, { recursive: true });
      for (const plugin of options.plugins ?? []) this.pools.push(new ProviderPool({ plugin, env: { ...process.env, ...this.workspaces.env() }, cwd }));
    }
  }

  /** Starts a server of each own plugin ahead of the first run (the engine host does, at start). */
  warm(): void {
    for (const p of this.pools) p.warm();
  }

  /** Pids of the live provider servers. */
  providerPids(): number[] {
    return this.pools.flatMap((p) => p.pids());
  }

  /** Settles once the provider servers have exited. */
  async close(): Promise<void> {
    await Promise.all(this.pools.map((p) => p.close()));
  }

  up(req: StackRunRequest, opts?: RunOptions): Promise<StepResult> {
    return this.step("up", req, opts, (stack, common) => this.upRun(req.stack, stack, common));
  }

  private async upRun(stackName: string, stack: Stack, common: RunCommon): Promise<{ summary: ChangeSummary; outputs: StackOutputs }> {
    this.workspaces.armCapture(stackName);
    const res = await stack.up(common);
    return { summary: countChanges(res.summary.resourceChanges), outputs: mapOutputs(res.outputs) };
  }

  preview(req: StackRunRequest, opts?: RunOptions): Promise<StepResult> {
    return this.step("preview", req, opts, async (stack, common) => {
      const res = await stack.preview(common);
      return { summary: countChanges(res.changeSummary), outputs: undefined };
    });
  }

  refresh(req: StackRunRequest, opts?: RunOptions): Promise<StepResult> {
    return this.step("refresh", req, opts, async (stack, common) => {
      const res = await stack.refresh(common);
      return { summary: countChanges(res.summary.resourceChanges), outputs: undefined };
    });
  }

  async destroy(req: StackRunRequest, opts?: RunOptions): Promise<StepResult> {
    if (!(await this.listStacks()).includes(req.stack)) {
      return { action: "destroy", stack: req.stack, summary: {}, outputs: {}, changes: [], durationMs: 0 };
    }
    return this.step("destroy", req, opts, async (stack, common) => {
      const res = await stack.destroy({ ...common, remove: true });
      return { summary: countChanges(res.summary.resourceChanges), outputs: {} };
    });
  }

  async outputs(stackName: string): Promise<StackOutputs | undefined> {
    assertStackName(stackName);
    return this.mutex.run(stackName, async () => {
      const stack = await this.workspaces.existing(stackName);
      return stack === undefined ? undefined : mapOutputs(await stack.outputs());
    });
  }

  async recover(stackName: string): Promise<PendingOperation[]> {
    assertStackName(stackName);
    return this.mutex.run(stackName, () => this.unlock(stackName));
  }

  async pendingOperations(stackName: string): Promise<PendingOperation[]> {
    assertStackName(stackName);
    return this.mutex.run(stackName, async () => {
      const stack = await this.workspaces.existing(stackName);
      return stack === undefined ? [] : pendingIn((await stack.exportStack()).deployment);
    });
  }

  async resolvePending(req: StackRunRequest, opts?: RunOptions): Promise<PendingResolution> {
    assertStackName(req.stack);
    return this.mutex.run(req.stack, async () => {
      const existing = await this.workspaces.existing(req.stack);
      const before = existing === undefined ? [] : pendingIn((await existing.exportStack()).deployment);
      if (before.length === 0) return { resolved: [], remaining: [] };
      const plugins = this.options.plugins ?? [];
      const creates = before.filter(isCreate);
      // Pulumi clears pending creates per stack: only when every one of them is an own plugin's
      // create that adopts can they be cleared (and re-run below) without an admin.
      const clear = creates.length > 0 && creates.every((op) => adoptable(op, plugins));
      opts?.onEvent?.({ kind: "pending.found", severity: "warning", message: `a killed run left ${before.length} resource operation(s) pending on stack ${req.stack}: ${describePending(before)}` });
      // A refresh reads every recorded resource, settling pending updates and deletes against reality.
      await this.runStep("refresh", req, opts, async (stack, common) => {
        const res = await stack.refresh({ ...common, ...(clear ? { clearPendingCreates: true } : {}) });
        return { summary: countChanges(res.summary.resourceChanges), outputs: undefined };
      });
      // The creates run again at once: each adopts what the interrupted one left (a data dir, a daemon).
      if (clear) await this.runStep("up", req, opts, (stack, common) => this.upRun(req.stack, stack, common));
      const remaining = pendingIn((await this.workspaces.stack(req.stack, req.config).then((s) => s.exportStack())).deployment);
      const left = new Set(remaining.map((o) => `${o.operation} ${o.urn}`));
      return { resolved: before.filter((o) => !left.has(`${o.operation} ${o.urn}`)), remaining };
    });
  }

  async decidePending(stackName: string, decisions: readonly PendingDecision[], opts?: RunOptions): Promise<PendingDecisionResult> {
    assertStackName(stackName);
    return this.mutex.run(stackName, async () => {
      const stack = await this.workspaces.existing(stackName);
      const deployment: unknown = stack === undefined ? undefined : (await stack.exportStack()).deployment;
      const refused = refusedDecisions(pendingIn(deployment), decisions);
      if (refused) return { refused };
      if (stack === undefined) return { remaining: [] };
      const imports = decisions.flatMap((d) => (d.action === "import" ? [{ urn: d.urn, id: d.id }] : []));
      const request = imports.length > 0 ? importRequest(deployment, imports) : undefined;
      this.workspaces.forget(stackName);
      const onEvent = (e: PulumiEngineEvent): void => {
        const mapped = mapEvent(e);
        if (mapped) opts?.onEvent?.(mapped);
      };
      await stack.refresh({ clearPendingCreates: true, onEvent, color: "never" });
      // (`pulumi import` reports no engine events through the SDK.)
      if (request) await stack.import({ ...request, protect: false, generateCode: false, color: "never" });
      return { remaining: pendingIn((await stack.exportStack()).deployment) };
    });
  }

  /** recover() without the per-stack mutex (the caller holds it): Pulumi's cancel removes a killed run's lock. */
  private async unlock(stackName: string): Promise<PendingOperation[]> {
    const stack = await this.workspaces.existing(stackName);
    if (stack === undefined) return [];
    await stack.cancel().catch(() => undefined);
    return pendingIn((await stack.exportStack()).deployment);
  }

  async listStacks(): Promise<string[]> {
    const ws: LocalWorkspace = await this.workspaces.workspace("_list");
    const summaries = await ws.listStacks({ all: true });
    return summaries.map((s) => s.name.split("/").pop() ?? s.name);
  }

  /**
   * Leases a server of each own plugin for one run of `stackName` and points the run at them
   * (PULUMI_DEBUG_PROVIDERS in its workspace's environment); a plugin whose server would not start
   * is launched by the engine as usual.
   */
  private async attachProviders(stackName: string, onEvent?: (e: EngineEvent) => void): Promise<ProviderLease[]> {
    const envVars = this.workspaces.envVars(stackName);
    if (!envVars) return [];
    delete envVars["PULUMI_DEBUG_PROVIDERS"];
    const leases: { name: string; lease: ProviderLease }[] = [];
    for (const pool of this.pools) {
      try {
        // What the server prints during the run joins the run's events, as a launched plugin's does.
        const lease = await pool.lease((line) => onEvent?.({ kind: "diagnostic", severity: "info", message: line }));
        leases.push({ name: pool.name, lease });
      } catch (err) {
        onEvent?.({ kind: "diagnostic", severity: "warning", message: `the ${pool.name} provider server did not start (${err instanceof Error ? err.message : String(err)}); this run launches its own` });
      }
    }
    if (leases.length > 0) envVars["PULUMI_DEBUG_PROVIDERS"] = leases.map((l) => attachSetting(l.name, l.lease.port)).join(",");
    return leases.map((l) => l.lease);
  }

  /** An invalid stack name rejects (never throws): nothing is touched. */
  private async step(action: StepAction, req: StackRunRequest, opts: RunOptions | undefined, run: StepRun): Promise<StepResult> {
    assertStackName(req.stack);
    return this.mutex.run(req.stack, () => this.runStep(action, req, opts, run));
  }

  /** One engine run of `action` on `req.stack`; the caller holds the stack's mutex. */
  private async runStep(action: StepAction, req: StackRunRequest, opts: RunOptions | undefined, run: StepRun): Promise<StepResult> {
    const started = Date.now();
    if (opts?.signal?.aborted) throw new StepCancelledError(req.stack, action);
    const changes: { urn: string; op: string; keys?: string[] }[] = [];
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
    let leases: ProviderLease[] = [];
    try {
      const stack = await this.workspaces.stack(req.stack, req.config);
      leases = await this.attachProviders(req.stack, opts?.onEvent);
      const result = await run(stack, { onEvent, ...(opts?.signal ? { signal: opts.signal } : {}), color: "never" });
      // The engine has closed its connections: the servers are free for the next run.
      for (const l of leases) l.release(true);
      const outputs = result.outputs ?? (action === "destroy" ? {} : mapOutputs(await stack.outputs()));
      if (action === "destroy") this.workspaces.forget(req.stack);
      return { action, stack: req.stack, summary: result.summary, outputs, changes, durationMs: Date.now() - started };
    } catch (err) {
      // The run failed, was cancelled or its CLI died: a provider server may still be working
      // for it (a create the engine never heard back from). Killed, before anything below
      // clears the stack for a retry.
      for (const l of leases) l.release(false);
      // Whatever failed (a stack removed by hand, a config file edited mid-step), start afresh next time.
      this.workspaces.forget(req.stack);
      // The CLI died (kill -9, the OOM killer) instead of finishing: it left the backend's stack
      // lock and its pending operations behind. Nothing else can hold that lock (it was this
      // step's, and this stack's mutex is ours), so remove it now, as recover() does at startup.
      // The pending operations stay, for resolvePending. Plugins the CLI launched outlive it:
      // stop them first, so none finishes a half-done create behind the next run's back.
      const death = opts?.signal?.aborted ? undefined : engineDeath(err);
      let cleared = false;
      if (death !== undefined) {
        killOrphanedPlugins(path.join(this.options.stateDir, "workspaces", req.stack));
        cleared = await this.unlock(req.stack).then(() => true, () => false);
      }
      throw this.translate(err, req.stack, action, errors, opts?.signal, death === undefined ? undefined : { how: death, cleared });
    }
  }

  private translate(err: unknown, stackName: string, action: StepAction, errors: string[], signal?: AbortSignal, death?: { how: string; cleared: boolean }): Error {
    if (signal?.aborted) return new StepCancelledError(stackName, action);
    if (err instanceof ConcurrentUpdateError) {
      return new StackBusyError(stackName, `stack ${stackName} is locked by another update (another service instance or a manual pulumi run)`);
    }
    if (death !== undefined) {
      // The SDK's own message is the CLI's command line and partial output: say what happened instead.
      const after = death.cleared
        ? "its stack lock was removed and the resource operations it left pending are resolved before the stack runs again"
        : "removing its stack lock failed; a restart of the service removes it";
      return new StepFailedError(stackName, action, `${action} of stack ${stackName} failed: the engine process (pulumi ${action}) ${death.how} before it finished; ${after}`);
    }
    const raw = err instanceof Error ? err.message : String(err);
    const detail = errors.length > 0 ? errors.join("\n") : summarizeCliError(raw);
    return new StepFailedError(stackName, action, `${action} of stack ${stackName} failed: ${detail}`);
  }
}

type RunCommon = { onEvent: (e: PulumiEngineEvent) => void; signal?: AbortSignal; color: "never" };
type StepRun = (stack: Stack, common: RunCommon) => Promise<{ summary: ChangeSummary; outputs: StackOutputs | undefined }>;

function assertStackName(name: string): void {
  if (!STACK_NAME.test(name)) throw new Error(`invalid stack name ${JSON.stringify(name)}`);
}
