/**
 * The domain as the service needs it: spec resolution, planning and each stack's config, behind
 * one small interface. The concrete implementation (fleetDomain.ts) binds domain/spec and
 * domain/fleet; unit tests may pass a fake.
 */
import type { StackConfig } from "./engine/stackRunner";
import type { Provider, RegionSpec } from "../domain/spec/regionSpec";
import type { FleetSettings } from "../domain/spec/fleetSettings";
import type { FieldIssue, ResolveOptions, ResolveResult } from "../domain/spec/validateRegion";
import type { ChangeRequest, FleetState, Plan, PlannedAction, PlannedStep } from "../domain/fleet/plan";

export { PlanError, FLEET_PSEUDO_STACK } from "../domain/fleet/plan";
export type { RegionSpec, Provider, FleetSettings, FieldIssue, ResolveOptions, ResolveResult, ChangeRequest, FleetState, Plan, PlannedStep };
export type PlanAction = PlannedAction;

export interface FleetDomain {
  /** Validates a spec and resolves it against the fleet (provider, CIDR, ports, geo). */
  resolveRegionSpec(input: unknown, fleet: readonly RegionSpec[], mode: "create" | "update", opts: ResolveOptions): ResolveResult;
  /** Plans a change; throws PlanError (not-found / conflict) when the fleet cannot take it. */
  plan(state: FleetState, change: ChangeRequest, lastApplied: Readonly<Record<string, string>>): Plan;
  /** The config values of one stack in one fleet state: with its name, all the engine needs to run it. */
  stackConfig(stack: string, state: FleetState): StackConfig;
  /** JSON Schema of the region spec (for OpenAPI). */
  regionSpecJsonSchema(): object;
}
