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
 * the fleet state the step should see, the engine (run an action on the step's stack), an event
 * sink and the abort signal.
 */
import type { EngineEvent, StepAction, StepResult } from "../engine/stackRunner";
import type { FleetState, PlanAction } from "../domain";
import type { OperationRecord, StepRecord } from "../../domain/model";

export interface ActionContext {
  operation: OperationRecord;
  step: StepRecord;
  /** The fleet state this step applies (after-state; before-state for destroy). */
  state: FleetState;
  /**
   * Runs `action` on the step's stack with the program and config of `state`, streaming the
   * engine's events to `emit` and honouring `signal`.
   */
  engine(action: StepAction): Promise<StepResult>;
  /** Records and streams an event of this step (engine events go through here too). */
  emit(event: EngineEvent): void;
  signal: AbortSignal;
}

export interface ActionOutcome {
  /** `skipped`: the handler chose not to act (it says why in `note`). */
  status: "succeeded" | "skipped";
  result?: StepResult | undefined;
  note?: string | undefined;
}

export type ActionHandler = (ctx: ActionContext) => Promise<ActionOutcome>;
export type ActionHandlers = Record<PlanAction, ActionHandler>;

function engineAction(action: StepAction): ActionHandler {
  return async (ctx) => ({ status: "succeeded", result: await ctx.engine(action) });
}

/** Default `promote`: apply the after-state (where the target is primary) with `up`. */
export const defaultPromote: ActionHandler = (ctx) => {
  ctx.emit({ kind: "promote", message: `promoting ${ctx.step.stack}: applying the after-state with up`, severity: "info" });
  return engineAction("up")(ctx);
};

/** Default `validate`: not available yet; the step is skipped with a note. */
export const defaultValidate: ActionHandler = (ctx) => {
  const note = "cross-region consistency checks are not available yet (no validate handler registered)";
  ctx.emit({ kind: "validate", message: `${ctx.step.stack}: ${note}`, severity: "warning" });
  return Promise.resolve({ status: "skipped", note });
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
