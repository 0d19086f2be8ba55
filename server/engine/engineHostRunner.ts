/**
 * StackRunner that runs the engine adapter (automationRunner.ts) in a child process, the engine
 * host (engineHost.ts).
 *
 * Why: inline Pulumi programs run in the process that calls the Automation API. Building a
 * program, registering resources and reading the engine's event stream would take the API's event
 * loop away for long stretches during an `up`; in the engine host all of that has its own event
 * loop, and the service only relays messages (docs/performance.md).
 *
 * The host runs the project's one stack program, which finds each stack's own program by its name
 * and config, so a request carries only those. A host exits when the service does (its IPC channel
 * closes); the CLI and plugin processes are its children, in the service's process group.
 *
 * Steps that run at the same time run in hosts of their own (a pool of up to ARAGORA_MAX_PARALLEL
 * hosts; EngineHostRunner says why), and a host that dies is replaced by the next call.
 */
import { fork, type ChildProcess } from "node:child_process";
import * as path from "node:path";
import type { AutomationRunnerOptions } from "./automationRunner";
import { engineEntry } from "./childEntry";
import {
  StackBusyError,
  StepCancelledError,
  StepFailedError,
  type EngineEvent,
  type PendingDecision,
  type PendingDecisionResult,
  type PendingOperation,
  type PendingResolution,
  type RunOptions,
  type StackOutputs,
  type StackRunRequest,
  type StackRunner,
  type StepAction,
  type StepResult,
} from "./stackRunner";
import type { ToHost, FromHost, WireError } from "./engineHost";
import { killOrphanedPlugins } from "./orphans";

interface Pending {
  resolve(value: unknown): void;
  reject(err: Error): void;
  onEvent?: ((e: EngineEvent) => void) | undefined;
  /** The stack the call works on (routing: calls on one stack share a host while any is open). */
  stack?: string | undefined;
  /** A step (up, preview, refresh, destroy): one per host at a time when hosts are to spare. */
  run: boolean;
}

export interface EngineHostOptions {
  /** Most engine host processes at once (the service passes ARAGORA_MAX_PARALLEL). Default 4. */
  maxHosts?: number | undefined;
  /** A host beyond the first that ran nothing for this long exits. Default 60 s. */
  idleMs?: number | undefined;
}

export function createEngineHostRunner(options: AutomationRunnerOptions, host: EngineHostOptions = {}): StackRunner & { close(): Promise<void>; hostPids(): number[]; prepare(parallel: number): void } {
  return new EngineHostRunner(options, host);
}

/**
 * One engine host process and the calls it has open.
 */
class EngineHost {
  readonly proc: ChildProcess;
  readonly pending = new Map<number, Pending>();
  dead: Error | undefined;
  /** Closing (retired or the service stops): takes no new calls. */
  closing = false;
  private idleTimer: NodeJS.Timeout | undefined;

  constructor(options: AutomationRunnerOptions, private readonly onSettled: (host: EngineHost) => void) {
    const { file, nodeArgs, env } = engineEntry("engineHost");
    this.proc = fork(file, [], {
      execArgv: nodeArgs,
      env: { ...process.env, ...env, ARAGORA_ENGINE_HOST: "1" },
      serialization: "advanced",
      stdio: ["ignore", "inherit", "inherit", "ipc"],
    });
    this.proc.send({ type: "init", id: 0, options } satisfies ToHost);
    this.proc.unref();
    this.proc.channel?.unref();
    this.proc.on("message", (m: FromHost) => {
      this.onMessage(m);
    });
    this.proc.on("error", (err) => {
      this.fail(err);
    });
    this.proc.on("exit", (code, signal) => {
      this.fail(new EngineHostExitError(signal ?? `code ${String(code)}`));
    });
  }

  /** Steps open on this host. */
  runs(): number {
    let n = 0;
    for (const p of this.pending.values()) if (p.run) n++;
    return n;
  }

  hasStack(stack: string): boolean {
    for (const p of this.pending.values()) if (p.stack === stack) return true;
    return false;
  }

  send<T>(message: ToHost, call: Omit<Pending, "resolve" | "reject">): Promise<T> {
    if (this.dead) return Promise.reject(this.dead);
    if (this.closing) return Promise.reject(new Error("the engine host is closing"));
    if (this.idleTimer) clearTimeout(this.idleTimer);
    this.idleTimer = undefined;
    return new Promise<T>((resolve, reject) => {
      this.pending.set(message.id, { resolve, reject, ...call });
      this.proc.ref();
      this.proc.channel?.ref();
      this.post(message);
    });
  }

  post(message: ToHost): void {
    if (!this.dead && this.proc.connected) this.proc.send(message);
  }

