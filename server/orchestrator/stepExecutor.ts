/**
 * Runs one step: claims it in the store (pending → running), calls its action handler, records
 * what the engine applied (stack fingerprint and masked outputs, or the stack's removal), and moves
 * the step to its final status with its timing, summary or error, emitting `step.*` events.
 *
 * The one call into the engine (the StackRunner port) is here, in `runEngine`: handlers reach the
 * engine only through `ActionContext.engine`.
 */
import { StackBusyError, StepCancelledError, type EngineEvent, type RunOptions, type StackRunRequest, type StackRunner, type StepAction, type StepResult } from "../engine/stackRunner";
import type { FleetDomain, FleetState } from "../domain";
import type { Logger } from "../logger";
import { maskOutputs, type SecretScrubber } from "../mask";
import type { OperationRecord, StepRecord } from "../../domain/model";
import type { Store } from "../store/store";
import { stateForStep, type ActionHandlers } from "./actions";
import type { OperationEvents } from "./operationEvents";

export interface StepExecutorOptions {
  store: Store;
  runner: StackRunner;
  domain: FleetDomain;
  handlers: ActionHandlers;
  logger: Logger;
  events: OperationEvents;
  secrets: SecretScrubber;
  /** True once the service is shutting down: an aborted step is then `interrupted`, not `cancelled`. */
  stopping(): boolean;
}

export class StepExecutor {
  constructor(private readonly o: StepExecutorOptions) {}

  /**
   * Runs `step` of `op` to its end and records it; `step` (the orchestrator's copy) follows the
   * stored status. Rejects only when the store does.
   */
  async run(op: OperationRecord, step: StepRecord, signal: AbortSignal): Promise<void> {
    const startedAt = new Date();
    if (op.status === "queued") {
      if (await this.o.store.transitionOperation(op.id, ["queued"], "running", { startedAt: startedAt.toISOString() })) {
        op.status = "running";
        op.startedAt = startedAt.toISOString();
      }
    }
    step.attempt += 1;
    const won = await this.o.store.transitionStep(op.id, step.id, ["pending"], "running", {
      startedAt: startedAt.toISOString(),
      attempt: step.attempt,
    });
    if (!won) {
      step.status = (await this.o.store.listSteps(op.id)).find((s) => s.id === step.id)?.status ?? "failed";
      return;
    }
    step.startedAt = startedAt.toISOString();
    this.o.logger.info({ operation: op.id, step: step.id, stack: step.stack, action: step.action }, "step started");
    const emit = (e: EngineEvent): void => {
      void this.o.events.emit(op.id, step.id, e);
    };
    emit({ kind: "step.started", message: `${step.action} ${step.stack}: ${step.why}`, severity: "info" });
    const state = stateForStep(op, step.action);
    try {
      const outcome = await this.o.handlers[step.action]({
        operation: op,
        step,
        state,
        engine: (action) => this.runEngine(action, step, state, { onEvent: emit, signal }),
        emit,
        signal,
      });
      if (signal.aborted) throw new StepCancelledError(step.stack, "up");
      const finishedAt = new Date();
      const result = outcome.result;
      if (result) this.o.secrets.learn(result.outputs);
      if (result && (step.action === "up" || step.action === "promote")) {
        await this.o.store.putStack(step.stack, step.fingerprint, maskOutputs(result.outputs));
      } else if (result && step.action === "destroy") {
        await this.o.store.deleteStack(step.stack);
      }
      const status = outcome.status;
      await this.o.store.transitionStep(op.id, step.id, ["running"], status, {
        finishedAt: finishedAt.toISOString(),
        durationMs: finishedAt.getTime() - startedAt.getTime(),
        summary: result?.summary,
        changes: result?.changes,
        note: outcome.note,
      });
      step.status = status;
      step.summary = result?.summary;
      const summary = result ? Object.entries(result.summary).map(([k, v]) => `${k} ${v}`).join(", ") : outcome.note ?? "";
      await this.o.events.emit(op.id, step.id, { kind: `step.${status}`, message: `${step.action} ${step.stack} ${status}${summary ? `: ${summary}` : ""}`, severity: "info" });
    } catch (err) {
      const finishedAt = new Date();
      const cancelled = err instanceof StepCancelledError || signal.aborted;
      const status = cancelled ? (this.o.stopping() ? "interrupted" : "cancelled") : "failed";
      const code = cancelled ? status : err instanceof StackBusyError ? "stack_busy" : "step_failed";
      const message = this.o.secrets.scrub(err instanceof Error ? err.message : String(err));
      await this.o.store.transitionStep(op.id, step.id, ["running"], status, {
        finishedAt: finishedAt.toISOString(),
        durationMs: finishedAt.getTime() - startedAt.getTime(),
        error: { code, message },
      });
      step.status = status;
      step.error = { code, message };
      this.o.logger.warn({ operation: op.id, step: step.id, stack: step.stack, code, message }, "step did not succeed");
      await this.o.events.emit(op.id, step.id, { kind: `step.${status}`, message: `${step.action} ${step.stack} ${status}: ${message}`, severity: "error" });
    }
  }

  /** The engine request of a step: its stack and the stack's config in the step's fleet state. */
  private engineRequest(step: StepRecord, state: FleetState): StackRunRequest {
    return { stack: step.stack, config: this.o.domain.stackConfig(step.stack, state) };
  }

  /** The one call into the engine. */
  private runEngine(action: StepAction, step: StepRecord, state: FleetState, opts: RunOptions): Promise<StepResult> {
    return this.o.runner[action](this.engineRequest(step, state), opts);
  }
}
