/**
 * Runs one step: claims it in the store (pending → running), calls its action handler, records
 * what the engine applied (stack fingerprint and masked outputs, or the stack's removal), and moves
 * the step to its final status with its timing, summary or error, emitting `step.*` events.
 *
 * The one call into the engine (the StackRunner port) is here, in `runEngine`: handlers reach the
 * engine only through `ActionContext.engine`.
 */
import { describePending, StackBusyError, StepCancelledError, type EngineEvent, type PendingOperation, type RunOptions, type StackRunRequest, type StackRunner, type StepAction, type StepResult } from "../engine/stackRunner";
import type { FleetDomain, FleetState } from "../domain";
import { failpoint } from "../failpoints";
import type { Logger } from "../logger";
import { maskOutputs, type SecretScrubber } from "../mask";
import type { OperationRecord, PlannedAction, StepRecord } from "../../domain";
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
      const undecided = await this.settlePending(step, state, { onEvent: emit, signal });
      if (undecided.length > 0) {
        await this.needsAttention(op, step, startedAt, undecided);
        return;
      }
      const outcome = await this.o.handlers[step.action]({
        operation: op,
        step,
        state,
        engine: (action) => this.runEngine(action, step, state, { onEvent: emit, signal }),
        emit,
        signal,
      });
      if (signal.aborted) throw new StepCancelledError(step.stack, "up");
      failpoint(`after-engine.${step.id}`);
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
      if (code !== "stack_busy") await this.notePending(step);
      await this.o.events.emit(op.id, step.id, { kind: `step.${status}`, message: `${step.action} ${step.stack} ${status}: ${message}`, severity: "error" });
    }
  }

  /**
   * Before a step on a stack known to hold pending operations (a killed run's): the engine resolves
   * what reality can settle; returns what only an admin can decide (empty: the step may run).
   */
  private async settlePending(step: StepRecord, state: FleetState, opts: RunOptions): Promise<PendingOperation[]> {
    if (!PENDING_AWARE.includes(step.action)) return [];
    const known = (await this.o.store.pendingOperations(step.stack)).get(step.stack) ?? [];
    if (known.length === 0) return [];
    const { resolved, remaining } = await this.o.runner.resolvePending(this.engineRequest(step, state), opts);
    await this.o.store.setPendingOperations(step.stack, remaining);
    if (resolved.length > 0) {
      opts.onEvent?.({ kind: "pending.resolved", message: `${step.stack}: resolved ${resolved.length} pending resource operation(s) against reality: ${describePending(resolved)}`, severity: "info" });
    }
    return remaining;
  }

  /** The step cannot run until an admin decides on `undecided`: it ends `needs_attention`, saying how. */
  private async needsAttention(op: OperationRecord, step: StepRecord, startedAt: Date, undecided: PendingOperation[]): Promise<void> {
    const finishedAt = new Date();
    const message =
      `stack ${step.stack} holds ${undecided.length} resource operation(s) a killed engine run left pending, which only an admin can decide: ${describePending(undecided)}. ` +
      `GET /stacks/${step.stack}/pending-operations lists them; POST /stacks/${step.stack}/pending-operations decides each (import it by id if it exists, clear it if not), then POST /operations/${op.id}/retry`;
    const error = { code: "pending_operations", message };
    await this.o.store.transitionStep(op.id, step.id, ["running"], "needs_attention", { finishedAt: finishedAt.toISOString(), durationMs: finishedAt.getTime() - startedAt.getTime(), error });
    step.status = "needs_attention";
    step.error = error;
    this.o.logger.warn({ operation: op.id, step: step.id, stack: step.stack, pending: undecided.length }, "step needs an admin: pending operations");
    await this.o.events.emit(op.id, step.id, { kind: "step.needs_attention", message: `${step.action} ${step.stack} needs attention: ${message}`, severity: "error" });
  }

  /**
   * After a step that did not succeed: a killed or cancelled run may have left resource operations
   * pending; the stack is marked so the next step on it resolves them first. When the engine cannot
   * say (it is shutting down), startup recovery reads them.
   */
  private async notePending(step: StepRecord): Promise<void> {
    if (!PENDING_AWARE.includes(step.action)) return;
    try {
      const pending = await this.o.runner.pendingOperations(step.stack);
      if (pending.length > 0) await this.o.store.setPendingOperations(step.stack, pending);
    } catch (err) {
      this.o.logger.warn({ stack: step.stack, err: this.o.secrets.scrub(String(err)) }, "could not read the stack's pending operations; the next start reads them");
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

/** Steps that run the engine on their stack, so must not run past a killed run's pending operations. */
const PENDING_AWARE: readonly PlannedAction[] = ["up", "destroy", "refresh", "promote"];
