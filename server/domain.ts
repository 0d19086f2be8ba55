/**
 * The domain as the service needs it: spec resolution, planning and stack programs, behind one
 * small interface. The concrete implementation (fleetDomain.ts) binds domain/spec, domain/fleet and
 * the program factories; unit tests may pass a fake.
 */
import type { PulumiFn } from "@pulumi/pulumi/automation";
import type { StackConfig } from "./engine/stackRunner";
import type { Provider, RegionSpec } from "../domain/spec/regionSpec";
import type { FleetSettings } from "../domain/spec/fleetSettings";
import type { FieldIssue, ResolveOptions, ResolveResult } from "../domain/spec/validateRegion";
import type { ChangeRequest, FleetState, Plan, PlannedAction, PlannedStep } from "../domain/fleet/plan";

export { PlanError, FLEET_PSEUDO_STACK } from "../domain/fleet/plan";
export type { RegionSpec, Provider, FleetSettings, FieldIssue, ResolveOptions, ResolveResult, ChangeRequest, FleetState, Plan, PlannedStep };
export type PlanAction = PlannedAction;

/** What the engine needs to run one stack: its program and its config values. */
export interface StackProgram {
  program: PulumiFn;
  config: StackConfig;
}

export interface FleetDomain {
  /** Validates a spec and resolves it against the fleet (provider, CIDR, ports, geo). */
  resolveRegionSpec(input: unknown, fleet: readonly RegionSpec[], mode: "create" | "update", opts: ResolveOptions): ResolveResult;
  /** Plans a change; throws PlanError (not-found / conflict) when the fleet cannot take it. */
  plan(state: FleetState, change: ChangeRequest, lastApplied: Readonly<Record<string, string>>): Plan;
  /** The program and config of one stack in one fleet state. */
  stackProgram(stack: string, state: FleetState): StackProgram;
  /** JSON Schema of the region spec (for OpenAPI). */
  regionSpecJsonSchema(): object;
}
