/**
 * Requests to operations: resolves and validates specs against the desired fleet, plans each change
 * once, maps the planner's and resolver's verdicts to the error vocabulary, and hands accepted
 * changes to the orchestrator with their plan. Dry runs plan without recording anything. A failover
 * is first put to the split-brain check (failoverAssessment.ts), when one is registered.
 */
import { PlanError, type ChangeRequest, type FieldIssue, type FleetDomain, type FleetSettings, type FleetState, type Plan, type Provider, type RegionSpec } from "../domain";
import { ConflictError, InputError, NotFoundError } from "../errors";
import type { OperationKind, OperationRecord, RegionRecord, StepRecord } from "../../domain/model";
import type { RegionWrites, Store } from "../store/store";
import { unlessStoreDown } from "../store/storeHealth";
import { assessFailoverRequest, failoverRefusal, type FailoverProbe } from "./failoverAssessment";
import { subjectStatus, type Orchestrator } from "./orchestrator";

export interface FleetServiceOptions {
  store: Store;
  domain: FleetDomain;
  orchestrator: Orchestrator;
  settings: FleetSettings;
  localRoot?: string | undefined;
  defaultProvider: Provider;
  localPortRange?: { start: number; end: number } | undefined;
  /** The split-brain check a failover request must pass before anything is recorded (local target drills). */
  failoverProbe?: FailoverProbe | undefined;
}

export interface Accepted {
  operation: OperationRecord;
  steps: StepRecord[];
  region?: RegionRecord | undefined;
  /** For apply: every region the operation adds or updates. */
  regions?: RegionRecord[] | undefined;
}

/** Most regions one apply may list (the fleet itself has no hard limit). */
export const MAX_APPLY_REGIONS = 20;

export interface DryRun {
  spec?: RegionSpec | undefined;
  /** For apply: every resolved spec, in the order given. */
  specs?: RegionSpec[] | undefined;
  plan: Plan;
  before: FleetState;
}

/** Regions that re-sending an add may complete: their add never finished. */
const UNFINISHED_ADD = new Set(["failed", "cancelled", "interrupted", "needs_attention"]);

export class FleetService {
  constructor(private readonly o: FleetServiceOptions) {}

  /** The desired fleet: every region not being removed, oldest first. */
  async desiredState(): Promise<FleetState> {
    const regions = await this.o.store.listRegions();
    return this.state(regions.filter((r) => r.desired).map((r) => r.spec));
  }

  private state(specs: RegionSpec[]): FleetState {
    return { specs, settings: this.o.settings, ...(this.o.localRoot !== undefined ? { localRoot: this.o.localRoot } : {}) };
  }

  async lastApplied(): Promise<Record<string, string>> {
    const out: Record<string, string> = {};
    for (const s of await this.o.store.listStacks()) if (s.fingerprint !== undefined) out[s.name] = s.fingerprint;
    return out;
  }

  private resolve(body: unknown, fleet: readonly RegionSpec[], mode: "create" | "update"): RegionSpec {
    const res = this.tryResolve(body, fleet, mode);
    if (res.ok) return res.spec;
    throwIssues(res.issues);
  }

  private tryResolve(body: unknown, fleet: readonly RegionSpec[], mode: "create" | "update") {
    return this.o.domain.resolveRegionSpec(body, fleet, mode, {
      defaultProvider: this.o.defaultProvider,
      ...(this.o.localPortRange ? { localPortRange: this.o.localPortRange } : {}),
    });
  }

  private plan(before: FleetState, change: ChangeRequest, lastApplied: Record<string, string>): Plan {
    try {
      return this.o.domain.plan(before, change, lastApplied);
    } catch (err) {
      throw planErrorToServiceError(err);
    }
  }

  // ---- regions

