/**
 * `POST /failover` with `"force": true`: the same submission as FleetService.failover, with the
 * force flag recorded in the operation's request, where the promote step reads it (server/drills).
 * FleetService.failover records `{ to }` only; once it takes the flag, the route can call it for
 * both cases and this file goes.
 */
import { PlanError, type ChangeRequest } from "../domain";
import { ConflictError, NotFoundError } from "../errors";
import type { Accepted, FleetService } from "../orchestrator/fleetService";
import { subjectStatus, type Orchestrator } from "../orchestrator/orchestrator";
import type { RegionWrites, Store } from "../store/store";

export async function submitForcedFailover(d: { fleet: FleetService; orchestrator: Orchestrator; store: Store }, to: string, actor: string): Promise<Accepted> {
  return d.orchestrator.exclusive(async () => {
    const before = await d.fleet.desiredState();
    const target = before.specs.find((s) => s.name === to);
    if (!target) throw new NotFoundError(`region "${to}" does not exist`);
    const oldPrimary = before.specs.find((s) => s.primary);
    const change: ChangeRequest = { kind: "failover", to };
    const lastApplied = await d.fleet.lastApplied();
    try {
      const plan = d.orchestrator.plan(change, before, lastApplied);
      const subjects = [to, ...(oldPrimary && oldPrimary.name !== to ? [oldPrimary.name] : [])];
      const writes: RegionWrites = {
        upsert: plan.after.specs.filter((s) => subjects.includes(s.name)).map((spec) => ({ spec })),
        remove: [],
        status: subjects.map((name) => ({ name, status: subjectStatus("failover") })),
      };
      const { operation, steps } = await d.orchestrator.submit(
        { kind: "failover", change, subjects, before, writes, request: { to, force: true }, actor },
        lastApplied,
      );
      return { operation, steps, region: await d.store.getRegion(to) };
    } catch (err) {
      if (err instanceof PlanError) throw err.kind === "not-found" ? new NotFoundError(err.message) : new ConflictError(err.message);
      throw err;
    }
  });
}
