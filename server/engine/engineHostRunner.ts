/**
 * StackRunner that runs the engine adapter (automationRunner.ts) in a child process, the engine
 * host (engineHost.ts).
 *
 * Why: inline Pulumi programs run in the process that calls the Automation API. Building a
 * program, serializing its dynamic providers, registering resources and tailing the engine's event
 * log took the API's event loop away for up to 0.7 s at a time during an `up` (event-loop delay p99
 * about 100 ms), so `GET /regions` answered in 100 ms at p99 while an operation ran. In the engine
 * host all of that has its own event loop; the service only relays messages.
 *
 * Why a process and not a worker thread: Pulumi serializes dynamic providers through the V8
 * inspector, which worker threads do not offer (ERR_TRACE_EVENTS_UNAVAILABLE); a program with a
 * dynamic resource never got past its first registration there.
 *
 * A function cannot cross processes, so the host rebuilds each step's program from the request's
 * `source` (the fleet state the step applies) with the same fleet domain the service uses. The host
 * exits when the service does (its IPC channel closes); the CLI and plugin processes are its
 * children, in the service's process group.
 */
import { fork, type ChildProcess } from "node:child_process";
import * as os from "node:os";
import * as path from "node:path";
import type { AutomationRunnerOptions } from "./automationRunner";
import {
  StackBusyError,
  StepCancelledError,
  StepFailedError,
  type EngineEvent,
  type RunOptions,
  type StackOutputs,
  type StackRunRequest,
  type StackRunner,
  type StepAction,
  type StepResult,
} from "./stackRunner";
import type { ToHost, FromHost, WireError } from "./engineHost";

interface Pending {
  resolve(value: unknown): void;
  reject(err: Error): void;
  onEvent?: ((e: EngineEvent) => void) | undefined;
}

export interface EngineHostOptions {
  /**
   * Niceness of the engine host (0-19). Its children (the CLI, the plugins, and on the local target
   * the processes they start) inherit it, so while an operation runs the API answers first: on a
   * 2-core machine the engines otherwise take the cores from under `GET /regions`.
   */
  nice?: number | undefined;
}

export function createEngineHostRunner(options: AutomationRunnerOptions, host: EngineHostOptions = {}): StackRunner & { close(): Promise<void> } {
  return new EngineHostRunner(options, host);
}

class EngineHostRunner implements StackRunner {
  private readonly host: ChildProcess;
  private readonly pending = new Map<number, Pending>();
  private nextId = 1;
  private dead: Error | undefined;

  constructor(options: AutomationRunnerOptions, hostOptions: EngineHostOptions) {
    const ts = __filename.endsWith(".ts");
    const file = path.join(__dirname, ts ? "engineHost.ts" : "engineHost.js");
    this.host = fork(file, [], {
      // From TypeScript sources (tests, ts-node): the host compiles them the same way.
      execArgv: ts ? ["-r", require.resolve("ts-node/register/transpile-only")] : [],
      env: { ...process.env, ARAGORA_ENGINE_HOST: "1" },
      serialization: "advanced",
      stdio: ["ignore", "inherit", "inherit", "ipc"],
    });
    // Before the first message: nothing the host starts can run at the API's priority.
    if (hostOptions.nice !== undefined && hostOptions.nice > 0 && this.host.pid !== undefined) {
      try {
        os.setPriority(this.host.pid, hostOptions.nice);
      } catch {
        /* not permitted (a hardened sandbox): the host keeps the service's priority */
      }
    }
    this.host.send({ type: "init", id: 0, options } satisfies ToHost);
    this.host.unref();
    this.host.channel?.unref();
    this.host.on("message", (m: FromHost) => {
      this.onMessage(m);
    });
    this.host.on("error", (err) => {
      this.fail(err);
    });
    this.host.on("exit", (code, signal) => {
      this.fail(new Error(`the engine host exited (${signal ?? `code ${String(code)}`})`));
    });
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
    return this.call<StackOutputs | undefined>({ type: "outputs", id: 0, stack });
  }
  recover(stack: string): Promise<void> {
    return this.call<undefined>({ type: "recover", id: 0, stack });
  }
  listStacks(): Promise<string[]> {
    return this.call<string[]>({ type: "listStacks", id: 0 });
  }

  async close(): Promise<void> {
    const proc = this.host;
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

  private run(action: StepAction, req: StackRunRequest, opts: RunOptions = {}): Promise<StepResult> {
    if (!req.source) {
      return Promise.reject(new Error(`${action} of stack ${req.stack}: the engine runs in the engine host process and needs the step's source (fleet state) to build its program`));
    }
    const { signal, ready } = opts;
    if (signal?.aborted) return Promise.reject(new StepCancelledError(req.stack, action));
    const id = this.nextId++;
    const result = this.send<StepResult>({ type: "run", id, action, stack: req.stack, state: req.source.state, early: ready !== undefined }, opts.onEvent);
    signal?.addEventListener("abort", () => { this.post({ type: "abort", id }); }, { once: true });
    ready?.then(
      () => { this.post({ type: "ready", id }); },
      (err: unknown) => { this.post({ type: "notReady", id, message: err instanceof Error ? err.message : String(err) }); },
    );
    return result;
  }

  private call<T>(message: ToHost): Promise<T> {
    return this.send<T>({ ...message, id: this.nextId++ });
  }

  private send<T>(message: ToHost, onEvent?: (e: EngineEvent) => void): Promise<T> {
    if (this.dead) return Promise.reject(this.dead);
    return new Promise<T>((resolve, reject) => {
      this.pending.set(message.id, { resolve: resolve, reject, onEvent });
      this.host.ref();
      this.post(message);
    });
  }

  private post(message: ToHost): void {
    if (!this.dead && this.host.connected) this.host.send(message);
  }

  private onMessage(m: FromHost): void {
    const p = this.pending.get(m.id);
    if (!p) return;
    if (m.type === "event") {
      p.onEvent?.(m.event);
      return;
    }
    this.pending.delete(m.id);
    if (this.pending.size === 0) this.host.channel?.unref();
    if (m.type === "result") p.resolve(m.value);
    else p.reject(toError(m.error));
  }

  private fail(err: Error): void {
    this.dead = err;
    for (const p of this.pending.values()) p.reject(err);
    this.pending.clear();
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
