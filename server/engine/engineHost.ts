/**
 * The engine host process (see engineHostRunner.ts): owns one automation runner running the
 * project's stack program (stacks/program.ts), and streams each step's events back over IPC. Exits
 * when the service does (the IPC channel closes).
 */
import { stackProgram } from "../../stacks/program";
import { failpoint } from "../failpoints";
import { createAutomationRunner, type AutomationRunner, type AutomationRunnerOptions } from "./automationRunner";
import type { EngineEvent, PendingDecision, StackConfig, StepAction } from "./stackRunner";

export type ToHost =
  | { type: "init"; id: number; options: AutomationRunnerOptions }
  | { type: "run"; id: number; action: StepAction; stack: string; config: StackConfig }
  | { type: "abort"; id: number }
  | { type: "outputs"; id: number; stack: string }
  | { type: "recover"; id: number; stack: string }
  | { type: "pending"; id: number; stack: string }
  | { type: "resolvePending"; id: number; stack: string; config: StackConfig }
  | { type: "decidePending"; id: number; stack: string; decisions: PendingDecision[] }
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
  let runner: AutomationRunner | undefined;
  const aborts = new Map<number, AbortController>();
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
  const engine = (): AutomationRunner => {
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
        runner = createAutomationRunner({ ...m.options, program: stackProgram });
        runner.warm(); // its first run attaches to a provider server that is already up
        break;
      case "run": {
        const abort = new AbortController();
        aborts.set(m.id, abort);
        answer(m.id, async () => {
          try {
            const opts = { onEvent: (event: EngineEvent) => { post({ type: "event", id: m.id, event }); }, signal: abort.signal };
            const result = await engine()[m.action]({ stack: m.stack, config: m.config }, opts);
            failpoint(`host-result.${m.action}.${m.stack}`);
            return result;
          } finally {
            aborts.delete(m.id);
          }
        });
        break;
      }
      case "abort":
        aborts.get(m.id)?.abort(new Error("cancelled"));
        break;
      case "outputs":
        answer(m.id, () => engine().outputs(m.stack));
        break;
      case "recover":
        answer(m.id, () => engine().recover(m.stack));
        break;
      case "pending":
        answer(m.id, () => engine().pendingOperations(m.stack));
        break;
      case "resolvePending":
        answer(m.id, () => engine().resolvePending({ stack: m.stack, config: m.config }, { onEvent: (event) => { post({ type: "event", id: m.id, event }); } }));
        break;
      case "decidePending":
        answer(m.id, () => engine().decidePending(m.stack, m.decisions, { onEvent: (event) => { post({ type: "event", id: m.id, event }); } }));
        break;
      case "listStacks":
        answer(m.id, () => engine().listStacks());
        break;
    }
  });
}

if (process.env["ARAGORA_ENGINE_HOST"] === "1" && process.send) serve();
