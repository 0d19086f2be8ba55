/**
 * The engine host process (see engineHostRunner.ts): owns one automation runner, builds each step's
 * program from the fleet state it is sent, and streams the step's events back over IPC. Exits when
 * the service does (the IPC channel closes).
 */
import * as fs from "node:fs";
import * as os from "node:os";
import type { FleetState } from "../../domain/fleet/plan";
import { createFleetDomain } from "../fleetDomain";
import { createAutomationRunner, type AutomationRunnerOptions } from "./automationRunner";
import type { EngineEvent, StepAction } from "./stackRunner";

export type ToHost =
  | { type: "init"; id: number; options: AutomationRunnerOptions }
  | { type: "run"; id: number; action: StepAction; stack: string; state: FleetState; early: boolean }
  | { type: "ready"; id: number }
  | { type: "notReady"; id: number; message: string }
  | { type: "abort"; id: number }
  | { type: "outputs"; id: number; stack: string }
  | { type: "recover"; id: number; stack: string }
  | { type: "listStacks"; id: number };

export interface WireError {
  name: string;
  message: string;
  stackName?: string | undefined;
  action?: StepAction | undefined;
}

export type FromHost =
  | { type: "event"; id: number; event: EngineEvent }
  | { type: "result"; id: number; value: unknown }
  | { type: "error"; id: number; error: WireError };

function toWire(err: unknown): WireError {
  if (err instanceof Error) {
    const e = err as Error & { stackName?: unknown; action?: unknown };
    return {
      name: err.name,
      message: err.message,
      ...(typeof e.stackName === "string" ? { stackName: e.stackName } : {}),
      ...(typeof e.action === "string" ? { action: e.action as StepAction } : {}),
    };
  }
  return { name: "Error", message: String(err) };
}

function serve(): void {
  const send = process.send?.bind(process);
  if (!send) throw new Error("engineHost.ts runs as the service's engine host (see engineHostRunner.ts)");
  let runner: ReturnType<typeof createAutomationRunner> | undefined;
  const domain = createFleetDomain();
  const aborts = new Map<number, AbortController>();
  const gates = new Map<number, { resolve(): void; reject(err: Error): void }>();
  const post = (m: FromHost): void => {
    send(m);
  };
  /** Runs `work` (a synchronous throw counts as its failure) and posts its result or error. */
  const answer = (id: number, work: () => Promise<unknown>): void => {
    Promise.resolve().then(work).then(
      (value) => { post({ type: "result", id, value }); },
      (err: unknown) => { post({ type: "error", id, error: toWire(err) }); },
    );
  };
  const engine = (): ReturnType<typeof createAutomationRunner> => {
    if (!runner) throw new Error("the engine host was not initialised");
    return runner;
  };
  // The service is gone (exit, crash, SIGKILL): abort what runs (the CLI gets its signal) and leave.
  process.on("disconnect", () => {
    for (const a of aborts.values()) a.abort(new Error("service gone"));
    setTimeout(() => process.exit(0), 2000).unref();
  });

  process.on("message", (m: ToHost) => {
    switch (m.type) {
      case "init":
        runner = createAutomationRunner(m.options);
        runner.warm(); // its first run attaches to a provider that is already up
        break;
      case "run": {
        const abort = new AbortController();
        aborts.set(m.id, abort);
        let ready: Promise<void> | undefined;
        if (m.early) {
          ready = new Promise<void>((resolve, reject) => gates.set(m.id, { resolve, reject }));
          ready.catch(() => undefined); // the runner reports it if the program was waiting on it
        }
        answer(m.id, async () => {
          try {
            const { program, config } = domain.stackProgram(m.stack, m.state);
            const opts = { onEvent: (event: EngineEvent) => { post({ type: "event", id: m.id, event }); }, signal: abort.signal, ...(ready ? { ready } : {}) };
            return await engine()[m.action]({ stack: m.stack, program, config }, opts);
          } finally {
            aborts.delete(m.id);
            gates.delete(m.id);
          }
        });
        break;
      }
      case "ready":
        gates.get(m.id)?.resolve();
        break;
      case "notReady":
        gates.get(m.id)?.reject(new Error(m.message));
        break;
      case "abort":
        aborts.get(m.id)?.abort(new Error("cancelled"));
        break;
      case "outputs":
        answer(m.id, () => engine().outputs(m.stack));
        break;
      case "recover":
        answer(m.id, () => engine().recover(m.stack));
        break;
      case "listStacks":
        answer(m.id, () => engine().listStacks());
        break;
    }
  });
}

if (process.env["ARAGORA_ENGINE_HOST"] === "1" && process.send) {
  const nice = Number(process.env["ARAGORA_ENGINE_HOST_NICE"] ?? "0");
  if (Number.isInteger(nice) && nice > 0 && nice <= 19) niceEveryThread(nice);
  serve();
}

/**
 * The service sets the host's niceness right after the fork, but on Linux setpriority(2) on a pid
 * reaches one thread: V8's and libuv's threads, if they start before that call lands, keep
 * niceness 0 (GC and JIT work of the engine at the API's priority). Each thread is set here,
 * before anything is started; threads and processes started later inherit it from the main thread.
 */
function niceEveryThread(nice: number): void {
  let tids: number[] = [];
  try {
    tids = fs.readdirSync("/proc/self/task").map(Number).filter((n) => Number.isInteger(n) && n > 0);
  } catch {
    return; // not Linux: setpriority on the pid already covered the process
  }
  for (const tid of tids) {
    try {
      os.setPriority(tid, nice);
    } catch {
      /* the thread exited, or lowering priority is not permitted here */
    }
  }
}