  /** POST /regions. With `dryRun`, plans only. Re-sending the add of a region whose add never finished starts it again. */
  async addRegion(body: unknown, actor: string, dryRun: boolean): Promise<Accepted | DryRun> {
    return this.o.orchestrator.exclusive(async () => {
      const regions = await this.o.store.listRegions();
      const name = typeof body === "object" && body !== null ? (body as { name?: unknown }).name : undefined;
      const existing = regions.find((r) => r.name === name);
      const again = existing !== undefined && existing.desired && UNFINISHED_ADD.has(existing.status) && (await this.lastKind(existing)) === "add";
      const others = regions.filter((r) => r.desired && r.name !== (again ? existing.name : undefined)).map((r) => r.spec);
      const spec = again ? this.resolve(body, [...others, existing.spec], "update") : this.resolve(body, others, "create");
      const before = this.state(others);
      const change: ChangeRequest = { kind: "add", spec };
      const plan = this.plan(before, change, await this.lastApplied());
      if (dryRun) return { spec, plan, before };
      const writes: RegionWrites = { upsert: [{ spec, status: "creating" }], remove: [], status: [{ name: spec.name, status: "creating" }] };
      return this.submit("add", plan, [spec.name], before, writes, { spec }, actor);
    });
  }

  private async lastKind(region: RegionRecord): Promise<OperationKind | undefined> {
    return region.lastOperationId ? (await this.o.store.getOperationSummary(region.lastOperationId))?.kind : undefined;
  }

  /** PUT /regions/{name}. */
  async updateRegion(name: string, body: unknown, actor: string, dryRun = false): Promise<Accepted | DryRun> {
    return this.o.orchestrator.exclusive(async () => {
      const input = withName(body, name);
      const before = await this.desiredState();
      if (!before.specs.some((s) => s.name === name)) throw new NotFoundError(`region "${name}" does not exist`);
      const spec = this.resolve(input, before.specs, "update");
      const change: ChangeRequest = { kind: "update", spec };
      const plan = this.plan(before, change, await this.lastApplied());
      if (dryRun) return { spec, plan, before };
      const writes: RegionWrites = { upsert: [{ spec }], remove: [], status: [{ name, status: "updating" }] };
      return this.submit("update", plan, [name], before, writes, { spec }, actor);
    });
  }

  /** DELETE /regions/{name}: drain, destroy, update the peers. 409 for the primary. */
  async removeRegion(name: string, actor: string): Promise<Accepted> {
    return this.o.orchestrator.exclusive(async () => {
      const region = await this.o.store.getRegion(name);
      if (!region) throw new NotFoundError(`region "${name}" does not exist`);
      if (region.spec.primary) {
        throw new ConflictError(`region "${name}" is the primary: fail over to another region first (POST /failover)`, { region: name, primary: true });
      }
      const again = !region.desired;
      const regions = await this.o.store.listRegions();
      const before = this.state(regions.filter((r) => r.desired || r.name === name).map((r) => r.spec));
      // A shutdown, a conflicting operation or a full queue is answered before the plan is made.
      this.o.orchestrator.admit([name]);
      const plan = this.plan(before, { kind: "remove", name }, await this.lastApplied());
      const writes: RegionWrites = { upsert: [], remove: again ? [] : [name], status: [{ name, status: "removing" }] };
      return this.submit("remove", plan, [name], before, writes, { name }, actor);
    });
  }

