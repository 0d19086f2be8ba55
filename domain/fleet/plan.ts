/**
 * Pure operation planning: given the fleet as it is and a requested change, the ordered DAG of
 * stack steps (stack, action, why) and the fleet as it will be.
 *
 * Ordering (also described in docs/architecture.md):
 * - add / update / apply / reconcile: `up` the primary region first, then every replica region in parallel
 *   (each depends only on the primary's step, or on nothing when the primary is skipped), `global`
 *   last (depends on every region step).
 * - remove X: drain first: `up global` (fleet without X), then `destroy X`, then `up` the remaining
 *   regions (primary first, replicas in parallel). The primary cannot be removed: fail over first.
 * - failover to Y: `promote Y`, then `up` every other region in parallel (re-point), then `up global`
 *   (moves the GLB fallback pool).
 * - preview X: one preview step; refresh: every stack in parallel; validate: one fleet-wide step.
 *
 * A region stack's inputs are its spec plus the fleet view, so a fleet change (a new peer, a new
 * primary) changes every region's inputs. An `up` step is skipped when the fingerprint of the
 * stack's inputs after the change equals the fingerprint of its last successful `up`.
 */
import { createHash } from "node:crypto";
import type { FleetSettings } from "../spec/fleetSettings";
import { GLOBAL_STACK, type RegionSpec } from "../spec/regionSpec";
import type { GlobalStackConfig, RegionStackConfig } from "../spec/stackConfig";
import { buildFleetView, fleetViolations } from "../spec/validateRegion";
import { globalStackConfigValues, regionStackConfigValues, type ConfigValues } from "../stackConfigEncoding";

export type ChangeRequest =
  | { kind: "add"; spec: RegionSpec }
  | { kind: "update"; spec: RegionSpec }
  /** Several regions at once: each spec adds a new region or replaces an existing one's spec. */
  | { kind: "apply"; specs: RegionSpec[] }
  | { kind: "remove"; name: string }
  | { kind: "failover"; to: string }
  | { kind: "reconcile" }
  | { kind: "preview"; name: string }
  | { kind: "refresh" }
  | { kind: "validate" };

export type PlannedAction = "up" | "preview" | "refresh" | "destroy" | "promote" | "validate";

/** Pseudo-stack of the fleet-wide validate step. */
export const FLEET_PSEUDO_STACK = "fleet";

export interface PlannedStep {
  /** `${action}:${stack}`, e.g. "up:eu-west-1". */
  id: string;
  /** Region name, "global", or "fleet" for validate. */
  stack: string;
  action: PlannedAction;
  /** Human-readable reason, stored with the step. */
  why: string;
  /** Ids of the steps that must succeed first. */
  dependsOn: string[];
  /**
   * For up and promote steps: fingerprint of the stack's inputs after the change. Record it as the
   * stack's last applied fingerprint when the step succeeds.
   */
  fingerprint?: string;
}

export interface FleetState {
  /** Resolved specs, oldest first. */
  specs: RegionSpec[];
  settings: FleetSettings;
  localRoot?: string;
}

export interface Plan {
  /** In a valid execution order (every step after its dependencies). */
  steps: PlannedStep[];
  /** The fleet once every step succeeded. */
  after: FleetState;
  /** Stacks whose up was skipped because their inputs did not change. */
  skipped: { stack: string; why: string }[];
}

/** A change that cannot be planned: not-found → 404, conflict → 409. */
export class PlanError extends Error {
  constructor(
    readonly kind: "not-found" | "conflict",
    message: string,
  ) {
    super(message);
    this.name = "PlanError";
  }
}

function canonical(value: unknown): unknown {
  if (Array.isArray(value)) return value.map((v) => (v === undefined ? null : canonical(v)));
  if (typeof value === "object" && value !== null) {
    const out: Record<string, unknown> = {};
    for (const key of Object.keys(value).sort()) {
      const v = (value as Record<string, unknown>)[key];
      if (v !== undefined) out[key] = canonical(v);
    }
    return out;
  }
  return value;
}

/** sha256 (hex) of the canonical JSON of `value`: object keys sorted, undefined members dropped. */
export function fingerprint(value: unknown): string {
  // JSON.stringify yields undefined (despite its type) for undefined and functions; keep those hashable.
  const json = value === undefined || typeof value === "function" ? "undefined" : JSON.stringify(canonical(value));
  return createHash("sha256").update(json).digest("hex");
}

/** What the stack's config will hold in `state`: region stacks get their spec plus the fleet view. */
export function stackInputs(stack: string, state: FleetState): RegionStackConfig | GlobalStackConfig {
  const fleet = buildFleetView(state.specs, state.settings, state.localRoot);
  if (stack === GLOBAL_STACK) return { fleet };
  const region = state.specs.find((s) => s.name === stack);
  if (!region) throw new PlanError("not-found", `region "${stack}" does not exist`);
  return { region, fleet };
}

