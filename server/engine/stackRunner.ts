/**
 * The one narrow port through which the service talks to Pulumi. Everything above it speaks in
 * stacks, programs, steps and events; only the implementation (automationRunner.ts) knows the
 * Automation API, and it turns SDK errors into the domain errors below.
 */
import type { PulumiFn } from "@pulumi/pulumi/automation";
import type { FleetState } from "../../domain/fleet/plan";

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
  /**
   * Early start: the runner may do everything that does not depend on other stacks (select the
   * stack, write its config, start the engine) right away, but must not run the program before
   * this settles; when it rejects, the step ends with that error and changes nothing.
   */
  ready?: Promise<void>;
}

export interface StackRunRequest {
  stack: string;
  program: PulumiFn;
  config: StackConfig;
  /**
   * What `program` and `config` were built from (the fleet state of the step). A runner that runs
   * the engine in another process (engineHostRunner.ts) rebuilds the program there from it, since a
   * function cannot cross processes.
   */
  source?: { state: FleetState };
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
  /** Remove stale locks and pending operations a crashed run left behind. */
  recover(stack: string): Promise<void>;
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
