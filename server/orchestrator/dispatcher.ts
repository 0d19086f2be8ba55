/**
 * The dispatcher keeps the active operations in memory and carries out the scheduler's decisions:
 * it starts steps (the executor runs them), ends operations that are over (completion.ts), and
 * hints the engine how many steps will run at once. It asks the scheduler again whenever something
 * changed: an operation was queued or cancelled, a step ended.
 *
 * When the store refuses a step's bookkeeping (disk full, read-only, I/O error), the step counts as
 * failed, so its operation ends failed and can be retried. An operation stays active until its end
 * is stored: when the store refuses that too, it is recorded once the store can be written again.
 */
import type { StackRunner } from "../engine/stackRunner";
import { StoreUnavailableError } from "../errors";
import type { Logger } from "../logger";
import { scrubText } from "../mask";
import type { OperationRecord, StepRecord } from "../../domain/model";
import { completeOperation, type CompletionOptions } from "./completion";
import { prerequisiteStacks } from "../../domain/fleet/prerequisites";
import { schedule, type FinishedOperation, type SchedulerOperation } from "./scheduler";
import type { StepExecutor } from "./stepExecutor";

export interface ActiveOperation {
  op: OperationRecord;
  steps: Map<string, StepRecord>;
  /** Per step: the other stacks its program reads (fixed by the operation's after-state). */
  reads: Map<string, string[]>;
  running: Map<string, { abort: AbortController; done: Promise<void> }>;
  cancelRequested: boolean;
  /**
   * Set once the scheduler found the operation over; settles after the first attempt to record its
   * end (a refused one is tried again later: the operation stays active until it is stored).
   */
  finishing?: Promise<void>;
}

export interface DispatcherOptions extends CompletionOptions {
  runner: StackRunner;
  logger: Logger;
  executor: StepExecutor;
  maxParallel: number;
  /** True once the service is shutting down: nothing starts or ends any more. */
  stopping(): boolean;
  /** Resolves once the store can be written again (or the service stops). */
  storeWritable(): Promise<void>;
}

export class Dispatcher {
  private readonly active = new Map<string, ActiveOperation>();

  constructor(private readonly o: DispatcherOptions) {}

  /** Active (queued or running) operations, in no particular order. */
  operations(): ActiveOperation[] {
    return [...this.active.values()];
  }

  get(id: string): ActiveOperation | undefined {
    return this.active.get(id);
  }

  get size(): number {
    return this.active.size;
  }

  /** Takes an operation with its stored steps and starts what may start. */
  add(op: OperationRecord, steps: StepRecord[]): void {
    this.active.set(op.id, {
      op,
      steps: new Map(steps.map((s) => [s.id, s])),
      reads: new Map(steps.map((s) => [s.id, prerequisiteStacks(s.stack, op.after)])),
      running: new Map(),
      cancelRequested: false,
    });
    this.pump();
  }

  /** Cancels: nothing more of it starts, its running steps are aborted. Settles once it is over, or at once while steps still run. */
  async cancel(a: ActiveOperation): Promise<void> {
    a.cancelRequested = true;
    for (const r of a.running.values()) r.abort.abort(new Error("cancelled"));
    this.pump();
    await a.finishing;
  }

  /** Aborts every running step; returns their ends. */
  abortAll(reason: string): Promise<void>[] {
    const done: Promise<void>[] = [];
    for (const a of this.active.values()) {
      for (const r of a.running.values()) {
        r.abort.abort(new Error(reason));
        done.push(r.done);
      }
    }
    return done;
  }

  /** Forgets every operation (at shutdown, once they are recorded interrupted). */
  clear(): void {
    this.active.clear();
  }

