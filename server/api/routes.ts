/** The v1 routes. Each validates its params, query and body with schemas.ts, then calls a service. */
import { Router, type Request, type Response } from "express";
import { principalOf, requireRole } from "../auth/middleware";
import { checkMayControl, roleForKind } from "../auth/operationRoles";
import { FLEET_PSEUDO_STACK, type FleetState } from "../domain";
import { asDrillProbe } from "../drills";
import { AuthenticationError, InputError, NotFoundError, UnavailableError } from "../errors";
import { ServiceMetrics, type LagProbe } from "../metrics";
import type { Accepted, DryRun, FleetService } from "../orchestrator/fleetService";
import type { Orchestrator } from "../orchestrator/orchestrator";
import type { EventBus } from "../orchestrator/eventBus";
import type { OfflinePlanner } from "../plan/offlinePlanner";
import type { Store } from "../store/store";
import { unlessStoreDown, type StoreHealth } from "../store/storeHealth";
import { openApiDocument } from "./openapi";
import * as S from "./schemas";
import { streamEvents } from "./sse";
import { parsePart } from "./validate";
import { toAuditView, toOperationSummary, toOperationView, toRegionView } from "./views";

export interface RouteDeps {
  store: Store;
  fleet: FleetService;
  orchestrator: Orchestrator;
  bus: EventBus;
  offlinePlanner?: OfflinePlanner | undefined;
  lagProbe?: LagProbe | undefined;
  /** What /metrics serves; by default a registry of its own over this router's store, orchestrator and lag probe. */
  metrics?: ServiceMetrics | undefined;
  version: string;
  sseHeartbeatMs?: number | undefined;
  /** Whether the store can be written: GET /health answers 503 degraded while it cannot. */
  storeHealth?: StoreHealth | undefined;
}

const actorOf = (res: Response): string => principalOf(res)?.name ?? "anonymous";

