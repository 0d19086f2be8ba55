/**
 * The orchestrator runs operations: each is a DAG of stack steps, planned by the fleet service and
 * handed over with the operation. This file is the lifecycle: admission (conflicts, queue room),
 * submit, cancel, retry, recovery at start and shutdown. Which step may start when is the
 * scheduler's call (scheduler.ts: DAG order, one step per stack, queue order where operations
 * overlap, the parallel limit); the dispatcher (dispatcher.ts) carries it out, the step executor
 * (stepExecutor.ts) runs steps and completion.ts ends operations. Events of an operation are stored
 * and published in arrival order (operationEvents.ts). A failed step stops its operation from
 * starting more steps; running ones finish, then the operation is `failed` and can be retried.
 * Every status change is a conditional store update.
 */
import { randomUUID } from "node:crypto";
import type { PendingDecision, PendingOperation, StackRunner } from "../engine/stackRunner";
import { FLEET_PSEUDO_STACK, type FleetDomain, type FleetState, type Plan } from "../domain";
import { ConflictError, InputError, QueueFullError, UnavailableError } from "../errors";
import type { Logger } from "../logger";
import { scrubText, SecretScrubber } from "../mask";
import { RETRYABLE_STATUSES, type OperationKind, type OperationRecord, type RegionStatus, type StepRecord } from "../../domain/model";
import type { RegionWrites, Store } from "../store/store";
import type { ActionHandlers } from "./actions";
import { Dispatcher } from "./dispatcher";
import type { EventBus } from "./eventBus";
import { OperationEvents } from "./operationEvents";
import { StepExecutor } from "./stepExecutor";

export interface OrchestratorOptions {
  store: Store;
  runner: StackRunner;
  domain: FleetDomain;
  handlers: ActionHandlers;
  bus: EventBus;
  logger: Logger;
  maxParallel: number;
  /** Operations queued or running at once; past it, submit and retry throw QueueFullError (503). Unset: unbounded. */
  maxQueued?: number | undefined;
  /** How long shutdown waits for aborted steps to settle. */
  shutdownGraceMs?: number;
  /**
   * Resolves once the store can be written again (storeHealth.ts): an operation whose end the store
   * refused is recorded then. Default: a second from now.
   */
  storeWritable?: () => Promise<void>;
}

export interface SubmitRequest {
  kind: OperationKind;
  /** The plan of the change, made from `before` (the caller plans; the orchestrator runs it as given). */
  plan: Plan;
  /** Regions whose desired spec changes (conflict key). */
  subjects: string[];
  /** The fleet state the plan was made from (normally the desired fleet). */
  before: FleetState;
  /** Region rows to write with the operation. */
  writes: RegionWrites;
  request: unknown;
  actor: string;
}

export class Orchestrator {
  private stopping = false;
  private submitChain: Promise<unknown> = Promise.resolve();
  private readonly events: OperationEvents;
  private readonly dispatcher: Dispatcher;

  constructor(private readonly o: OrchestratorOptions) {
    const secrets = new SecretScrubber();
    const stopping = (): boolean => this.stopping;
    this.events = new OperationEvents({ store: o.store, bus: o.bus, logger: o.logger, secrets });
    const executor = new StepExecutor({ store: o.store, runner: o.runner, domain: o.domain, handlers: o.handlers, logger: o.logger, events: this.events, secrets, stopping });
    const storeWritable = o.storeWritable ?? (() => new Promise<void>((resolve) => setTimeout(resolve, 1000)));
    this.dispatcher = new Dispatcher({ store: o.store, bus: o.bus, logger: o.logger, events: this.events, runner: o.runner, executor, maxParallel: o.maxParallel, stopping, storeWritable });
  }

  // ---- lifecycle

  /**
   * Restart safety: operations left queued or running by a previous process become `interrupted`,
   * their stacks' stale locks are removed, and the resource operations a killed run left pending
   * are recorded per stack, so the next step there resolves them first (stepExecutor.ts). Their
   * steps stay as stored (the plan is kept with the operation), so a retry runs what is not done.
   */
  async recover(): Promise<{ operations: string[]; stacks: string[] }> {
    const work = await this.o.store.interruptActive(new Date().toISOString());
    for (const opId of work.operations) {
      await this.o.store.appendEvent({
        operationId: opId,
        kind: "operation.interrupted",
        message: "the service stopped while this operation was in flight; POST /operations/{id}/retry completes it",
        severity: "warning",
      });
    }
    for (const stack of work.stacks) {
      if (stack === FLEET_PSEUDO_STACK) continue;
      try {
        const pending = await this.o.runner.recover(stack);
        if (pending.length > 0) {
          await this.o.store.setPendingOperations(stack, pending);
          this.o.logger.warn({ stack, pending: pending.map((p) => `${p.operation} ${p.urn}`) }, "a killed run left resource operations pending; the next step on the stack resolves them");
        }
      } catch (err) {
        this.o.logger.warn({ stack, err: scrubText(String(err)) }, "could not clear stale state of stack");
      }
    }
    if (work.operations.length > 0) this.o.logger.warn(work, "marked in-flight operations interrupted");
    return work;
  }