  /**
   * POST /fleet/apply: several region specs in one operation. A listed region that exists gets its
   * spec replaced (as PUT would), a new one is added (as POST would, in the order listed); regions
   * not listed are left alone. One plan covers all of it: the primary first, every replica in
   * parallel, `global` once at the end, and stacks whose inputs did not change are skipped, so
   * applying the same list again does nothing.
   */
  async applyFleet(body: unknown, actor: string, dryRun: boolean): Promise<Accepted | DryRun> {
    const listed = applyBodyRegions(body);
    return this.o.orchestrator.exclusive(async () => {
      const regions = await this.o.store.listRegions();
      const leaving = new Set(regions.filter((r) => !r.desired).map((r) => r.name));
      const fleet = regions.filter((r) => r.desired).map((r) => r.spec);
      const before = this.state([...fleet]);
      const specs: RegionSpec[] = [];
      const added = new Set<string>();
      const issues: FieldIssue[] = [];
      const seen = new Map<string, number>();
      for (const [i, item] of listed.entries()) {
        const name = typeof item === "object" && item !== null ? (item as { name?: unknown }).name : undefined;
        if (typeof name === "string") {
          const first = seen.get(name);
          if (first !== undefined) {
            issues.push({ path: `regions.${i}.name`, message: `"${name}" is already listed at regions.${first}`, kind: "invalid" });
            continue;
          }
          seen.set(name, i);
          if (leaving.has(name)) {
            issues.push({ path: `regions.${i}.name`, message: `region "${name}" is being removed; wait for that operation to finish`, kind: "conflict" });
            continue;
          }
        }
        const index = typeof name === "string" ? fleet.findIndex((s) => s.name === name) : -1;
        const res = this.tryResolve(item, fleet, index >= 0 ? "update" : "create");
        if (!res.ok) {
          issues.push(...res.issues.map((x) => ({ ...x, path: x.path ? `regions.${i}.${x.path}` : `regions.${i}` })));
          continue;
        }
        specs.push(res.spec);
        if (index >= 0) fleet[index] = res.spec;
        else {
          fleet.push(res.spec);
          added.add(res.spec.name);
        }
      }
      if (issues.length > 0) throwIssues(issues);
      const change: ChangeRequest = { kind: "apply", specs };
      const plan = this.plan(before, change, await this.lastApplied());
      if (dryRun) return { specs, plan, before };
      const writes: RegionWrites = {
        upsert: specs.map((spec) => (added.has(spec.name) ? { spec, status: "creating" as const } : { spec })),
        remove: [],
        status: specs.map((spec) => ({ name: spec.name, status: added.has(spec.name) ? ("creating" as const) : ("updating" as const) })),
      };
      const accepted = await this.submit("apply", plan, specs.map((s) => s.name), before, writes, { regions: specs }, actor);
      const records = (await unlessStoreDown(() => Promise.all(specs.map((s) => this.o.store.getRegion(s.name))))) ?? [];
      return { operation: accepted.operation, steps: accepted.steps, regions: records.filter((r): r is RegionRecord => r !== undefined) };
    });
  }

  /** POST /regions/{name}/preview. */
  async previewRegion(name: string, actor: string): Promise<Accepted> {
    return this.o.orchestrator.exclusive(async () => {
      const before = await this.desiredState();
      if (name !== "global" && !before.specs.some((s) => s.name === name)) throw new NotFoundError(`region "${name}" does not exist`);
      this.o.orchestrator.admit([]);
      const plan = this.plan(before, { kind: "preview", name }, await this.lastApplied());
      return this.submit("preview", plan, [], before, noWrites(), { name }, actor);
    });
  }

  /**
   * POST /failover. With a failover probe registered, the split-brain check runs first (outside the
   * submission lock: it probes databases) and a refusal is a 409 with nothing recorded; `force`
   * goes past it. With `force`, the request is recorded as `{ to, force: true }`: the promote step
   * (server/drills) reads the flag from there and goes past the same checks, which it runs again.
   */
  async failover(to: string, actor: string, opts: { force?: boolean } = {}): Promise<Accepted> {
    if (this.o.failoverProbe) {
      const verdict = await assessFailoverRequest(this.o.failoverProbe, await this.desiredState(), to, opts.force === true);
      if (verdict && !verdict.allowed) throw failoverRefusal(verdict);
    }
    return this.o.orchestrator.exclusive(async () => {
      const before = await this.desiredState();
      const target = before.specs.find((s) => s.name === to);
      if (!target) throw new NotFoundError(`region "${to}" does not exist`);
      const oldPrimary = before.specs.find((s) => s.primary);
      const plan = this.plan(before, { kind: "failover", to }, await this.lastApplied());
      const subjects = [to, ...(oldPrimary && oldPrimary.name !== to ? [oldPrimary.name] : [])];
      const writes: RegionWrites = {
        upsert: plan.after.specs.filter((s) => subjects.includes(s.name)).map((spec) => ({ spec })),
        remove: [],
        status: subjects.map((name) => ({ name, status: subjectStatus("failover") })),
      };
      const request = opts.force === true ? { to, force: true } : { to };
      return this.submit("failover", plan, subjects, before, writes, request, actor);
    });
  }

