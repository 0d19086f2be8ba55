/**
 * The orchestrator runs operations: each is a DAG of stack steps from the planner.
 *
 * Rules (graphile-worker's "one queue per key", with the stack as the key):
 * - a step starts when the steps it depends on are done (succeeded or skipped);
 * - never two steps on one stack at once, across all operations;
 * - operations on overlapping stacks run in submission order: a step of a later operation waits
 *   while an earlier active operation still has unfinished steps on the same stack or on a stack
 *   this one reads (see `prerequisiteStacks`);
 * - at most `maxParallel` steps run at once.
 * A failed step stops its operation from starting more steps; running ones finish, then the
 * operation is `failed` and can be retried. Every status change is a conditional store update.
 */
import { randomUUID } from "node:crypto";
import { StackBusyError, StepCancelledError, type EngineEvent, type StackRunner } from "../engine/stackRunner";
import { FLEET_PSEUDO_STACK, type ChangeRequest, type FleetDomain, type FleetState, type Plan } from "../domain";
import { ConflictError, QueueFullError, UnavailableError } from "../errors";
import type { Logger } from "../logger";
import { maskOutputs, scrubText, SecretScrubber } from "../mask";
import {
  RETRYABLE_STATUSES,
  STEP_DONE,
  type OperationKind,
  type OperationRecord,
  type OperationStatus,
  type RegionStatus,
  type StepRecord,
} from "../../domain/model";
import type { RegionWrites, Store } from "../store/store";
import { stateForStep, type ActionHandlers } from "./actions";
import type { EventBus } from "./eventBus";
import { prerequisiteStacks } from "../../domain/fleet/prerequisites";

export interface OrchestratorOptions {
  store: Store;
  runner: StackRunner;
  domain: FleetDomain;
  handlers: ActionHandlers;
  bus: EventBus;
  logger: Logger;
  maxParallel: number;
  /** Start `up` steps early while their dependencies finish (default true). */
  earlyStart?: boolean | undefined;
  /** Operations queued or running at once; past it, submit and retry throw QueueFullError (503). Unset: unbounded. */
  maxQueued?: number | undefined;
  /** How long shutdown waits for aborted steps to settle. */
  shutdownGraceMs?: number;
}

export interface SubmitRequest {
  kind: OperationKind;
  change: ChangeRequest;
  /** Regions whose desired spec changes (conflict key). */
  subjects: string[];
  /** The fleet state to plan from (normally the desired fleet). */
  before: FleetState;
  /** Region rows to write with the operation. */
  writes: RegionWrites;
  request: unknown;
  actor: string;
}

interface ActiveOperation {
  op: OperationRecord;
  steps: Map<string, StepRecord>;
  running: Map<string, { abort: AbortController; done: Promise<void> }>;
  cancelRequested: boolean;
  /** Serializes event writes so stored ids follow arrival order. */
  eventChain: Promise<unknown>;
  /** Early-started steps re-checking their dependencies; called whenever a step ends. */
  waiters: Set<() => void>;
  /** Running steps whose engine has booted (sent its first event). */
  engineLive: Set<string>;
}

/** An early-started step's dependency ended without succeeding. */
class DependencyNotDoneError extends Error {
  constructor(
    readonly step: string,
    readonly dependency: string,
    readonly status: string,
  ) {
    super(`${step}: ${dependency} ${status}`);
    this.name = "DependencyNotDoneError";
  }
}

const UNFINISHED = new Set(["pending", "running"]);
/** Event kinds only a running engine sends. */
const ENGINE_EVENT_KINDS = new Set(["resourcePre", "resOutputs", "resOpFailed", "summary"]);

export class Orchestrator {
  private readonly active = new Map<string, ActiveOperation>();
  private readonly busyStacks = new Set<string>();
  private runningCount = 0;
  private stopping = false;
  private submitChain: Promise<unknown> = Promise.resolve();
  private readonly secrets = new SecretScrubber();

  constructor(private readonly o: OrchestratorOptions) {}

  // ---- lifecycle

