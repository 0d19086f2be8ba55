/**
 * Which other stacks a stack's program reads, so a step of a later operation does not start while
 * an earlier operation is still changing them:
 * - `global` reads every region stack (origins, health endpoints); the fleet-wide validate step
 *   (pseudo-stack `fleet`) reads every stack;
 * - a region reads the primary's stack (database source, Redis, credentials);
 * - an aws region also reads the older regions' stacks (VPC peering: the younger region owns each
 *   link). Local regions have no peering, so two local replicas can be added side by side.
 */
import { GLOBAL_STACK } from "../spec/regionSpec";
import { FLEET_PSEUDO_STACK, type FleetState } from "./plan";

export function prerequisiteStacks(stack: string, state: FleetState): string[] {
  if (stack === GLOBAL_STACK) return state.specs.map((s) => s.name);
  if (stack === FLEET_PSEUDO_STACK) return [...state.specs.map((s) => s.name), GLOBAL_STACK];
  const index = state.specs.findIndex((s) => s.name === stack);
  const self = state.specs[index];
  const primary = state.specs.find((s) => s.primary);
  const out = new Set<string>();
  if (primary && primary.name !== stack) out.add(primary.name);
  if (self?.provider === "aws") {
    for (const older of state.specs.slice(0, index)) out.add(older.name);
  }
  return [...out];
}
