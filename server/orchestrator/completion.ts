/**
 * The end of an operation, once the scheduler says it is over: its pending steps are recorded as
 * not run, the operation moves to its final status with an error naming the failed step, its
 * subject regions settle (ready, removed, or failed / cancelled / interrupted), and after the
 * `operation.finished` event the stream's `end` is published.
 */
import type { Logger } from "../logger";
import type { OperationRecord, OperationStatus, RegionStatus, StepRecord } from "../../domain/model";
import type { Store } from "../store/store";
import type { EventBus } from "./eventBus";
import type { OperationEvents } from "./operationEvents";
import type { FinishedOperation } from "./scheduler";

export interface CompletionOptions {
  store: Store;
  bus: EventBus;
  logger: Logger;
  events: OperationEvents;
}

export async function completeOperation(o: CompletionOptions, op: OperationRecord, steps: readonly StepRecord[], end: FinishedOperation): Promise<void> {
  const status = end.status;
  for (const id of end.notRun) {
    const s = steps.find((x) => x.id === id);
    await o.store.transitionStep(op.id, id, ["pending"], "cancelled", {
      note: status === "cancelled" ? "not run: the operation was cancelled" : "not run: an earlier step failed",
    });
    if (s) s.status = "cancelled";
  }
  const failed = steps.find((s) => s.status === (status === "needs_attention" ? "needs_attention" : "failed"));
  const error =
    status === "succeeded"
      ? undefined
      : status === "cancelled"
        ? { code: "cancelled", message: "the operation was cancelled" }
        : status === "needs_attention"
          ? { code: "needs_attention", message: `step ${failed?.id ?? "?"} needs an admin: ${failed?.error?.message ?? "pending operations"}` }
          : { code: failed?.error?.code ?? "step_failed", message: `step ${failed?.id ?? "?"} failed: ${failed?.error?.message ?? "unknown error"}` };
  const finishedAt = new Date().toISOString();
  const moved = await o.store.transitionOperation(op.id, ["queued", "running"], status, { finishedAt, error });
  if (!moved) return;
  op.status = status;
  await settleRegions(o.store, op, status);
  o.logger.info({ operation: op.id, kind: op.kind, status }, "operation finished");
  await o.events.emit(op.id, undefined, {
    kind: "operation.finished",
    message: `${op.kind} ${status}${error ? `: ${error.message}` : ""}`,
    severity: status === "succeeded" ? "info" : "error",
  });
  o.bus.publish(op.id, { type: "end", status });
}

/** Subject regions whose last operation this is: ready (or gone) after success, else its status. */
async function settleRegions(store: Store, op: OperationRecord, status: OperationStatus): Promise<void> {
  const inFlight: RegionStatus[] = ["creating", "updating", "removing"];
  for (const name of op.subjects) {
    const region = await store.getRegion(name);
    if (!region || region.lastOperationId !== op.id) continue;
    if (status === "succeeded") {
      if (!region.desired) await store.deleteRegion(name);
      else await store.setRegionStatus([name], "ready");
    } else {
      await store.setRegionStatus([name], status === "failed" || status === "cancelled" || status === "needs_attention" ? status : "interrupted", {
        onlyIf: inFlight,
      });
    }
  }
}