  /**
   * Restart safety: operations left queued or running by a previous process become `interrupted`,
   * and their stacks' stale locks and pending operations are cleared.
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
        await this.o.runner.recover(stack);
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
    const running: Promise<void>[] = [];
    for (const a of this.active.values()) {
      for (const r of a.running.values()) {
        r.abort.abort(new Error("service shutting down"));
        running.push(r.done);
      }
    }
    const grace = this.o.shutdownGraceMs ?? 30_000;
    let timer: NodeJS.Timeout | undefined;
    await Promise.race([
      Promise.allSettled(running),
      new Promise<void>((resolve) => {
        timer = setTimeout(resolve, grace);
      }),
    ]);
    if (timer) clearTimeout(timer);
    await Promise.allSettled([...this.active.values()].map((a) => a.eventChain));
    await this.o.store.interruptActive(new Date().toISOString());
    for (const id of this.active.keys()) this.o.bus.publish(id, { type: "end", status: "interrupted" });
    this.active.clear();
  }

  get accepting(): boolean {
    return !this.stopping;
  }

  stats(): { activeOperations: number; queuedOperations: number; runningSteps: number; waitingSteps: number } {
    let queued = 0;
    let waiting = 0;
    for (const a of this.active.values()) {
      if (a.op.status === "queued") queued++;
      for (const s of a.steps.values()) if (s.status === "pending") waiting++;
    }
    return { activeOperations: this.active.size, queuedOperations: queued, runningSteps: this.runningCount, waitingSteps: waiting };
  }

  /** Plans without recording anything (dry runs). */
  plan(change: ChangeRequest, before: FleetState, lastApplied: Record<string, string>): Plan {
    return this.o.domain.plan(before, change, lastApplied);
  }

  /** Runs `fn` with no other submission in between (conflict checks and writes are atomic). */
  exclusive<T>(fn: () => Promise<T>): Promise<T> {
    const next = this.submitChain.then(fn, fn);
    this.submitChain = next.catch(() => undefined);
    return next;
  }

  /** Throws QueueFullError when `maxQueued` operations are already queued or running. */
  private checkQueueRoom(): void {
    const max = this.o.maxQueued;
    if (max !== undefined && this.active.size >= max) {
      throw new QueueFullError(`${this.active.size} operations are queued or running (the limit is ${max}); retry when some have finished`, 5);
    }
  }

  /** The active operation (queued or running) whose subjects overlap these regions, if any. */
  conflictingOperation(subjects: string[]): OperationRecord | undefined {
    for (const a of this.active.values()) {
      if (a.op.subjects.some((s) => subjects.includes(s))) return a.op;
    }
    return undefined;
  }

  /**
   * Plans, records and queues an operation. Call inside `exclusive`. Throws ConflictError when an
   * active operation already changes one of the subject regions.
   */
  async submit(req: SubmitRequest, lastApplied: Record<string, string>): Promise<{ operation: OperationRecord; steps: StepRecord[] }> {
    if (this.stopping) throw new UnavailableError("the service is shutting down");
    const conflict = this.conflictingOperation(req.subjects);
    if (conflict) {
      throw new ConflictError(`operation ${conflict.id} (${conflict.kind}) is already changing ${conflict.subjects.join(", ")}`, {
        operation: conflict.id,
        kind: conflict.kind,
        status: conflict.status,
      });
    }
    this.checkQueueRoom();
    const plan = this.o.domain.plan(req.before, req.change, lastApplied);
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
    await this.emit(operation.id, undefined, {
      kind: "operation.queued",
      message: `${req.kind} queued by ${req.actor}: ${steps.map((s) => `${s.action} ${s.stack}`).join(", ") || "nothing to do"}`,
      severity: "info",
    });
    this.track(operation, steps);
    this.pump();
    return { operation, steps };
  }

  /** Cancels a queued or running operation. Returns the operation as it stands. */
  async cancel(id: string): Promise<OperationRecord | undefined> {
    const a = this.active.get(id);
    if (!a) return this.o.store.getOperation(id);
    a.cancelRequested = true;
    await this.emit(id, undefined, { kind: "operation.cancelling", message: "cancel requested", severity: "warning" });
    for (const r of a.running.values()) r.abort.abort(new Error("cancelled"));
    await this.maybeFinish(a);
    return (await this.o.store.getOperation(id)) ?? a.op;
  }

