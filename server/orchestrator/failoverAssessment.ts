/**
 * Whether a failover request may be recorded: the split-brain check (server/drills/failoverCheck.ts)
 * asked before anything is written, so a refused failover leaves no operation behind. The promote
 * step checks again when it runs (and logs the WAL positions it saw).
 *
 * The check is asked only when it can say something: the target exists and is not the primary yet
 * (an unknown target or one that already is primary is answered by the planner), and the probe
 * knows the target's kind of region (the local target's probe answers `undefined` for others).
 */
import type { FleetState } from "../domain";
import { refusalMessage, type FailoverAssessment } from "../drills/failoverCheck";
import { ConflictError } from "../errors";

/** The split-brain check of a failover to `to` in `state`; undefined when it has nothing to say. */
export interface FailoverProbe {
  assessFailover(state: FleetState, to: string, force: boolean): Promise<FailoverAssessment | undefined>;
}

/** The probe's verdict on a failover to `to`, or undefined when there is nothing to check. */
export async function assessFailoverRequest(probe: FailoverProbe, state: FleetState, to: string, force: boolean): Promise<FailoverAssessment | undefined> {
  const target = state.specs.find((s) => s.name === to);
  if (!target || target.primary) return undefined;
  return probe.assessFailover(state, to, force);
}

/** The 409 for a refused failover: every problem and the positions seen, in message and details. */
export function failoverRefusal(a: FailoverAssessment): ConflictError {
  return new ConflictError(refusalMessage(a), { reason: "failover_refused", problems: a.problems, positions: a.seen });
}