  /** Stops taking work, aborts running steps and records them (and their operations) `interrupted`. */
  async shutdown(): Promise<void> {
    this.stopping = true;
    const running = this.dispatcher.abortAll("service shutting down");
    const grace = this.o.shutdownGraceMs ?? 30_000;
    let timer: NodeJS.Timeout | undefined;
    await Promise.race([
      Promise.allSettled(running),
      new Promise<void>((resolve) => {
        timer = setTimeout(resolve, grace);
      }),
    ]);
    if (timer) clearTimeout(timer);
    await this.events.allSettled();
    try {
      await this.o.store.interruptActive(new Date().toISOString());
    } catch (err) {
      // The next start marks them interrupted instead (recover).
      this.o.logger.error({ err: scrubText(String(err)) }, "could not record the operations in flight as interrupted");
    }
    for (const a of this.dispatcher.operations()) this.o.bus.publish(a.op.id, { type: "end", status: "interrupted" });
    this.dispatcher.clear();
  }

  get accepting(): boolean {
    return !this.stopping;
  }

  stats(): { activeOperations: number; queuedOperations: number; runningSteps: number; waitingSteps: number } {
    let queued = 0;
    let waiting = 0;
    let running = 0;
    const active = this.dispatcher.operations();
    for (const a of active) {
      if (a.op.status === "queued") queued++;
      running += a.running.size;
      for (const s of a.steps.values()) if (s.status === "pending") waiting++;
    }
    return { activeOperations: active.length, queuedOperations: queued, runningSteps: running, waitingSteps: waiting };
  }

  /** Runs `fn` with no other submission in between (conflict checks and writes are atomic). */
  exclusive<T>(fn: () => Promise<T>): Promise<T> {
    const next = this.submitChain.then(fn, fn);
    this.submitChain = next.catch(() => undefined);
    return next;
  }

  /**
   * Whether an operation on these regions would be taken now: throws UnavailableError while
   * shutting down, ConflictError when an active operation already changes one of them,
   * QueueFullError past `maxQueued`. Call inside `exclusive`; `submit` checks again.
   */
  admit(subjects: string[]): void {
    if (this.stopping) throw new UnavailableError("the service is shutting down");
    const conflict = this.conflictingOperation(subjects);
    if (conflict) {
      throw new ConflictError(`operation ${conflict.id} (${conflict.kind}) is already changing ${conflict.subjects.join(", ")}`, {
        operation: conflict.id,
        kind: conflict.kind,
        status: conflict.status,
      });
    }
    this.checkQueueRoom();
  }

  /** Throws QueueFullError when `maxQueued` operations are already queued or running. */
  private checkQueueRoom(): void {
    const max = this.o.maxQueued;
    const size = this.dispatcher.size;
    if (max !== undefined && size >= max) {
      throw new QueueFullError(`${size} operations are queued or running (the limit is ${max}); retry when some have finished`, 5);
    }
  }

  /** The active operation (queued or running) whose subjects overlap these regions, if any. */
  conflictingOperation(subjects: string[]): OperationRecord | undefined {
    return this.dispatcher.operations().find((a) => a.op.subjects.some((s) => subjects.includes(s)))?.op;
  }

  /**
   * Records and queues an operation with its plan. Call inside `exclusive`. Throws as `admit` does.
   */
  async submit(req: SubmitRequest): Promise<{ operation: OperationRecord; steps: StepRecord[] }> {
    this.admit(req.subjects);
    const { plan } = req;
    const id = randomUUID();
    const steps: StepRecord[] = plan.steps.map((s) => ({
      operationId: id,
      id: s.id,
      stack: s.stack,
      action: s.action,
      why: s.why,
      dependsOn: [...s.dependsOn],
      fingerprint: s.fingerprint,
      status: "pending",
      attempt: 0,
    }));
    const stacks = [...new Set(steps.map((s) => s.stack))];
    const operation = await this.o.store.createOperation(
      {
        id,
        kind: req.kind,
        status: "queued",
        subjects: req.subjects,
        stacks,
        request: req.request,
        before: req.before,
        after: plan.after,
        skipped: plan.skipped,
        actor: req.actor,
        attempt: 1,
        createdAt: new Date().toISOString(),
      },
      steps,
      req.writes,
    );
    await this.events.emit(operation.id, undefined, {
      kind: "operation.queued",
      message: `${req.kind} queued by ${req.actor}: ${steps.map((s) => `${s.action} ${s.stack}`).join(", ") || "nothing to do"}`,
      severity: "info",
    });
    this.dispatcher.add(operation, steps);
    return { operation, steps };
  }

