/**
 * Records the service keeps, and the words it uses for them: operation kinds, the statuses of
 * operations, steps and regions, and the shape of each stored record. The glossary of these words
 * is at the top of domain/index.ts.
 */
import type { FleetState, PlannedAction } from "./fleet/plan";
import type { RegionSpec } from "./spec/regionSpec";

/**
 * Resources a step changed, counted by Pulumi operation ("create", "update", "same", ...). The same
 * shape as the engine's ChangeSummary, declared here so the domain needs nothing of the engine.
 */
export type ChangeSummary = Record<string, number>;

export const OPERATION_KINDS = ["add", "update", "apply", "remove", "failover", "reconcile", "preview", "refresh", "validate"] as const;
export type OperationKind = (typeof OPERATION_KINDS)[number];

/**
 * `needs_attention`: a step found resource operations a crashed run left pending that the service
 * cannot resolve by itself (a cloud resource whose create may or may not have happened); an admin
 * decides each (POST /stacks/{stack}/pending-operations), then retries.
 */
export const OPERATION_STATUSES = ["queued", "running", "succeeded", "failed", "cancelled", "interrupted", "needs_attention"] as const;
export type OperationStatus = (typeof OPERATION_STATUSES)[number];
/** Statuses an operation can be retried from. */
export const RETRYABLE_STATUSES: readonly OperationStatus[] = ["failed", "cancelled", "interrupted", "needs_attention"];
export const ACTIVE_STATUSES: readonly OperationStatus[] = ["queued", "running"];

export const STEP_STATUSES = ["pending", "running", "succeeded", "failed", "cancelled", "interrupted", "needs_attention", "skipped"] as const;
export type StepStatus = (typeof STEP_STATUSES)[number];
/** A step in one of these lets its dependents start. */
export const STEP_DONE: readonly StepStatus[] = ["succeeded", "skipped"];

export const REGION_STATUSES = ["creating", "updating", "removing", "ready", "failed", "cancelled", "interrupted", "needs_attention"] as const;
export type RegionStatus = (typeof REGION_STATUSES)[number];

export interface ErrorInfo {
  code: string;
  message: string;
}

export interface OperationRecord {
  id: string;
  /** Submission order; operations on overlapping stacks run in this order. */
  seq: number;
  kind: OperationKind;
  status: OperationStatus;
  /** Regions whose desired spec this operation changes (a second change to one of them is a 409). */
  subjects: string[];
  /** Every stack a step of this operation touches. */
  stacks: string[];
  /** The request as accepted (specs only; never secrets). */
  request: unknown;
  /** Fleet state before and after the change; steps build their programs from these. */
  before: FleetState;
  after: FleetState;
  /** Stacks the planner skipped because their inputs did not change. */
  skipped: unknown;
  actor: string;
  attempt: number;
  createdAt: string;
  startedAt?: string | undefined;
  finishedAt?: string | undefined;
  error?: ErrorInfo | undefined;
}

/**
 * An operation without its fleet states: what the API shows of it (GET /operations, GET
 * /operations/{id}). The states are the largest part of a row and only steps need them.
 */
export type OperationSummaryRecord = Omit<OperationRecord, "before" | "after">;

export interface StepRecord {
  operationId: string;
  id: string;
  stack: string;
  action: PlannedAction;
  why: string;
  dependsOn: string[];
  fingerprint?: string | undefined;
  status: StepStatus;
  attempt: number;
  startedAt?: string | undefined;
  finishedAt?: string | undefined;
  durationMs?: number | undefined;
  summary?: ChangeSummary | undefined;
  changes?: { urn: string; op: string }[] | undefined;
  /** Handler notes (e.g. "validate is not available yet"). */
  note?: string | undefined;
  error?: ErrorInfo | undefined;
}

export interface EventRecord {
  id: number;
  operationId: string;
  stepId?: string | undefined;
  at: string;
  kind: string;
  message: string;
  urn?: string | undefined;
  op?: string | undefined;
  severity?: "debug" | "info" | "warning" | "error" | undefined;
}

export type NewEvent = Omit<EventRecord, "id" | "at">;

export interface RegionRecord {
  name: string;
  /** The desired spec (resolved, defaults filled). */
  spec: RegionSpec;
  status: RegionStatus;
  /** False once a removal is accepted: the region is no longer part of the desired fleet. */
  desired: boolean;
  lastOperationId?: string | undefined;
  createdAt: string;
  updatedAt: string;
}

/** What the service last applied to a stack. Outputs are stored masked. */
export interface StackRecord {
  name: string;
  fingerprint?: string | undefined;
  outputs: Record<string, unknown>;
  updatedAt: string;
}

/**
 * A resource operation an engine run started and never recorded as finished (the run was killed):
 * Pulumi's own record, kept in the stack's checkpoint until it is resolved.
 */
export interface PendingOperationRecord {
  urn: string;
  /** Resource type token, e.g. `aws:rds/instance:Instance`. */
  type: string;
  /** What was under way: `creating`, `updating`, `deleting`, `reading`, `importing`. */
  operation: string;
  /** The provider's id of the resource, when one was known (never for a create). */
  id?: string | undefined;
  /** False for a component resource (no provider behind it). */
  custom?: false | undefined;
}

export interface AuditRecord {
  id: number;
  at: string;
  actor: string;
  role: string;
  method: string;
  path: string;
  status: number;
  operationId?: string | undefined;
}
export type NewAudit = Omit<AuditRecord, "id" | "at">;
