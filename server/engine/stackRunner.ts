/**
 * The one narrow port through which the service talks to Pulumi. Everything above it speaks in
 * stacks, programs, steps and events; only the implementation (automationRunner.ts) knows the
 * Automation API, and it turns SDK errors into the domain errors below.
 */
import type { PendingOperationRecord } from "../../domain/model";

export const STEP_ACTIONS = ["up", "preview", "refresh", "destroy"] as const;
export type StepAction = (typeof STEP_ACTIONS)[number];

/** Config values of one stack: plain or secret strings (objects are JSON-encoded by the caller). */
export type StackConfig = Record<string, { value: string; secret?: boolean }>;

/** One engine event, reduced to what the service stores and streams. Never carries secrets in plain text. */
export interface EngineEvent {
  /** Engine event kind: "diagnostic", "resourcePre", "resOutputs", "resOpFailed", "summary", "stdout", ... */
  kind: string;
  /** Human-readable line (masked). */
  message: string;
  /** Resource URN the event is about, when any. */
  urn?: string;
  /** Resource operation (create, update, delete, same, refresh, ...), when any. */
  op?: string;
  severity?: "debug" | "info" | "warning" | "error";
}

/** Counts of resource operations by kind, e.g. `{ create: 3, same: 2 }`. */
export type ChangeSummary = Record<string, number>;

export interface StackOutput {
  value: unknown;
  secret: boolean;
}
export type StackOutputs = Record<string, StackOutput>;

export interface StepResult {
  action: StepAction;
  stack: string;
  summary: ChangeSummary;
  /** Outputs after the step (empty after destroy). Secret values are still present: mask before they leave the service. */
  outputs: StackOutputs;
  /**
   * Resources this step changed or would change (up/preview/destroy), or, for refresh, resources
   * whose real state drifted from the recorded one, with the names of the drifted outputs.
   */
  changes: { urn: string; op: string; keys?: string[] }[];
  durationMs: number;
}

export interface RunOptions {
  /** Called for every engine event as it arrives. */
  onEvent?: (event: EngineEvent) => void;
  /** Aborting cancels the running engine operation. */
  signal?: AbortSignal;
}

/**
 * A resource operation a killed engine run started and never recorded as finished, as Pulumi keeps
 * it in the stack's checkpoint: the domain's record of it (the store keeps the same shape).
 */
export type PendingOperation = PendingOperationRecord;

/** Pending operations in a message: `creating aws:rds/instance:Instance db, updating …` (the URNs are in GET /stacks/{name}/pending-operations). */
export function describePending(ops: readonly PendingOperation[]): string {
  return ops.map((o) => `${o.operation} ${o.type} ${o.urn.slice(o.urn.lastIndexOf("::") + 2)}`).join(", ");
}

/** What `resolvePending` did: operations resolved against reality, and those only an admin can decide. */
export interface PendingResolution {
  resolved: PendingOperation[];
  remaining: PendingOperation[];
}

/** An admin's decision on one pending create: the create happened (import it by id) or did not (clear it). */
export type PendingDecision = { urn: string; action: "import"; id: string } | { urn: string; action: "clear" };

/**
 * What `decidePending` did: what is still pending, or, when the decisions do not cover each pending
 * create of the stack exactly once, why it refused (nothing changed).
 */
export type PendingDecisionResult =
  | { remaining: PendingOperation[] }
  | { refused: { undecided: string[]; notPending: string[]; twice: string[] } };

/** One step's subject: a stack and its config. The stack's program follows from its name and config. */
export interface StackRunRequest {
  stack: string;
  config: StackConfig;
}

export interface StackRunner {
  /** Create or update the stack to match the program. */
  up(req: StackRunRequest, opts?: RunOptions): Promise<StepResult>;
  /** Show what `up` would change, changing nothing. */
  preview(req: StackRunRequest, opts?: RunOptions): Promise<StepResult>;
  /**
   * Read real state and report drift (changes), like `pulumi refresh`: no resource is changed, the
   * stack's recorded state is updated to what was read, so a following `up` repairs the drift.
   */
  refresh(req: StackRunRequest, opts?: RunOptions): Promise<StepResult>;
  /** Destroy every resource of the stack and remove the stack. A missing stack is a no-op. */
  destroy(req: StackRunRequest, opts?: RunOptions): Promise<StepResult>;
  /** Current outputs of a stack, or undefined when the stack does not exist. */
  outputs(stack: string): Promise<StackOutputs | undefined>;
  /**
   * After a crash: removes the stack lock a killed run left (Pulumi's own cancel) and returns the
   * resource operations it left pending. Never drops them: see resolvePending and decidePending.
   */
  recover(stack: string): Promise<PendingOperation[]>;
  /** The resource operations pending in the stack's checkpoint (none when the stack does not exist). */
  pendingOperations(stack: string): Promise<PendingOperation[]>;
  /**
   * Resolves pending operations against reality, as Pulumi intends: a refresh reads every resource
   * with an id (settling pending updates and deletes); pending creates of plugins whose creates
   * adopt (OwnPlugin.createsAdopt) are cleared and re-run at once by an `up` of `req`, which adopts
   * what the interrupted create left. Creates of other providers (cloud resources that may or may
   * not exist) stay pending: they are returned as `remaining`, for an admin to decide.
   */
  resolvePending(req: StackRunRequest, opts?: RunOptions): Promise<PendingResolution>;
  /**
   * Applies an admin's decisions, which must cover every pending create of the stack exactly once
   * (Pulumi clears pending creates per stack): all are cleared, then those the admin says exist are
   * imported by id.
   */
  decidePending(stack: string, decisions: readonly PendingDecision[], opts?: RunOptions): Promise<PendingDecisionResult>;
  /** Names of the stacks that exist in the backend. */
  listStacks(): Promise<string[]>;
  /**
   * About to run up to `parallel` steps at once: a runner with engine processes to start may start
   * them now, off the path of the steps that will need them. A hint; nothing waits for it.
   */
  prepare?(parallel: number): void;
  /** Releases what the runner holds (its engine host processes), when it holds anything. */
  close?(): Promise<void>;
}

/** The stack is locked by another update (Pulumi's ConcurrentUpdateError). */
export class StackBusyError extends Error {
  constructor(readonly stackName: string, message: string) {
    super(message);
    this.name = "StackBusyError";
  }
}

/** The engine failed running a step; `message` is the engine's own explanation (masked). */
export class StepFailedError extends Error {
  constructor(readonly stackName: string, readonly action: StepAction, message: string) {
    super(message);
    this.name = "StepFailedError";
  }
}

/** The step was cancelled through its AbortSignal. */
export class StepCancelledError extends Error {
  constructor(readonly stackName: string, readonly action: StepAction) {
    super(`${action} of stack ${stackName} was cancelled`);
    this.name = "StepCancelledError";
  }
}