  /** What the scheduler sees: active operations not yet over, in queue order; a step is running while in hand. */
  private view(): SchedulerOperation[] {
    return [...this.active.values()]
      .filter((a) => a.finishing === undefined)
      .sort((a, b) => a.op.seq - b.op.seq)
      .map((a) => ({
        id: a.op.id,
        cancelRequested: a.cancelRequested,
        steps: [...a.steps.values()].map((s) => ({
          id: s.id,
          stack: s.stack,
          dependsOn: s.dependsOn,
          status: a.running.has(s.id) ? "running" : s.status,
          reads: a.reads.get(s.id) ?? [],
        })),
      }));
  }

  /** Asks the scheduler what may happen now, and does it. */
  private pump(): void {
    if (this.o.stopping()) return;
    const decision = schedule({ operations: this.view(), maxParallel: this.o.maxParallel });
    for (const end of decision.finished) {
      const a = this.active.get(end.operationId);
      if (a) this.finish(a, end);
    }
    for (const { operationId, stepId } of decision.start) {
      const a = this.active.get(operationId);
      const step = a?.steps.get(stepId);
      if (a && step) this.start(a, step);
    }
    // Engine processes for the next wave boot while the running steps work (one is always there).
    if (decision.engines > 1) this.o.runner.prepare?.(decision.engines);
  }

  private finish(a: ActiveOperation, end: FinishedOperation): void {
    const record = async (): Promise<void> => {
      // Steps whose own record the store refused get it first (see start).
      for (const s of a.steps.values()) {
        if (s.status === "failed" && s.error?.code === "store_unavailable") {
          await this.o.store.transitionStep(a.op.id, s.id, ["pending", "running"], "failed", { finishedAt: s.finishedAt, error: s.error });
        }
      }
      await completeOperation(this.o, a.op, [...a.steps.values()], end);
    };
    a.finishing = record().then(
      () => {
        this.active.delete(a.op.id);
      },
      (err: unknown) => {
        this.recordLater(a, record, err);
      },
    );
  }

  /**
   * The end of an operation was not stored. When the store refused it, it is tried again each time
   * the store can be written again, until it is stored or the service stops (the next start finds
   * the operation interrupted). Any other error drops the operation from memory, logged.
   */
  private recordLater(a: ActiveOperation, record: () => Promise<void>, err: unknown): void {
    const log = (e: unknown): void => {
      this.o.logger.error({ operation: a.op.id, err: scrubText(String(e)) }, "could not record the end of the operation");
    };
    log(err);
    if (!(err instanceof StoreUnavailableError)) {
      this.active.delete(a.op.id);
      return;
    }
    const retry = async (): Promise<void> => {
      for (;;) {
        await this.o.storeWritable();
        if (this.o.stopping()) return;
        try {
          await record();
          this.active.delete(a.op.id);
          this.o.logger.info({ operation: a.op.id }, "recorded the end of the operation once the store could be written");
          return;
        } catch (e) {
          if (!(e instanceof StoreUnavailableError)) {
            log(e);
            this.active.delete(a.op.id);
            return;
          }
        }
      }
    };
    retry().catch(log);
  }

  private start(a: ActiveOperation, step: StepRecord): void {
    const abort = new AbortController();
    step.status = "running";
    const done = this.o.executor
      .run(a.op, step, abort.signal)
      .catch((err: unknown) => {
        // The store refused the step's bookkeeping, so what is stored of it is unknown: here it
        // failed, which ends its operation failed (retryable); its row is written with that end.
        const message = `the step's progress could not be recorded: ${scrubText(err instanceof Error ? err.message : String(err))}`;
        step.status = "failed";
        step.finishedAt = new Date().toISOString();
        step.error = { code: err instanceof StoreUnavailableError ? "store_unavailable" : "internal", message };
        this.o.logger.error({ operation: a.op.id, step: step.id, err: message }, "step bookkeeping failed");
      })
      .finally(() => {
        a.running.delete(step.id);
        this.pump();
      })
      .catch((err: unknown) => {
        this.o.logger.error({ operation: a.op.id, err: scrubText(String(err)) }, "could not schedule after a step");
      });
    a.running.set(step.id, { abort, done });
  }
}