export function createRouter(d: RouteDeps): Router {
  const r = Router();

  const regionView = async (name: string) => {
    const [state] = await d.store.regionStates(name);
    return state ? toRegionView(state) : undefined;
  };

  // Live replication status (local target), bounded so a dead server never stalls the view.
  const drills = asDrillProbe(d.lagProbe);
  const replicationOf = async (name: string) => {
    if (!drills) return undefined;
    const regions = await d.store.listRegions();
    const region = regions.find((x) => x.name === name);
    if (!region) return undefined;
    let timer: NodeJS.Timeout | undefined;
    try {
      return await Promise.race([
        drills.replication(region, regions).catch(() => undefined),
        new Promise<undefined>((resolve) => (timer = setTimeout(() => { resolve(undefined); }, 10_000))),
      ]);
    } finally {
      clearTimeout(timer);
    }
  };

  const sendAccepted = async (res: Response, a: Accepted): Promise<void> => {
    (res.locals as { operationId?: string }).operationId = a.operation.id;
    // The operation is committed: a store that cannot be read now leaves the regions out, never turns the 202 into an error.
    const { region: one, regions: several } = a;
    const region = one ? await unlessStoreDown(() => regionView(one.name)) : undefined;
    const regions = several ? (await unlessStoreDown(() => Promise.all(several.map((x) => regionView(x.name)))))?.filter((v) => v !== undefined) : undefined;
    res
      .status(202)
      .location(`/operations/${a.operation.id}`)
      .json({ operation: toOperationView(a.operation, a.steps), ...(region ? { region } : {}), ...(regions ? { regions } : {}) });
  };

  const sendDryRun = async (res: Response, dry: DryRun, withResources: boolean): Promise<void> => {
    const steps = await Promise.all(
      dry.plan.steps.map(async (s) => {
        const base = { id: s.id, stack: s.stack, action: s.action, why: s.why, dependsOn: s.dependsOn };
        if (!withResources || s.stack === FLEET_PSEUDO_STACK || !d.offlinePlanner) return base;
        const state: FleetState = s.action === "destroy" ? dry.before : dry.plan.after;
        try {
          return { ...base, resources: await d.offlinePlanner.resources(s.stack, state) };
        } catch (err) {
          return { ...base, resources: [], resourcesError: err instanceof Error ? err.message : String(err) };
        }
      }),
    );
    res.status(200).json({ dryRun: true, ...(dry.spec ? { spec: dry.spec } : {}), ...(dry.specs ? { specs: dry.specs } : {}), steps, skipped: dry.plan.skipped });
  };

  const noQuery = (req: Request): void => {
    parsePart(S.noQuery, req.query, "query");
  };
  const noBody = (req: Request): void => {
    parsePart(S.emptyBody, req.body, "body");
  };
  /** The stored operation `id` (404 if none), once the caller is found to have the role its kind needs to `verb` it. */
  const controllable = async (res: Response, id: string, verb: "cancel" | "retry") => {
    const op = await d.store.getOperationSummary(id);
    if (!op) throw new NotFoundError(`operation ${id} does not exist`);
    const who = principalOf(res);
    if (!who) throw new AuthenticationError();
    checkMayControl(who, op, verb);
    return op;
  };

  // ---- system
  r.get("/health", async (_req, res) => {
    const fault = await d.storeHealth?.check();
    if (fault) {
      res.status(503).json({ status: "degraded", version: d.version, reason: fault.message, since: fault.since });
      return;
    }
    res.json({ status: d.orchestrator.accepting ? "ok" : "stopping", version: d.version });
  });
  r.get("/openapi.json", requireRole("viewer"), (req, res) => {
    noQuery(req);
    res.json(openApiDocument(d.version));
  });
  const metrics = d.metrics ?? new ServiceMetrics({ store: d.store, queue: () => d.orchestrator.stats(), lagProbe: d.lagProbe });
  r.get("/metrics", requireRole("viewer"), async (req, res) => {
    noQuery(req);
    const text = await metrics.scrape();
    res.set("Content-Type", metrics.contentType).send(text);
  });
  r.get("/audit", requireRole("admin"), async (req, res) => {
    const q = parsePart(S.auditQuery, req.query, "query");
    const entries = await d.store.listAudit(q.limit, q.before);
    res.json({ entries: entries.map(toAuditView) });
  });

  // ---- regions
  r.get("/regions", requireRole("viewer"), async (req, res) => {
    noQuery(req);
    res.json({ regions: (await d.store.regionStates()).map(toRegionView) });
  });
  r.post("/regions", requireRole("operator"), async (req, res) => {
    const q = parsePart(S.addRegionQuery, req.query, "query");
    const dryRun = q.dryRun === "true";
    if (q.resources === "true" && !dryRun) {
      throw new InputError("invalid query: query.resources", [{ path: "query.resources", message: "only with dryRun=true" }]);
    }
    const out = await d.fleet.addRegion(req.body, actorOf(res), dryRun);
    if ("operation" in out) await sendAccepted(res, out);
    else await sendDryRun(res, out, q.resources === "true");
  });
  r.get("/regions/:name", requireRole("viewer"), async (req, res) => {
    const { name } = parsePart(S.regionParams, req.params, "params");
    noQuery(req);
    const view = await regionView(name);
    if (!view) throw new NotFoundError(`region "${name}" does not exist`);
    const replication = await replicationOf(name);
    res.json(replication ? { ...view, replication } : view);
  });
  r.put("/regions/:name", requireRole("operator"), async (req, res) => {
    const { name } = parsePart(S.regionParams, req.params, "params");
    const q = parsePart(S.addRegionQuery.pick({ dryRun: true }), req.query, "query");
    const out = await d.fleet.updateRegion(name, req.body, actorOf(res), q.dryRun === "true");
    if ("operation" in out) await sendAccepted(res, out);
    else await sendDryRun(res, out, false);
  });
  r.delete("/regions/:name", requireRole(roleForKind("remove")), async (req, res) => {
    const { name } = parsePart(S.regionParams, req.params, "params");
    noQuery(req);
    await sendAccepted(res, await d.fleet.removeRegion(name, actorOf(res)));
  });
  r.post("/regions/:name/preview", requireRole("operator"), async (req, res) => {
    const { name } = parsePart(S.stackParams, req.params, "params");
    noQuery(req);
    noBody(req);
    await sendAccepted(res, await d.fleet.previewRegion(name, actorOf(res)));
  });

  // ---- fleet
  r.post("/failover", requireRole(roleForKind("failover")), async (req, res) => {
    noQuery(req);
    const { to, force } = parsePart(S.failoverBody, req.body ?? {}, "body");
    await sendAccepted(res, await d.fleet.failover(to, actorOf(res), { force: force === true }));
  });
  r.post("/fleet/apply", requireRole("operator"), async (req, res) => {
    const q = parsePart(S.addRegionQuery.pick({ dryRun: true }), req.query, "query");
    const out = await d.fleet.applyFleet(req.body, actorOf(res), q.dryRun === "true");
    if ("operation" in out) await sendAccepted(res, out);
    else await sendDryRun(res, out, false);
  });
  for (const kind of ["refresh", "validate", "reconcile"] as const) {
    r.post(`/fleet/${kind}`, requireRole("operator"), async (req, res) => {
      noQuery(req);
      noBody(req);
      await sendAccepted(res, await d.fleet.fleetOperation(kind, actorOf(res)));
    });
  }

  // ---- stacks: resource operations a killed engine run left pending (docs/reliability.md)
  const pendingChoices = (stack: string): string[] => [
    `retry: POST /operations/{id}/retry refreshes stack ${stack} first, which settles pending updates and deletes, and creates the provider can adopt`,
    `import: POST /stacks/${stack}/pending-operations {"decisions":[{"urn":"…","action":"import","id":"<provider id>"}]} when the create happened (admin)`,
    `clear: POST /stacks/${stack}/pending-operations {"decisions":[{"urn":"…","action":"clear"}]} when it did not (admin)`,
  ];
  r.get("/stacks/:name/pending-operations", requireRole("operator"), async (req, res) => {
    const { name } = parsePart(S.stackParams, req.params, "params");
    noQuery(req);
    const pending = await d.orchestrator.pendingOperations(name);
    res.json({ stack: name, pendingOperations: pending, choices: pending.length > 0 ? pendingChoices(name) : [] });
  });
  r.post("/stacks/:name/pending-operations", requireRole("admin"), async (req, res) => {
    const { name } = parsePart(S.stackParams, req.params, "params");
    noQuery(req);
    const { decisions } = parsePart(S.pendingDecisionsBody, req.body ?? {}, "body");
    const pending = await d.orchestrator.decidePending(name, decisions, actorOf(res));
    res.json({ stack: name, pendingOperations: pending, choices: pending.length > 0 ? pendingChoices(name) : [] });
  });

  // ---- operations
  r.get("/operations", requireRole("viewer"), async (req, res) => {
    const q = parsePart(S.listOperationsQuery, req.query, "query");
    const ops = await d.store.listOperations({ limit: q.limit + 1, beforeSeq: q.before, status: q.status, kind: q.kind, region: q.region });
    const page = ops.slice(0, q.limit);
    const last = page[page.length - 1];
    const next = ops.length > q.limit && last ? `/operations?limit=${q.limit}&before=${last.seq}` : undefined;
    res.json({ operations: page.map(toOperationSummary), ...(next ? { next } : {}) });
  });
  r.get("/operations/:id", requireRole("viewer"), async (req, res) => {
    const { id } = parsePart(S.operationParams, req.params, "params");
    noQuery(req);
    const op = await d.store.getOperationSummary(id);
    if (!op) throw new NotFoundError(`operation ${id} does not exist`);
    res.json(toOperationView(op, await d.store.listSteps(id)));
  });
  r.get("/operations/:id/events", requireRole("viewer"), async (req, res) => {
    const { id } = parsePart(S.operationParams, req.params, "params");
    const q = parsePart(S.eventsQuery, req.query, "query");
    const header = req.get("last-event-id");
    if (header !== undefined && !/^\d+$/.test(header.trim())) {
      throw new InputError("invalid header: Last-Event-ID", [{ path: "headers.last-event-id", message: "must be an event id (integer)" }]);
    }
    const op = await d.store.getOperationSummary(id);
    if (!op) throw new NotFoundError(`operation ${id} does not exist`);
    const after = header !== undefined ? Number(header.trim()) : (q.after ?? 0);
    await streamEvents(req, res, op, after, { store: d.store, bus: d.bus, ...(d.sseHeartbeatMs ? { heartbeatMs: d.sseHeartbeatMs } : {}) });
  });
  r.post("/operations/:id/cancel", requireRole("operator"), async (req, res) => {
    const { id } = parsePart(S.operationParams, req.params, "params");
    noQuery(req);
    noBody(req);
    await controllable(res, id, "cancel");
    const op = await d.orchestrator.cancel(id);
    if (!op) throw new NotFoundError(`operation ${id} does not exist`);
    (res.locals as { operationId?: string }).operationId = id;
    res.json(toOperationView(op, await d.store.listSteps(id)));
  });
  r.post("/operations/:id/retry", requireRole("operator"), async (req, res) => {
    const { id } = parsePart(S.operationParams, req.params, "params");
    noQuery(req);
    noBody(req);
    if (!d.orchestrator.accepting) throw new UnavailableError("the service is shutting down");
    await controllable(res, id, "retry");
    const op = await d.orchestrator.retry(id, actorOf(res));
    if (!op) throw new NotFoundError(`operation ${id} does not exist`);
    await sendAccepted(res, { operation: op, steps: await d.store.listSteps(id) });
  });

  return r;
}