/** The config values of `stack` in `state`: with the stack's name, all the engine needs to run it. */
export function stackConfigValues(stack: string, state: FleetState): ConfigValues {
  const inputs = stackInputs(stack, state);
  return "region" in inputs ? regionStackConfigValues(inputs) : globalStackConfigValues(inputs);
}

const stepId = (action: PlannedAction, stack: string) => `${action}:${stack}`;

interface UpOptions {
  /** Reason prefix naming the change. */
  label: string;
  /** Steps every first-wave step depends on. */
  after: string[];
  /** Region stacks not to up (e.g. the one just promoted). */
  except?: string;
  /** Whether to end with `up global`. */
  withGlobal: boolean;
  /** Stacks whose up runs regardless of fingerprints. */
  force?: ReadonlySet<string>;
}

function reasonFor(stack: string, lastApplied: Readonly<Record<string, string>>): string {
  return lastApplied[stack] === undefined ? "stack not applied yet" : "inputs changed since its last successful up";
}

/** Primary first, replicas in parallel after it, optionally global last; skipping unchanged stacks. */
function upWave(state: FleetState, lastApplied: Readonly<Record<string, string>>, o: UpOptions): Pick<Plan, "steps" | "skipped"> {
  const steps: PlannedStep[] = [];
  const skipped: Plan["skipped"] = [];
  const consider = (stack: string): { fp: string; run: boolean } => {
    const fp = fingerprint(stackInputs(stack, state));
    const run = o.force?.has(stack) === true || lastApplied[stack] !== fp;
    if (!run) skipped.push({ stack, why: `${o.label}: inputs unchanged since its last successful up` });
    return { fp, run };
  };
  const regions = state.specs.filter((s) => s.name !== o.except);
  const primary = regions.find((s) => s.primary);
  let replicaDeps = o.after;
  if (primary) {
    const { fp, run } = consider(primary.name);
    if (run) {
      const id = stepId("up", primary.name);
      steps.push({ id, stack: primary.name, action: "up", why: `${o.label}: ${reasonFor(primary.name, lastApplied)} (primary region, first)`, dependsOn: [...o.after], fingerprint: fp });
      replicaDeps = [id];
    }
  }
  for (const s of regions) {
    if (s === primary) continue;
    const { fp, run } = consider(s.name);
    if (run) {
      steps.push({ id: stepId("up", s.name), stack: s.name, action: "up", why: `${o.label}: ${reasonFor(s.name, lastApplied)}`, dependsOn: [...replicaDeps], fingerprint: fp });
    }
  }
  if (o.withGlobal) {
    const { fp, run } = consider(GLOBAL_STACK);
    if (run) {
      const deps = steps.length > 0 ? steps.map((s) => s.id) : [...o.after];
      steps.push({ id: stepId("up", GLOBAL_STACK), stack: GLOBAL_STACK, action: "up", why: `${o.label}: ${reasonFor(GLOBAL_STACK, lastApplied)} (global load balancer, last)`, dependsOn: deps, fingerprint: fp });
    }
  }
  return { steps, skipped };
}

function requireRegion(state: FleetState, name: string): RegionSpec {
  const spec = state.specs.find((s) => s.name === name);
  if (!spec) throw new PlanError("not-found", `region "${name}" does not exist`);
  return spec;
}

function checkAfter(after: FleetState): FleetState {
  const violations = fleetViolations(after.specs);
  if (violations.length > 0) throw new PlanError("conflict", `the change would leave an unsound fleet: ${violations.join("; ")}`);
  return after;
}

/**
 * The plan for `change` applied to `state`. `lastApplied` maps a stack name to the fingerprint of
 * the inputs of its last successful up (missing = never applied).
 * @throws PlanError not-found (unknown region) or conflict (region exists, primary removal, unsound result)
 */
