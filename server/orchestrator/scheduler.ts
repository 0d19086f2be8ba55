/**
 * The scheduler: given the active operations and their steps, which steps may start now and which
 * operations are over. Pure: no I/O, no clock, no promises; the orchestrator feeds it what it knows
 * and carries out the answer.
 *
 * Rules (graphile-worker's "one queue per key", with the stack as the key):
 * - a step starts when the steps it depends on are done (succeeded or skipped); a dependency that
 *   is not part of the operation counts as done;
 * - never two running steps on one stack, across all operations;
 * - operations run in queue order where they overlap: a step waits while an earlier operation
 *   still has an unfinished (pending or running) step on the step's own stack or on a stack it
 *   reads (see `prerequisiteStacks`); an operation that shares no stack with the earlier ones
 *   overtakes them;
 * - at most `maxParallel` steps run at once; earlier operations, and earlier steps of one
 *   operation, get the free slots first;
 * - an operation with a failed, cancelled, interrupted or needs_attention step, or with a cancel
 *   requested, starts nothing more; once none of its steps runs it is over (`needs_attention` when
 *   a step is, else `failed` or `cancelled`) and its pending steps are never run. An operation
 *   whose steps are all done is over too (`succeeded`).
 */
import { STEP_DONE, type StepStatus } from "../../domain/model";

export interface SchedulerStep {
  id: string;
  stack: string;
  dependsOn: readonly string[];
  /** `running` while the orchestrator has the step in hand (from its start to its last store write). */
  status: StepStatus;
  /** The other stacks this step's program reads (an earlier operation must be done with them). */
  reads: readonly string[];
}

export interface SchedulerOperation {
  id: string;
  /** In plan order: with too few slots, earlier steps start first. */
  steps: readonly SchedulerStep[];
  cancelRequested: boolean;
}

export interface SchedulerInput {
  /** The active operations, in queue (submission) order. */
  operations: readonly SchedulerOperation[];
  maxParallel: number;
}

export interface StepToStart {
  operationId: string;
  stepId: string;
}

export interface FinishedOperation {
  operationId: string;
  status: "succeeded" | "failed" | "cancelled" | "needs_attention";
  /** Its pending steps, which will not run. */
  notRun: string[];
}

export interface Schedule {
  /** Steps to start now, in the order to start them. */
  start: StepToStart[];
  /** Operations that are over: nothing of theirs runs and nothing more can start. */
  finished: FinishedOperation[];
  /**
   * How many steps will run at once soon: the wider of the steps running (with those started now)
   * and the next wave (pending steps waiting only on running ones), at most `maxParallel`. A runner
   * that starts engine processes can start them ahead (StackRunner.prepare).
   */
  engines: number;
}

const UNFINISHED: readonly StepStatus[] = ["pending", "running"];
const STOPPING: readonly StepStatus[] = ["failed", "cancelled", "interrupted", "needs_attention"];

/** Whether the operation starts nothing more: a cancel was requested or a step did not succeed. */
export function isStuck(op: SchedulerOperation): boolean {
  return op.cancelRequested || op.steps.some((s) => STOPPING.includes(s.status));
}

/** The operation's final status, once nothing of it runs; undefined while it can still go on. */
export function finalStatus(op: SchedulerOperation): FinishedOperation["status"] | undefined {
  if (op.steps.some((s) => s.status === "running")) return undefined;
  if (op.steps.every((s) => STEP_DONE.includes(s.status))) return "succeeded";
  // An admin has to decide on a stack's pending operations before anything else helps.
  if (op.steps.some((s) => s.status === "needs_attention")) return "needs_attention";
  if (op.cancelRequested) return "cancelled";
  if (op.steps.some((s) => s.status === "failed")) return "failed";
  if (isStuck(op)) return "cancelled";
  return undefined;
}

/** The statuses of a step's dependencies in `op` (by `statusOf`); one outside the operation counts as succeeded. */
function dependencyStatuses(op: SchedulerOperation, statusOf: (s: SchedulerStep) => StepStatus): (step: SchedulerStep) => StepStatus[] {
  const byId = new Map(op.steps.map((s) => [s.id, s]));
  return (step) => step.dependsOn.map((d) => {
    const dep = byId.get(d);
    return dep === undefined ? "succeeded" : statusOf(dep);
  });
}

export function schedule(input: SchedulerInput): Schedule {
  const finished: FinishedOperation[] = [];
  const live: SchedulerOperation[] = [];
  for (const op of input.operations) {
    const status = finalStatus(op);
    if (status === undefined) live.push(op);
    else finished.push({ operationId: op.id, status, notRun: op.steps.filter((s) => s.status === "pending").map((s) => s.id) });
  }

  const started = new Set<string>();
  const key = (op: SchedulerOperation, step: SchedulerStep): string => `${op.id}\u0000${step.id}`;
  const statusOf = (op: SchedulerOperation, step: SchedulerStep): StepStatus => (started.has(key(op, step)) ? "running" : step.status);
  const busy = new Set<string>();
  let running = 0;
  for (const op of live) {
    for (const s of op.steps) {
      if (s.status === "running") {
        busy.add(s.stack);
        running++;
      }
    }
  }

  const start: StepToStart[] = [];
  /** Stacks with an unfinished step in the operations before the one being looked at. */
  const claimed = new Set<string>();
  for (const op of live) {
    if (!isStuck(op)) {
      const deps = dependencyStatuses(op, (s) => s.status);
      for (const step of op.steps) {
        if (running >= input.maxParallel) break;
        if (step.status !== "pending" || busy.has(step.stack)) continue;
        if (!deps(step).every((d) => STEP_DONE.includes(d))) continue;
        if (claimed.has(step.stack) || step.reads.some((s) => claimed.has(s))) continue;
        start.push({ operationId: op.id, stepId: step.id });
        started.add(key(op, step));
        busy.add(step.stack);
        running++;
      }
    }
    for (const s of op.steps) if (UNFINISHED.includes(s.status)) claimed.add(s.stack);
  }

  let nextWave = 0;
  for (const op of live) {
    if (isStuck(op)) continue;
    const depsOf = dependencyStatuses(op, (s) => statusOf(op, s));
    for (const step of op.steps) {
      if (statusOf(op, step) !== "pending") continue;
      const deps = depsOf(step);
      if (deps.includes("running") && deps.every((d) => d === "running" || STEP_DONE.includes(d))) nextWave++;
    }
  }
  return { start, finished, engines: Math.min(input.maxParallel, Math.max(running, nextWave)) };
}