  /** POST /fleet/refresh, /fleet/validate, /fleet/reconcile. */
  async fleetOperation(kind: "refresh" | "validate" | "reconcile", actor: string): Promise<Accepted> {
    return this.o.orchestrator.exclusive(async () => {
      const before = await this.desiredState();
      this.o.orchestrator.admit([]);
      const plan = this.plan(before, { kind }, await this.lastApplied());
      return this.submit(kind, plan, [], before, noWrites(), {}, actor);
    });
  }

  /**
   * Hands an accepted change and its plan to the orchestrator. Call inside `exclusive`. Once the
   * operation is recorded, a store that cannot be read leaves the region out of the answer.
   */
  private async submit(kind: OperationKind, plan: Plan, subjects: string[], before: FleetState, writes: RegionWrites, request: unknown, actor: string): Promise<Accepted> {
    const { operation, steps } = await this.o.orchestrator.submit({ kind, plan, subjects, before, writes, request, actor });
    const subject = subjects[0];
    const region = subject !== undefined && kind !== "remove" ? await unlessStoreDown(() => this.o.store.getRegion(subject)) : undefined;
    return { operation, steps, region };
  }
}

/** The `regions` list of an apply body, or a 400 naming what is wrong with it. */
function applyBodyRegions(body: unknown): unknown[] {
  if (typeof body !== "object" || body === null || Array.isArray(body)) {
    throw new InputError("invalid body", [{ path: "body", message: 'must be an object {"regions": [region spec, ...]}' }]);
  }
  const extra = Object.keys(body).filter((k) => k !== "regions");
  if (extra.length > 0) throw new InputError("invalid body", extra.map((k) => ({ path: k, message: "unknown field" })));
  const regions = (body as { regions?: unknown }).regions;
  if (!Array.isArray(regions)) throw new InputError("invalid body: regions", [{ path: "regions", message: "must be a list of region specs" }]);
  if (regions.length === 0) throw new InputError("invalid body: regions", [{ path: "regions", message: "must list at least one region" }]);
  if (regions.length > MAX_APPLY_REGIONS) {
    throw new InputError("invalid body: regions", [{ path: "regions", message: `must list at most ${MAX_APPLY_REGIONS} regions` }]);
  }
  return regions;
}

function noWrites(): RegionWrites {
  return { upsert: [], remove: [], status: [] };
}

/** PUT bodies may omit `name`; when given it must match the path. */
function withName(body: unknown, name: string): unknown {
  if (typeof body !== "object" || body === null || Array.isArray(body)) return body;
  const b = body as Record<string, unknown>;
  if (b["name"] !== undefined && b["name"] !== name) {
    throw new InputError("invalid region spec", [{ path: "name", message: `must match the region in the path ("${name}") or be omitted` }]);
  }
  return { ...b, name };
}

function throwIssues(issues: FieldIssue[]): never {
  const invalid = issues.filter((i) => i.kind === "invalid");
  if (invalid.length > 0) {
    throw new InputError(
      `invalid region spec: ${invalid.map((i) => i.path || "(body)").join(", ")}`,
      invalid.map((i) => ({ path: i.path, message: i.message })),
    );
  }
  throw new ConflictError(
    `the spec conflicts with the fleet: ${issues.map((i) => `${i.path || "(body)"}: ${i.message}`).join("; ")}`,
    issues.map((i) => ({ path: i.path, message: i.message })),
  );
}

function planErrorToServiceError(err: unknown): unknown {
  if (err instanceof PlanError) return err.kind === "not-found" ? new NotFoundError(err.message) : new ConflictError(err.message);
  return err;
}
