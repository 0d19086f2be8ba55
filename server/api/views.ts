/** Records → response bodies (see schemas.ts). Nothing here carries secrets: outputs are stored masked. */
import type { z } from "zod";
import type { EventRecord, OperationSummaryRecord, StepRecord, AuditRecord } from "../../domain/model";
import type { RegionState } from "../store/store";
import type { auditView, eventView, operationSummary, operationView, regionView, stepView } from "./schemas";

const defined = <T extends object>(o: T): T => Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as T;

export function toStepView(s: StepRecord): z.output<typeof stepView> {
  return defined({
    id: s.id,
    stack: s.stack,
    action: s.action,
    why: s.why,
    dependsOn: s.dependsOn,
    status: s.status,
    attempt: s.attempt,
    startedAt: s.startedAt,
    finishedAt: s.finishedAt,
    durationMs: s.durationMs,
    summary: s.summary,
    changes: s.changes,
    note: s.note,
    error: s.error,
  });
}

export function toOperationSummary(op: OperationSummaryRecord): z.output<typeof operationSummary> {
  return defined({
    id: op.id,
    kind: op.kind,
    status: op.status,
    subjects: op.subjects,
    stacks: op.stacks,
    request: op.request,
    skipped: op.skipped,
    actor: op.actor,
    attempt: op.attempt,
    createdAt: op.createdAt,
    startedAt: op.startedAt,
    finishedAt: op.finishedAt,
    error: op.error,
    links: { self: `/operations/${op.id}`, events: `/operations/${op.id}/events` },
  });
}

export function toOperationView(op: OperationSummaryRecord, steps: StepRecord[]): z.output<typeof operationView> {
  return { ...toOperationSummary(op), steps: steps.map(toStepView) };
}

export function toRegionView(state: RegionState): z.output<typeof regionView> {
  const r = state.region;
  return defined({
    name: r.name,
    status: r.status,
    primary: r.spec.primary,
    provider: r.spec.provider,
    spec: r.spec,
    outputs: state.outputs,
    lastOperation: state.lastOperation ? { ...state.lastOperation } : undefined,
    createdAt: r.createdAt,
    updatedAt: r.updatedAt,
  });
}

export function toEventView(e: EventRecord): z.output<typeof eventView> {
  return defined({ ...e });
}

export function toAuditView(a: AuditRecord): z.output<typeof auditView> {
  return defined({ ...a });
}