  /** Exits once idle for `ms` (the pool keeps its first host). */
  retireWhenIdle(ms: number): void {
    if (this.pending.size > 0 || this.dead || this.idleTimer) return;
    this.idleTimer = setTimeout(() => {
      this.idleTimer = undefined;
      if (this.pending.size === 0 && !this.dead) void this.close();
    }, ms);
    this.idleTimer.unref();
  }

  async close(): Promise<void> {
    const proc = this.proc;
    this.closing = true;
    if (this.idleTimer) clearTimeout(this.idleTimer);
    if (proc.exitCode !== null || proc.signalCode !== null) return;
    // Keep this process alive until the host is gone: the handle and channel are unref'd so an
    // idle host never holds the service up, but a stop must not end before the host does.
    proc.ref();
    const gone = new Promise<boolean>((resolve) => proc.once("exit", () => { resolve(true); }));
    let timer: NodeJS.Timeout | undefined;
    const late = new Promise<boolean>((resolve) => (timer = setTimeout(() => { resolve(false); }, 5000)));
    if (proc.connected) proc.disconnect();
    const exited = await Promise.race([gone, late]);
    clearTimeout(timer);
    if (!exited) proc.kill("SIGKILL");
  }

  private onMessage(m: FromHost): void {
    const p = this.pending.get(m.id);
    if (!p) return;
    if (m.type === "event") {
      p.onEvent?.(m.event);
      return;
    }
    this.pending.delete(m.id);
    if (this.pending.size === 0) {
      this.proc.unref();
      this.proc.channel?.unref();
    }
    if (m.type === "result") p.resolve(m.value);
    else p.reject(toError(m.error));
    this.onSettled(this);
  }

  private fail(err: Error): void {
    if (this.dead) return;
    this.dead = err;
    if (this.idleTimer) clearTimeout(this.idleTimer);
    for (const p of this.pending.values()) p.reject(err);
    this.pending.clear();
    this.onSettled(this);
  }
}

/**
 * A pool of engine hosts: each step runs in a host of its own while hosts are to spare (up to
 * `maxHosts`), and every call on a stack goes to the host that already has a call on that stack
 * open (the host's engine adapter queues calls per stack).
 *
 * Why one host per running step: the Automation API's inline-program server registers
 * process-wide `unhandledRejection` handlers for each run, so a run that tears down while another
 * starts in the same process can hand it a stray rejection (`Resource monitor is terminating`);
 * and a host that dies (crash, OOM kill) takes only its own steps with it: the next call starts a
 * new host.
 */
class EngineHostRunner implements StackRunner {
  private readonly hosts: EngineHost[] = [];
  private nextId = 1;
  private closing = false;
  private readonly maxHosts: number;
  private readonly idleMs: number;

  constructor(private readonly options: AutomationRunnerOptions, hostOptions: EngineHostOptions) {
    this.maxHosts = Math.max(1, hostOptions.maxHosts ?? 4);
    this.idleMs = hostOptions.idleMs ?? 60_000;
    this.spawn(); // booted before the first operation
  }

  up(req: StackRunRequest, opts?: RunOptions): Promise<StepResult> {
    return this.run("up", req, opts);
  }
  preview(req: StackRunRequest, opts?: RunOptions): Promise<StepResult> {
    return this.run("preview", req, opts);
  }
  refresh(req: StackRunRequest, opts?: RunOptions): Promise<StepResult> {
    return this.run("refresh", req, opts);
  }
  destroy(req: StackRunRequest, opts?: RunOptions): Promise<StepResult> {
    return this.run("destroy", req, opts);
  }
  outputs(stack: string): Promise<StackOutputs | undefined> {
    return this.call<StackOutputs | undefined>({ type: "outputs", id: 0, stack }, stack);
  }
  recover(stack: string): Promise<PendingOperation[]> {
    return this.call<PendingOperation[]>({ type: "recover", id: 0, stack }, stack);
  }
  pendingOperations(stack: string): Promise<PendingOperation[]> {
    return this.call<PendingOperation[]>({ type: "pending", id: 0, stack }, stack);
  }
  resolvePending(req: StackRunRequest, opts: RunOptions = {}): Promise<PendingResolution> {
    return this.call<PendingResolution>({ type: "resolvePending", id: 0, stack: req.stack, config: req.config }, req.stack, { run: true, onEvent: opts.onEvent });
  }
  decidePending(stack: string, decisions: readonly PendingDecision[], opts: RunOptions = {}): Promise<PendingDecisionResult> {
    return this.call<PendingDecisionResult>({ type: "decidePending", id: 0, stack, decisions: [...decisions] }, stack, { run: true, onEvent: opts.onEvent });
  }
  listStacks(): Promise<string[]> {
    return this.call<string[]>({ type: "listStacks", id: 0 }, undefined);
  }