export function planOperation(state: FleetState, change: ChangeRequest, lastApplied: Readonly<Record<string, string>>): Plan {
  switch (change.kind) {
    case "add": {
      const name = change.spec.name;
      if (state.specs.some((s) => s.name === name)) throw new PlanError("conflict", `region "${name}" already exists`);
      const after = checkAfter({ ...state, specs: [...state.specs, change.spec] });
      const wave = upWave(after, lastApplied, { label: `add region ${name}`, after: [], withGlobal: true, force: new Set([name]) });
      return { ...wave, after };
    }
    case "update": {
      const name = change.spec.name;
      const before = requireRegion(state, name);
      if (before.primary !== change.spec.primary) throw new PlanError("conflict", "the primary changes only through failover");
      const after = checkAfter({ ...state, specs: state.specs.map((s) => (s.name === name ? change.spec : s)) });
      const wave = upWave(after, lastApplied, { label: `update region ${name}`, after: [], withGlobal: true });
      return { ...wave, after };
    }
    case "apply": {
      const existing = new Map(state.specs.map((s) => [s.name, s]));
      const listed = new Map<string, RegionSpec>();
      for (const spec of change.specs) {
        if (listed.has(spec.name)) throw new PlanError("conflict", `region "${spec.name}" is listed twice`);
        listed.set(spec.name, spec);
        const before = existing.get(spec.name);
        if (before && before.primary !== spec.primary) throw new PlanError("conflict", `region "${spec.name}": the primary changes only through failover`);
      }
      const added = change.specs.filter((s) => !existing.has(s.name));
      const after = checkAfter({ ...state, specs: [...state.specs.map((s) => listed.get(s.name) ?? s), ...added] });
      const label = `apply ${change.specs.map((s) => s.name).join(", ")}`;
      const wave = upWave(after, lastApplied, { label, after: [], withGlobal: true, force: new Set(added.map((s) => s.name)) });
      return { ...wave, after };
    }
    case "reconcile": {
      checkAfter(state);
      const wave = upWave(state, lastApplied, { label: "reconcile", after: [], withGlobal: true });
      return { ...wave, after: state };
    }
    case "remove": {
      const victim = requireRegion(state, change.name);
      if (victim.primary) {
        throw new PlanError("conflict", `region "${victim.name}" is the primary: fail over to another region first`);
      }
      const after = checkAfter({ ...state, specs: state.specs.filter((s) => s.name !== victim.name) });
      const label = `remove region ${victim.name}`;
      const globalId = stepId("up", GLOBAL_STACK);
      const destroyId = stepId("destroy", victim.name);
      const steps: PlannedStep[] = [
        { id: globalId, stack: GLOBAL_STACK, action: "up", why: `${label}: drain it from the global load balancer first`, dependsOn: [], fingerprint: fingerprint(stackInputs(GLOBAL_STACK, after)) },
        { id: destroyId, stack: victim.name, action: "destroy", why: `${label}: destroy its stack once drained (its peering links, replica, slot and cluster go with it)`, dependsOn: [globalId] },
      ];
      const wave = upWave(after, lastApplied, { label: `${label}: update the remaining regions`, after: [destroyId], withGlobal: false });
      return { steps: [...steps, ...wave.steps], skipped: wave.skipped, after };
    }
    case "failover": {
      const target = requireRegion(state, change.to);
      if (target.primary) throw new PlanError("conflict", `region "${target.name}" is already the primary (run a reconcile to re-point the others)`);
      const after = checkAfter({ ...state, specs: state.specs.map((s) => ({ ...s, primary: s.name === target.name })) });
      const replicas = after.specs.length - 1;
      for (const key of ["maxReplicationSlots", "maxWalSenders"] as const) {
        if (target.postgres[key] < replicas) {
          throw new PlanError("conflict", `region "${target.name}" has postgres.${key} ${target.postgres[key]} but as primary needs ${replicas} (one per replica region); update it first`);
        }
      }
      const label = `failover to ${target.name}`;
      const promoteId = stepId("promote", target.name);
      const promote: PlannedStep = {
        id: promoteId, stack: target.name, action: "promote",
        why: `${label}: promote its database and Redis to primary`, dependsOn: [], fingerprint: fingerprint(stackInputs(target.name, after)),
      };
      const others = after.specs.filter((s) => s.name !== target.name).map((s) => s.name);
      const wave = upWave(after, lastApplied, { label: `${label}: re-point to the new primary`, after: [promoteId], except: target.name, withGlobal: false, force: new Set(others) });
      const globalId = stepId("up", GLOBAL_STACK);
      const global: PlannedStep = {
        id: globalId, stack: GLOBAL_STACK, action: "up", why: `${label}: move the load balancer's fallback pool to ${target.name}`,
        dependsOn: wave.steps.length > 0 ? wave.steps.map((s) => s.id) : [promoteId], fingerprint: fingerprint(stackInputs(GLOBAL_STACK, after)),
      };
      return { steps: [promote, ...wave.steps, global], skipped: wave.skipped, after };
    }
    case "preview": {
      if (change.name !== GLOBAL_STACK) requireRegion(state, change.name);
      return { steps: [{ id: stepId("preview", change.name), stack: change.name, action: "preview", why: `preview of ${change.name}: what an up would change`, dependsOn: [] }], after: state, skipped: [] };
    }
    case "refresh": {
      const stacks = [...state.specs.map((s) => s.name), GLOBAL_STACK];
      return { steps: stacks.map((stack) => ({ id: stepId("refresh", stack), stack, action: "refresh", why: "drift check: compare recorded state with reality", dependsOn: [] })), after: state, skipped: [] };
    }
    case "validate":
      return { steps: [{ id: stepId("validate", FLEET_PSEUDO_STACK), stack: FLEET_PSEUDO_STACK, action: "validate", why: "cross-region consistency checks (replication, row counts, checksums)", dependsOn: [] }], after: state, skipped: [] };
  }
}
