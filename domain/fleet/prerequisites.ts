/**
 * Which other stacks a stack's program reads, so a step of a later operation does not start while
 * an earlier operation is still changing them. Taken from the topology the programs themselves
 * follow (topology.ts), in the fleet view the stack's config would carry:
 * - `global` reads every region stack (origins, health endpoints); the fleet-wide validate step
 *   (pseudo-stack `fleet`) reads every stack (`fleetStacks`);
 * - a region reads the primary's stack (database source, Redis, credentials: `fleet.primary`);
 * - an aws region also reads the stack of each peer whose link it owns (`linksOwnedBy`: every
 *   older region, the home region among them). Local regions have no peering, so two local
 *   replicas can be added side by side.
 */
import { buildFleetView } from "../spec/validateRegion";
import { GLOBAL_STACK } from "../spec/regionSpec";
import { FLEET_PSEUDO_STACK, type FleetState } from "./plan";
import { fleetStacks, linksOwnedBy } from "./topology";

/** The stacks `stack` reads in `state` (a sound fleet: one primary), without itself. */
export function prerequisiteStacks(stack: string, state: FleetState): string[] {
  const fleet = buildFleetView(state.specs, state.settings, state.localRoot);
  if (stack === FLEET_PSEUDO_STACK) return fleetStacks(fleet);
  if (stack === GLOBAL_STACK) return fleetStacks(fleet).filter((s) => s !== GLOBAL_STACK);
  const out = new Set<string>();
  if (fleet.primary !== "" && fleet.primary !== stack) out.add(fleet.primary);
  const self = fleet.regions.find((r) => r.name === stack);
  if (self?.provider === "aws") {
    for (const link of linksOwnedBy(fleet, stack)) out.add(link.peer);
  }
  return [...out];
}