  /**
   * Starts hosts until `parallel` are live (at most `maxHosts`); the extra ones retire after
   * `idleMs` unused, like any host beyond the first.
   */
  prepare(parallel: number): void {
    if (this.closing) return;
    const live = this.hosts.filter((h) => !h.dead && !h.closing).length;
    for (let n = live; n < Math.min(parallel, this.maxHosts); n++) this.spawn().retireWhenIdle(this.idleMs);
  }

  /** The live engine host processes (tests and diagnostics). */
  hostPids(): number[] {
    return this.hosts.filter((h) => !h.dead && !h.closing && h.proc.pid !== undefined).map((h) => h.proc.pid as number);
  }

  async close(): Promise<void> {
    this.closing = true;
    await Promise.all(this.hosts.map((h) => h.close()));
  }

  private run(action: StepAction, req: StackRunRequest, opts: RunOptions = {}): Promise<StepResult> {
    const { signal } = opts;
    if (signal?.aborted) return Promise.reject(new StepCancelledError(req.stack, action));
    if (this.closing) return Promise.reject(new Error("the engine is shutting down"));
    const host = this.pick(req.stack, true);
    const id = this.nextId++;
    const result = host
      .send<StepResult>({ type: "run", id, action, stack: req.stack, config: req.config }, { onEvent: opts.onEvent, stack: req.stack, run: true })
      .catch((err: unknown) => {
        if (!(err instanceof EngineHostExitError)) throw err;
        return this.afterHostDeath(action, req.stack, err);
      });
    signal?.addEventListener("abort", () => { host.post({ type: "abort", id }); }, { once: true });
    return result;
  }

  /**
   * The host died under a step (crash, OOM kill, SIGKILL): its CLI may still be running the update
   * with the stack locked, and its plugins idle on. Stop them, clear the lock and the pending
   * operations on another host (as recover() does at startup), then fail the step saying so.
   */
  private async afterHostDeath(action: StepAction, stack: string, err: EngineHostExitError): Promise<never> {
    // The service is stopping: the hosts were told to cancel their runs; startup recovery clears what is left.
    if (this.closing) throw err;
    killOrphanedPlugins(path.join(this.options.stateDir, "workspaces", stack), true);
    const cleared = await this.recover(stack).then(() => true, () => false);
    const after = cleared
      ? "its engine was stopped and its stack lock removed; the resource operations it left pending are resolved before the stack runs again"
      : "removing its stack lock failed; a restart of the service removes it";
    throw new StepFailedError(stack, action, `${action} of stack ${stack} failed: the engine host process running it exited (${err.how}) before it finished; ${after}`);
  }

  /** A call on a host; a `run` (engine runs, with events) gets a host of its own when one is free. */
  private call<T>(message: ToHost, stack: string | undefined, o: { run?: boolean; onEvent?: ((e: EngineEvent) => void) | undefined } = {}): Promise<T> {
    if (this.closing) return Promise.reject(new Error("the engine is shutting down"));
    const run = o.run ?? false;
    return this.pick(stack, run).send<T>({ ...message, id: this.nextId++ }, { stack, run, onEvent: o.onEvent });
  }

  /**
   * The host for a call: the one with a call on the same stack open; for a step, else an idle
   * host, else a new one while under `maxHosts`, else the least busy; for a short read, the least
   * busy host.
   */
  private pick(stack: string | undefined, run: boolean): EngineHost {
    const live = this.hosts.filter((h) => !h.dead && !h.closing);
    const same = stack === undefined ? undefined : live.find((h) => h.hasStack(stack));
    if (same) return same;
    if (run) {
      const idle = live.find((h) => h.runs() === 0);
      if (idle) return idle;
      if (live.length < this.maxHosts) return this.spawn();
    }
    const least = [...live].sort((a, b) => a.runs() - b.runs())[0];
    return least ?? this.spawn();
  }

  private spawn(): EngineHost {
    const host = new EngineHost(this.options, (h) => {
      this.settled(h);
    });
    this.hosts.push(host);
    return host;
  }

  /** After a call ended or a host died: forget dead hosts, let spare idle ones retire. */
  private settled(host: EngineHost): void {
    if (host.dead) {
      const i = this.hosts.indexOf(host);
      if (i >= 0) this.hosts.splice(i, 1);
      return;
    }
    if (this.hosts[0] !== host) host.retireWhenIdle(this.idleMs);
  }
}

/** An engine host process ended while calls were open on it. */
class EngineHostExitError extends Error {
  constructor(readonly how: string) {
    super(`the engine host exited (${how})`);
    this.name = "EngineHostExitError";
  }
}

function toError(e: WireError): Error {
  const stack = e.stackName ?? "?";
  const action = e.action ?? "up";
  switch (e.name) {
    case "StackBusyError":
      return new StackBusyError(stack, e.message);
    case "StepCancelledError":
      return new StepCancelledError(stack, action);
    case "StepFailedError":
      return new StepFailedError(stack, action, e.message);
    default:
      return new Error(e.message);
  }
}
