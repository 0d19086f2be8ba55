/**
 * The concrete FleetDomain: the spec resolver, the planner and the program factories of stacks/.
 * Built in main.ts (and in the offline-plan child process).
 */
import { globalStackConfigValues, regionStackConfigValues } from "../domain/stackConfigEncoding";
import { planOperation, stackInputs } from "../domain/fleet/plan";
import { globalProgram } from "../stacks/global";
import { regionProgram } from "../stacks/region";
import { GLOBAL_STACK } from "../domain/spec/regionSpec";
import type { GlobalStackConfig, RegionStackConfig } from "../domain/spec/stackConfig";
import { regionSpecJsonSchema, resolveRegionSpec } from "../domain/spec/validateRegion";
import type { FleetDomain } from "./domain";

export function createFleetDomain(): FleetDomain {
  return {
    resolveRegionSpec,
    plan: planOperation,
    stackProgram(stack, state) {
      const inputs = stackInputs(stack, state);
      if (stack === GLOBAL_STACK) {
        const cfg: GlobalStackConfig = inputs;
        return { program: globalProgram(cfg), config: globalStackConfigValues(cfg) };
      }
      const cfg = inputs as RegionStackConfig;
      return { program: regionProgram(cfg), config: regionStackConfigValues(cfg) };
    },
    regionSpecJsonSchema,
  };
}
