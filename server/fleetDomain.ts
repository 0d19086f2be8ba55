/**
 * The concrete FleetDomain: the spec resolver, the planner and each stack's config in a fleet
 * state, from domain/. Built in main.ts (and in the offline-plan child process).
 */
import { planOperation, stackConfigValues } from "../domain/fleet/plan";
import { regionSpecJsonSchema, resolveRegionSpec } from "../domain/spec/validateRegion";
import type { FleetDomain } from "./domain";

export function createFleetDomain(): FleetDomain {
  return { resolveRegionSpec, plan: planOperation, stackConfig: stackConfigValues, regionSpecJsonSchema };
}
