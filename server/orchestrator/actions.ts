/**
 * Action handlers: what the orchestrator does for each step action. `up`, `preview`, `refresh` and
 * `destroy` call the engine. `promote` and `validate` are the seam for the drills:
 *
 * - `promote` (failover): the default runs `up` on the target stack with the after-state config
 *   (the program itself switches the region to primary). A drill-aware handler can first promote
 *   PostgreSQL (`pg_promote()`), check LSNs, and only then run `up`.
 * - `validate` (consistency): the default reports "not available" and skips; a real handler runs the
 *   runbook's checks (replication lag, row counts, checksums) and fails the step when they disagree.
 *
 * Register replacements with `createActionHandlers({ promote: myPromote, validate: myValidate })`
 * and pass the result to the orchestrator as `handlers`. A handler gets the step, the operation,
 * the fleet state the step should see, the engine, an event sink and the abort signal.
 */
import type { EngineEvent, StackRunner, StepResult } from "../engine/stackRunner";
import type { FleetState, PlanAction, StackProgram } from "../domain";
import type { OperationRecord, StepRecord } from "../../domain/model";

export interface ActionContext {
  operation: OperationRecord;
  step: StepRecord;
  /** The fleet state this step applies (after-state; before-state for destroy). */
  state: FleetState;
  runner: StackRunner;
  /** Builds the program and config of a stack in a fleet state. */
  stackProgram(stack: string, state: FleetState): StackProgram;
  /** Records and streams an event of this step (engine events go through here too). */
  emit(event: EngineEvent): void;
  signal: AbortSignal;
  /**
   * Set when the step started early, while the steps it depends on still run: settles once they
   * are done (rejects when one of them did not succeed). Pass it on to the runner (RunOptions.ready),
   * or await it before acting.
   */
  ready?: Promise<void> | undefined;
}

export interface ActionOutcome {
  /** `skipped`: the handler chose not to act (it says why in `note`). */
  status: "succeeded" | "skipped";
  result?: StepResult | undefined;
  note?: string | undefined;
}

export type ActionHandler = (ctx: ActionContext) => Promise<ActionOutcome>;
export type ActionHandlers = Record<PlanAction, ActionHandler>;

function engineAction(action: "up" | "preview" | "refresh" | "destroy"): ActionHandler {
  return async (ctx) => {
    const { program, config } = ctx.stackProgram(ctx.step.stack, ctx.state);
    const req = { stack: ctx.step.stack, program, config, source: { state: ctx.state } };
    const opts = { onEvent: (e: EngineEvent) => { ctx.emit(e); }, signal: ctx.signal, ...(ctx.ready ? { ready: ctx.ready } : {}) };
    const result = await ctx.runner[action](req, opts);
    return { status: "succeeded", result };
  };
}

/** Default `promote`: apply the after-state (where the target is primary) with `up`. */
export const defaultPromote: ActionHandler = async (ctx) => {
  await ctx.ready;
  ctx.emit({ kind: "promote", message: `promoting ${ctx.step.stack}: applying the after-state with up`, severity: "info" });
  return engineAction("up")(ctx);
};

/** Default `validate`: not available yet; the step is skipped with a note. */
export const defaultValidate: ActionHandler = async (ctx) => {
  await ctx.ready;
  const note = "cross-region consistency checks are not available yet (no validate handler registered)";
  ctx.emit({ kind: "validate", message: `${ctx.step.stack}: ${note}`, severity: "warning" });
  return { status: "skipped", note };
};

export function createActionHandlers(overrides: Partial<ActionHandlers> = {}): ActionHandlers {
  return {
    up: engineAction("up"),
    preview: engineAction("preview"),
    refresh: engineAction("refresh"),
    destroy: engineAction("destroy"),
    promote: defaultPromote,
    validate: defaultValidate,
    ...overrides,
  };
}

/** Which fleet state a step's program is built from. */
export function stateForStep(op: OperationRecord, action: PlanAction): FleetState {
  return action === "destroy" ? op.before : op.after;
}