  /** Re-queues a failed, cancelled or interrupted operation: steps not yet done run again. */
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
      await this.o.store.setRegionStatus(op.subjects, subjectStatus(op.kind));
      await this.emit(id, undefined, { kind: "operation.retried", message: `retry requested by ${actor}`, severity: "info" });
      const fresh = (await this.o.store.getOperation(id)) ?? op;
      this.track(fresh, await this.o.store.listSteps(id));
      this.pump();
      return fresh;
    });
  }

  // ---- scheduling

  private track(op: OperationRecord, steps: StepRecord[]): void {
    this.active.set(op.id, {
      op,
      steps: new Map(steps.map((s) => [s.id, s])),
      running: new Map(),
      cancelRequested: false,
      eventChain: Promise.resolve(),
      waiters: new Set(),
      engineLive: new Set(),
    });
  }

  private ordered(): ActiveOperation[] {
    return [...this.active.values()].sort((a, b) => a.op.seq - b.op.seq);
  }

  /**
   * Starts every step that may run now: first the steps whose dependencies are done, then, with
   * slots to spare, `up` steps whose dependencies are still running (early start: the engine
   * selects the stack, writes its config and boots while they finish, and runs the program only
   * once they succeeded; see RunOptions.ready). A dependency counts as running once its own engine
   * has reported its first event: booting every engine at once would slow the one everything
   * waits for. With `maxParallel` 1 nothing starts early.
   */
  private pump(): void {
    if (this.stopping) return;
    const ops = this.ordered();
    for (const early of this.o.earlyStart === false ? [false] : [false, true]) {
      for (const [i, a] of ops.entries()) {
        if (!early && (a.steps.size === 0 || [...a.steps.values()].every((s) => !UNFINISHED.has(s.status)))) {
          void this.maybeFinish(a);
          continue;
        }
        if (a.cancelRequested || this.hasFailure(a)) continue;
        for (const step of a.steps.values()) {
          if (this.runningCount >= this.o.maxParallel) return;
          if (step.status !== "pending" || a.running.has(step.id)) continue;
          const deps = this.depStatuses(a, step.dependsOn);
          const ready = deps.every((d) => STEP_DONE.includes(d));
          if (ready === early) continue;
          if (early && (step.action !== "up" || !step.dependsOn.every((d) => a.engineLive.has(d) || STEP_DONE.includes(a.steps.get(d)?.status ?? "succeeded")))) continue;
          if (this.busyStacks.has(step.stack)) continue;
          const needs = new Set([step.stack, ...prerequisiteStacks(step.stack, a.op.after)]);
          const blocked = ops.slice(0, i).some((e) => [...e.steps.values()].some((s) => UNFINISHED.has(s.status) && needs.has(s.stack)));
          if (blocked) continue;
          this.start(a, step, early);
        }
      }
    }
    this.prepareNextWave(ops);
  }

  /**
   * Asks the engine for as many engine processes as the widest of now and the next wave: the steps
   * waiting only on running ones. They boot while the running steps work (on a three-region
   * rollout, the second host for the replicas boots during the primary's step) instead of on the
   * path of the wave that needs them.
   */
  private prepareNextWave(ops: ActiveOperation[]): void {
    if (!this.o.runner.prepare) return;
    let next = 0;
    for (const a of ops) {
      if (a.cancelRequested || this.hasFailure(a)) continue;
      for (const step of a.steps.values()) {
        if (step.status !== "pending" || a.running.has(step.id)) continue;
        const deps = this.depStatuses(a, step.dependsOn);
        if (deps.some((d) => d === "running") && deps.every((d) => d === "running" || STEP_DONE.includes(d))) next++;
      }
    }
    const want = Math.min(this.o.maxParallel, Math.max(this.runningCount, next));
    if (want > 1) this.o.runner.prepare(want); // one engine is always there
  }

  /** The statuses of `dependsOn` (a step outside the operation counts as succeeded). */
  private depStatuses(a: ActiveOperation, dependsOn: readonly string[]) {
    return dependsOn.map((d) => a.steps.get(d)?.status ?? "succeeded");
  }

  private hasFailure(a: ActiveOperation): boolean {
    return [...a.steps.values()].some((s) => s.status === "failed" || s.status === "cancelled" || s.status === "interrupted");
  }

  private start(a: ActiveOperation, step: StepRecord, early: boolean): void {
    const abort = new AbortController();
    this.busyStacks.add(step.stack);
    this.runningCount++;
    step.status = "running";
    const done = this.runStep(a, step, abort.signal, early)
      .catch((err: unknown) => {
        this.o.logger.error({ operation: a.op.id, step: step.id, err: scrubText(String(err)) }, "step bookkeeping failed");
      })
      .finally(() => {
        a.engineLive.delete(step.id);
        for (const wake of [...a.waiters]) wake();
        this.busyStacks.delete(step.stack);
        this.runningCount--;
        a.running.delete(step.id);
        void this.maybeFinish(a).then(() => {
          this.pump();
        });
      });
    a.running.set(step.id, { abort, done });
  }

  /**
   * Settles when every dependency of `step` is done; rejects with DependencyNotDoneError when one
   * ends otherwise, or when the step is aborted. Re-checked whenever a step of the operation ends.
   */
  private dependenciesDone(a: ActiveOperation, step: StepRecord, signal: AbortSignal): Promise<void> {
    return new Promise<void>((resolve, reject) => {
      const finish = (err?: Error): void => {
        a.waiters.delete(check);
        signal.removeEventListener("abort", onAbort);
        if (err) reject(err);
        else resolve();
      };
      const check = (): void => {
        const deps = step.dependsOn.map((id) => ({ id, status: a.steps.get(id)?.status ?? "succeeded" }));
        const bad = deps.find((d) => !STEP_DONE.includes(d.status) && !UNFINISHED.has(d.status));
        if (bad) finish(new DependencyNotDoneError(step.id, bad.id, bad.status));
        else if (deps.every((d) => STEP_DONE.includes(d.status))) finish();
      };
      const onAbort = (): void => {
        finish(new StepCancelledError(step.stack, "up"));
      };
      a.waiters.add(check);
      signal.addEventListener("abort", onAbort);
      check();
    });
  }

  private async runStep(a: ActiveOperation, step: StepRecord, signal: AbortSignal, early: boolean): Promise<void> {
    const op = a.op;
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
    void this.emit(op.id, step.id, { kind: "step.started", message: `${step.action} ${step.stack}: ${step.why}`, severity: "info" });
    const handler = this.o.handlers[step.action];
    let dependencyError: DependencyNotDoneError | undefined;
    let ready: Promise<void> | undefined;
    if (early) {
      ready = this.dependenciesDone(a, step, signal);
      ready.catch((err: unknown) => {
        if (err instanceof DependencyNotDoneError) dependencyError = err;
      });
      const waitingFor = step.dependsOn.filter((d) => a.steps.get(d)?.status === "running");
      void this.emit(op.id, step.id, { kind: "step.waiting", message: `${step.action} ${step.stack}: engine starting early; the program runs once ${waitingFor.join(", ")} succeeded`, severity: "info" });
    }
    try {
      const outcome = await handler({
        operation: op,
        step,
        state: stateForStep(op, step.action),
        runner: this.o.runner,
        stackProgram: (stack, state) => this.o.domain.stackProgram(stack, state),
        emit: (e) => {
          if (!a.engineLive.has(step.id) && ENGINE_EVENT_KINDS.has(e.kind)) {
            a.engineLive.add(step.id);
            this.pump();
          }
          void this.emit(op.id, step.id, e);
        },
        signal,
        ready,
      });
      if (signal.aborted) throw new StepCancelledError(step.stack, "up");
      const finishedAt = new Date();
      const result = outcome.result;
      if (result) this.secrets.learn(result.outputs);
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
      await this.emit(op.id, step.id, { kind: `step.${status}`, message: `${step.action} ${step.stack} ${status}${summary ? `: ${summary}` : ""}`, severity: "info" });
    } catch (err) {
      const finishedAt = new Date();
      if (dependencyError && !signal.aborted) {
        // Started early, and what it waited on did not succeed: the program never ran.
        const note = `not run: ${dependencyError.dependency} ${dependencyError.status}`;
        await this.o.store.transitionStep(op.id, step.id, ["running"], "cancelled", {
          finishedAt: finishedAt.toISOString(),
          durationMs: finishedAt.getTime() - startedAt.getTime(),
          note,
        });
        step.status = "cancelled";
        await this.emit(op.id, step.id, { kind: "step.cancelled", message: `${step.action} ${step.stack} cancelled: ${note}`, severity: "warning" });
        return;
      }
      const cancelled = err instanceof StepCancelledError || signal.aborted;
      const status = cancelled ? (this.stopping ? "interrupted" : "cancelled") : "failed";
      const code = cancelled ? status : err instanceof StackBusyError ? "stack_busy" : "step_failed";
      const message = this.secrets.scrub(err instanceof Error ? err.message : String(err));
      await this.o.store.transitionStep(op.id, step.id, ["running"], status, {
        finishedAt: finishedAt.toISOString(),
        durationMs: finishedAt.getTime() - startedAt.getTime(),
        error: { code, message },
      });
      step.status = status;
      step.error = { code, message };
      this.o.logger.warn({ operation: op.id, step: step.id, stack: step.stack, code, message }, "step did not succeed");
      await this.emit(op.id, step.id, { kind: `step.${status}`, message: `${step.action} ${step.stack} ${status}: ${message}`, severity: "error" });
    }
  }

  /** Finishes the operation when nothing runs and nothing more can start. */
  private async maybeFinish(a: ActiveOperation): Promise<void> {
    if (this.stopping || a.running.size > 0 || !this.active.has(a.op.id)) return;
    const steps = [...a.steps.values()];
    const allDone = steps.every((s) => STEP_DONE.includes(s.status));
    const stuck = a.cancelRequested || this.hasFailure(a);
    if (!allDone && !stuck) return;
    this.active.delete(a.op.id);
    const status: OperationStatus = allDone
      ? "succeeded"
      : a.cancelRequested
        ? "cancelled"
        : steps.some((s) => s.status === "failed")
          ? "failed"
          : "cancelled";
    const leftover = steps.filter((s) => s.status === "pending");
    for (const s of leftover) {
      await this.o.store.transitionStep(a.op.id, s.id, ["pending"], "cancelled", {
        note: status === "cancelled" ? "not run: the operation was cancelled" : "not run: an earlier step failed",
      });
      s.status = "cancelled";
    }
    const failed = steps.find((s) => s.status === "failed");
    const error =
      status === "succeeded"
        ? undefined
        : status === "cancelled"
          ? { code: "cancelled", message: "the operation was cancelled" }
          : { code: failed?.error?.code ?? "step_failed", message: `step ${failed?.id ?? "?"} failed: ${failed?.error?.message ?? "unknown error"}` };
    const finishedAt = new Date().toISOString();
    const moved = await this.o.store.transitionOperation(a.op.id, ["queued", "running"], status, { finishedAt, error });
    if (!moved) return;
    a.op.status = status;
    await this.settleRegions(a.op, status);
    this.o.logger.info({ operation: a.op.id, kind: a.op.kind, status }, "operation finished");
    await this.emit(a.op.id, undefined, {
      kind: "operation.finished",
      message: `${a.op.kind} ${status}${error ? `: ${error.message}` : ""}`,
      severity: status === "succeeded" ? "info" : "error",
    });
    await a.eventChain;
    this.o.bus.publish(a.op.id, { type: "end", status });
  }

  private async settleRegions(op: OperationRecord, status: OperationStatus): Promise<void> {
    const inFlight: RegionStatus[] = ["creating", "updating", "removing"];
    for (const name of op.subjects) {
      const region = await this.o.store.getRegion(name);
      if (!region || region.lastOperationId !== op.id) continue;
      if (status === "succeeded") {
        if (!region.desired) await this.o.store.deleteRegion(name);
        else await this.o.store.setRegionStatus([name], "ready");
      } else {
        await this.o.store.setRegionStatus([name], status === "failed" ? "failed" : status === "cancelled" ? "cancelled" : "interrupted", {
          onlyIf: inFlight,
        });
      }
    }
  }

  /** Stores an event (masked), then publishes it to live SSE clients, in arrival order. */
  private emit(operationId: string, stepId: string | undefined, e: EngineEvent): Promise<void> {
    const a = this.active.get(operationId);
    const write = async (): Promise<void> => {
      const stored = await this.o.store.appendEvent({
        operationId,
        stepId,
        kind: e.kind,
        message: this.secrets.scrub(e.message),
        urn: e.urn,
        op: e.op,
        severity: e.severity,
      });
      this.o.bus.publish(operationId, { type: "event", event: stored });
    };
    if (!a) return write();
    const next = a.eventChain.then(write, write);
    a.eventChain = next.catch((err: unknown) => {
      this.o.logger.error({ operation: operationId, err: String(err) }, "could not store event");
    });
    return a.eventChain as Promise<void>;
  }
}

/** Region status while an operation of this kind runs. */
export function subjectStatus(kind: OperationKind): RegionStatus {
  return kind === "add" ? "creating" : kind === "remove" ? "removing" : "updating";
}