  /** Cancels a queued or running operation. Returns the operation as it stands. */
  async cancel(id: string): Promise<OperationRecord | undefined> {
    const a = this.dispatcher.get(id);
    // Over already, its end being recorded: nothing left to cancel.
    if (!a || a.finishing !== undefined) return this.o.store.getOperation(id);
    a.cancelRequested = true;
    await this.events.emit(id, undefined, { kind: "operation.cancelling", message: "cancel requested", severity: "warning" });
    await this.dispatcher.cancel(a);
    return (await this.o.store.getOperation(id)) ?? a.op;
  }

  /** Re-queues a failed, cancelled or interrupted operation: its stored steps not yet done run again. */
  async retry(id: string, actor: string): Promise<OperationRecord | undefined> {
    return this.exclusive(async () => {
      if (this.stopping) throw new UnavailableError("the service is shutting down");
      const op = await this.o.store.getOperation(id);
      if (!op) return undefined;
      if (!RETRYABLE_STATUSES.includes(op.status)) {
        throw new ConflictError(`operation ${id} is ${op.status}; only ${RETRYABLE_STATUSES.join(", ")} operations can be retried`, {
          operation: id,
          status: op.status,
        });
      }
      const later = (await this.o.store.laterOperationsTouching(op.seq, op.stacks))[0];
      if (later) {
        throw new ConflictError(`operation ${id} was superseded by operation ${later.id} on the same stacks`, { operation: later.id });
      }
      const conflict = this.conflictingOperation(op.subjects);
      if (conflict) throw new ConflictError(`operation ${conflict.id} is already changing ${conflict.subjects.join(", ")}`, { operation: conflict.id });
      this.checkQueueRoom();
      if (!(await this.o.store.requeueOperation(id, RETRYABLE_STATUSES))) {
        throw new ConflictError(`operation ${id} changed state; try again`, { operation: id });
      }
      // Requeued and committed: from here on the operation runs, whatever else the store refuses
      // (the regions' status settles with its end).
      await this.o.store.setRegionStatus(op.subjects, subjectStatus(op.kind)).catch((err: unknown) => {
        this.o.logger.warn({ operation: id, err: scrubText(String(err)) }, "could not mark the retried operation's regions");
      });
      await this.events.emit(id, undefined, { kind: "operation.retried", message: `retry requested by ${actor}`, severity: "info" });
      const fresh = (await this.o.store.getOperation(id)) ?? op;
      this.dispatcher.add(fresh, await this.o.store.listSteps(id));
      return fresh;
    });
  }

  // ---- pending operations (a killed engine run's; see stepExecutor.ts)

  /** A stack's pending operations as the engine reads them now; the store's mark follows. */
  async pendingOperations(stack: string): Promise<PendingOperation[]> {
    const pending = await this.o.runner.pendingOperations(stack);
    await this.o.store.setPendingOperations(stack, pending);
    return pending;
  }

  /**
   * An admin's decisions on every pending create of a stack: import (the create happened; its id)
   * or clear (it did not). Refused while an operation is active on the stack. Each decision is
   * logged on the operations waiting on the stack (and the request is in the audit log); the
   * admin then retries them. Returns what is still pending.
   */
  async decidePending(stack: string, decisions: readonly PendingDecision[], actor: string): Promise<PendingOperation[]> {
    return this.exclusive(async () => {
      if (this.stopping) throw new UnavailableError("the service is shutting down");
      const busy = this.dispatcher.operations().find((a) => a.op.stacks.includes(stack));
      if (busy) throw new ConflictError(`operation ${busy.op.id} (${busy.op.kind}) is active on stack ${stack}; decide once it has ended`, { operation: busy.op.id });
      const summary = decisions.map((d) => (d.action === "import" ? `import ${d.urn} as id ${d.id}` : `clear ${d.urn}`)).join("; ") || "nothing to decide";
      const result = await this.o.runner.decidePending(stack, decisions);
      if ("refused" in result) {
        const { undecided, notPending, twice } = result.refused;
        throw new InputError(`invalid body: decisions must decide each pending create of stack ${stack} once (Pulumi clears them per stack)`, [
          ...undecided.map((urn) => ({ path: "decisions", message: `no decision for pending create ${urn}` })),
          ...notPending.map((urn) => ({ path: "decisions", message: `${urn} is not a pending create of stack ${stack}` })),
          ...twice.map((urn) => ({ path: "decisions", message: `${urn} is decided twice` })),
        ]);
      }
      const { remaining } = result;
      await this.o.store.setPendingOperations(stack, remaining);
      const waiting = (await this.o.store.listOperations({ limit: 50, status: "needs_attention" })).filter((op) => op.stacks.includes(stack));
      for (const op of waiting) {
        await this.events.emit(op.id, undefined, { kind: "pending.decided", message: `${actor} decided the pending operations of stack ${stack}: ${summary}; POST /operations/${op.id}/retry continues`, severity: "warning" });
      }
      this.o.logger.warn({ stack, actor, decisions: summary }, "pending operations decided by an admin");
      return remaining;
    });
  }
}

/** Region status while an operation of this kind runs. */
export function subjectStatus(kind: OperationKind): RegionStatus {
  return kind === "add" ? "creating" : kind === "remove" ? "removing" : "updating";
}
