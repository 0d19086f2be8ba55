/**
 * The store: durable regions, operations, steps, events and audit entries. One interface, one
 * implementation per database (sqliteStore.ts today; a PostgreSQL store can follow). Methods are
 * async so a networked database fits the same shape.
 *
 * Status changes are conditional (`… WHERE status IN (from)`) and report whether they won, so two
 * workers can never both move the same operation or step.
 */
import type {
  AuditRecord,
  EventRecord,
  NewAudit,
  NewEvent,
  OperationKind,
  OperationRecord,
  OperationStatus,
  OperationSummaryRecord,
  PendingOperationRecord,
  RegionRecord,
  RegionStatus,
  StackRecord,
  StepRecord,
  StepStatus,
} from "../../domain/model";
import type { RegionSpec } from "../domain";

/** Region rows an accepted operation writes, in the same transaction as the operation. */
export interface RegionWrites {
  /** Specs to insert or replace (new regions get `status`, existing ones keep their creation order). */
  upsert: { spec: RegionSpec; status?: RegionStatus | undefined }[];
  /** Regions leaving the desired fleet (removal accepted). */
  remove: string[];
  /** Status changes of the operation's subject regions. */
  status: { name: string; status: RegionStatus }[];
}

export interface OperationQuery {
  limit: number;
  /** Only operations submitted before this seq (cursor for paging back). */
  beforeSeq?: number | undefined;
  status?: OperationStatus | undefined;
  kind?: OperationKind | undefined;
  region?: string | undefined;
}

export type OperationPatch = Partial<Pick<OperationRecord, "startedAt" | "finishedAt" | "error">>;
export type StepPatch = Partial<
  Pick<StepRecord, "startedAt" | "finishedAt" | "durationMs" | "summary" | "changes" | "error" | "note" | "attempt">
>;

export interface StoreMetrics {
  operations: { kind: string; status: string; count: number }[];
  /** Finished step durations by action, bucketed (seconds, cumulative le) for a histogram. */
  stepDurations: { action: string; buckets: { le: number; count: number }[]; count: number; sumSeconds: number }[];
}

export interface InterruptedWork {
  operations: string[];
  stacks: string[];
}

/** What a region view shows: the region, its applied outputs and its last operation's head. */
export interface RegionState {
  region: RegionRecord;
  /** Masked outputs of the region's last successful `up` ({} before its first). */
  outputs: Record<string, unknown>;
  lastOperation?: Pick<OperationRecord, "id" | "kind" | "status"> | undefined;
}

export interface Store {
  // regions
  listRegions(): Promise<RegionRecord[]>;
  getRegion(name: string): Promise<RegionRecord | undefined>;
  /** Region views' data in one query: every region in order, or the one named (empty if none). */
  regionStates(name?: string): Promise<RegionState[]>;
  setRegionStatus(names: string[], status: RegionStatus, opts?: { onlyIf?: RegionStatus[] }): Promise<void>;
  /** Deletes a region row (after its removal succeeded). */
  deleteRegion(name: string): Promise<void>;

  // stacks (what was last applied)
  getStack(name: string): Promise<StackRecord | undefined>;
  listStacks(): Promise<StackRecord[]>;
  /** Records a successful `up` (fingerprint and masked outputs). */
  putStack(name: string, fingerprint: string | undefined, outputs: Record<string, unknown>): Promise<void>;
  deleteStack(name: string): Promise<void>;
  /**
   * Stacks known to hold resource operations a killed engine run left pending (all, or the one
   * named), with those operations as last read from the stack.
   */
  pendingOperations(stack?: string): Promise<Map<string, PendingOperationRecord[]>>;
  /** Records what a stack holds pending; an empty list clears the mark. */
  setPendingOperations(stack: string, operations: readonly PendingOperationRecord[]): Promise<void>;

  // operations and steps
  /** Records an accepted operation, its steps and its region writes in one transaction. */
  createOperation(op: Omit<OperationRecord, "seq">, steps: StepRecord[], writes: RegionWrites): Promise<OperationRecord>;
  getOperation(id: string): Promise<OperationRecord | undefined>;
  /** The operation without its fleet states (not read, not parsed). */
  getOperationSummary(id: string): Promise<OperationSummaryRecord | undefined>;
  listOperations(q: OperationQuery): Promise<OperationSummaryRecord[]>;
  /** Queued and running operations, oldest first. */
  listActiveOperations(): Promise<OperationRecord[]>;
  /** Most recent operation whose subjects include the region. */
  lastOperationFor(region: string): Promise<OperationRecord | undefined>;
  /** Operations submitted after `seq` that touch any of `stacks`. */
  laterOperationsTouching(seq: number, stacks: string[]): Promise<OperationRecord[]>;
  transitionOperation(id: string, from: readonly OperationStatus[], to: OperationStatus, patch?: OperationPatch): Promise<boolean>;
  listSteps(operationId: string): Promise<StepRecord[]>;
  transitionStep(operationId: string, stepId: string, from: readonly StepStatus[], to: StepStatus, patch?: StepPatch): Promise<boolean>;
  /** Re-queues a finished operation: steps not yet done go back to pending. False when not retryable. */
  requeueOperation(id: string, from: readonly OperationStatus[]): Promise<boolean>;
  /** On start: every queued or running operation becomes `interrupted`; returns them and their stacks. */
  interruptActive(now: string): Promise<InterruptedWork>;

  // events
  appendEvent(event: NewEvent): Promise<EventRecord>;
  listEvents(operationId: string, afterId: number, limit: number): Promise<EventRecord[]>;

  // audit
  appendAudit(entry: NewAudit): Promise<AuditRecord>;
  listAudit(limit: number, beforeId?: number): Promise<AuditRecord[]>;

  metrics(): Promise<StoreMetrics>;
  /**
   * A small write that needs space of its own, committed and then undone: resolves once the store
   * can take writes again (storeHealth.ts probes with it while degraded).
   */
  checkWritable(): Promise<void>;
  close(): Promise<void>;
}
