/**
 * Every request part the API accepts (params, query, bodies) and every response it sends, as zod
 * schemas. Routes validate with them; openapi.ts generates `GET /openapi.json` from the same ones.
 */
import { z } from "zod";
import { REGION_NAME_PATTERN, regionSpec } from "../../domain/spec/regionSpec";
import { OPERATION_KINDS, OPERATION_STATUSES, REGION_STATUSES, STEP_STATUSES } from "../../domain/model";
import { PLAN_ACTION_LIST } from "./planActions";

export const registry = z.registry<{ id: string; description?: string }>();

const name = z.string().regex(REGION_NAME_PATTERN, { message: "must be a region name (lowercase letters, digits and single dashes, 3-32 characters)" });
const bool = z.enum(["true", "false"], { message: 'must be "true" or "false"' });

// ---- params
export const regionParams = z.strictObject({ name });
export const stackParams = z.strictObject({ name: z.union([name, z.literal("global")]) });
export const operationParams = z.strictObject({ id: z.uuid({ message: "must be an operation id (a UUID)" }) });

// ---- query
export const noQuery = z.strictObject({});
export const addRegionQuery = z.strictObject({ dryRun: bool.optional(), resources: bool.optional() });
export const listOperationsQuery = z.strictObject({
  limit: z.coerce.number({ message: "must be a number" }).int().min(1).max(500).default(50),
  before: z.coerce.number({ message: "must be a number" }).int().min(1).optional(),
  status: z.enum(OPERATION_STATUSES).optional(),
  kind: z.enum(OPERATION_KINDS).optional(),
  region: z.union([name, z.literal("global")]).optional(),
});
export const eventsQuery = z.strictObject({ after: z.coerce.number({ message: "must be a number" }).int().min(0).optional() });
export const auditQuery = z.strictObject({
  limit: z.coerce.number({ message: "must be a number" }).int().min(1).max(500).default(100),
  before: z.coerce.number({ message: "must be a number" }).int().min(1).optional(),
});

// ---- bodies
const urn = z.string().regex(/^urn:pulumi:[^\s]+$/, { message: "must be a resource URN (urn:pulumi:...)" }).max(1000);
/** An admin's decision on each pending create of a stack (POST /stacks/{name}/pending-operations). */
export const pendingDecisionsBody = z
  .strictObject({
    decisions: z
      .array(
        z.discriminatedUnion("action", [
          z.strictObject({ urn, action: z.literal("import"), id: z.string().min(1).max(1000).describe("the provider's id of the resource the create made") }),
          z.strictObject({ urn, action: z.literal("clear") }),
        ]),
      )
      .max(500),
  })
  .meta({ id: "PendingDecisions", description: "One decision per pending create of the stack: import (the create happened: its provider id) or clear (it did not)" });

export const pendingOperation = z
  .strictObject({ urn: z.string(), type: z.string(), operation: z.string(), id: z.string().optional(), custom: z.literal(false).optional().describe("false for a component resource") })
  .meta({ id: "PendingOperation", description: "A resource operation a killed engine run started and never recorded as finished" });
export const pendingView = z
  .strictObject({
    stack: z.string(),
    pendingOperations: z.array(pendingOperation),
    /** What an admin can do about them. */
    choices: z.array(z.string()),
  })
  .meta({ id: "PendingOperations", description: "A stack's pending operations and the choices the API offers" });

export const failoverBody = z
  .strictObject({
    to: name,
    /** Go ahead although the split-brain checks refuse (target behind another candidate, old primary still writable: it is fenced first). */
    force: z.boolean().optional(),
  })
  .meta({ id: "FailoverRequest", description: "The region to promote to primary; `force` overrides the split-brain checks (WAL positions, writable old primary)" });
/** Action endpoints take no body; `{}` or nothing is fine. */
export const emptyBody = z.union([z.strictObject({}), z.undefined()]);

// ---- responses
export const errorBody = z
  .strictObject({
    error: z.strictObject({
      code: z.string(),
      message: z.string(),
      details: z.unknown().optional(),
    }),
  })
  .meta({ id: "Error", description: "The one error shape. For 400, details lists every bad field: [{path, message}]" });

const errorInfo = z.strictObject({ code: z.string(), message: z.string() });

export const stepView = z
  .strictObject({
    id: z.string(),
    stack: z.string(),
    action: z.enum(PLAN_ACTION_LIST),
    why: z.string(),
    dependsOn: z.array(z.string()),
    status: z.enum(STEP_STATUSES),
    attempt: z.number().int(),
    startedAt: z.string().optional(),
    finishedAt: z.string().optional(),
    durationMs: z.number().int().optional(),
    summary: z.record(z.string(), z.number()).optional().describe("Resource operations by kind: create, update, delete, same, ..."),
    changes: z
      .array(z.strictObject({ urn: z.string(), op: z.string(), keys: z.array(z.string()).optional().describe("refresh: the outputs that drifted") }))
      .optional(),
    note: z.string().optional(),
    error: errorInfo.optional(),
  })
  .meta({ id: "Step", description: "One action on one stack inside an operation" });

export const operationView = z
  .strictObject({
    id: z.string(),
    kind: z.enum(OPERATION_KINDS),
    status: z.enum(OPERATION_STATUSES),
    subjects: z.array(z.string()),
    stacks: z.array(z.string()),
    request: z.unknown(),
    skipped: z.unknown(),
    actor: z.string(),
    attempt: z.number().int(),
    createdAt: z.string(),
    startedAt: z.string().optional(),
    finishedAt: z.string().optional(),
    error: errorInfo.optional(),
    steps: z.array(stepView),
    links: z.strictObject({ self: z.string(), events: z.string() }),
  })
  .meta({ id: "Operation", description: "A requested change, planned as a DAG of stack steps" });

export const operationSummary = operationView.omit({ steps: true }).meta({ id: "OperationSummary" });

export const operationList = z
  .strictObject({ operations: z.array(operationSummary), next: z.string().optional() })
  .meta({ id: "OperationList" });

const lsn = z.string().describe("PostgreSQL WAL position, e.g. 0/5137618");
export const replicationView = z
  .object({
    region: z.string(),
    role: z.enum(["primary", "replica"]),
    checkedAt: z.string(),
    postgres: z.object({
      reachable: z.boolean(),
      error: z.string().optional(),
      role: z.enum(["primary", "standby"]).optional(),
      currentLsn: lsn.optional(),
      receiveLsn: lsn.nullable().optional(),
      replayLsn: lsn.nullable().optional(),
      timeline: z.number().nullable().optional(),
      state: z.string().optional().describe('From the primary\'s pg_stat_replication: "streaming", "catchup", ... or "not connected"'),
      receiverStatus: z.string().nullable().optional(),
      upstreamPort: z.number().nullable().optional(),
      slotName: z.string().nullable().optional(),
      lagBytes: z.number().nullable().optional(),
      lagSeconds: z.number().nullable().optional().describe("replay_lag; 0 when idle and caught up; null when unknown"),
      replicas: z
        .array(z.object({ region: z.string(), state: z.string(), lagBytes: z.number().nullable(), lagSeconds: z.number().nullable(), slotName: z.string().nullable() }))
        .optional(),
    }),
    redis: z.object({
      reachable: z.boolean(),
      error: z.string().optional(),
      role: z.string().optional(),
      masterLinkStatus: z.string().optional(),
      masterPort: z.number().optional(),
      masterLastIoSecondsAgo: z.number().optional(),
      connectedReplicas: z.number().optional(),
      sentinelMasterPort: z.number().optional(),
    }),
  })
  .meta({ id: "ReplicationStatus", description: "Live replication status of a local region: PostgreSQL lag (bytes, seconds), streaming state, Redis link" });

export const regionView = z
  .strictObject({
    name: z.string(),
    status: z.enum(REGION_STATUSES),
    primary: z.boolean(),
    provider: z.string(),
    spec: regionSpec,
    outputs: z.record(z.string(), z.unknown()).describe('Stack outputs; secrets are "[secret]"'),
    lastOperation: z.strictObject({ id: z.string(), kind: z.enum(OPERATION_KINDS), status: z.enum(OPERATION_STATUSES) }).optional(),
    replication: replicationView.optional(),
    createdAt: z.string(),
    updatedAt: z.string(),
  })
  .meta({ id: "Region", description: "A region: its desired spec, status, masked outputs, last operation and (single-region view, local target) live replication status" });

export const regionList = z.strictObject({ regions: z.array(regionView) }).meta({ id: "RegionList" });

export const accepted = z
  .strictObject({ operation: operationView, region: regionView.optional(), regions: z.array(regionView).optional() })
  .meta({ id: "Accepted", description: "202: the change is recorded and queued; follow Location" });

export const plannedResource = z.strictObject({ type: z.string(), name: z.string(), custom: z.boolean() });
export const dryRunView = z
  .strictObject({
    dryRun: z.literal(true),
    spec: regionSpec.optional(),
    specs: z.array(regionSpec).optional(),
    steps: z.array(
      z.strictObject({
        id: z.string(),
        stack: z.string(),
        action: z.enum(PLAN_ACTION_LIST),
        why: z.string(),
        dependsOn: z.array(z.string()),
        resources: z.array(plannedResource).optional(),
        resourcesError: z.string().optional(),
      }),
    ),
    skipped: z.unknown(),
  })
  .meta({ id: "DryRun", description: "The validated spec (defaults filled in) and the planned steps; nothing recorded" });

export const eventView = z
  .strictObject({
    id: z.number().int(),
    operationId: z.string(),
    stepId: z.string().optional(),
    at: z.string(),
    kind: z.string(),
    message: z.string(),
    urn: z.string().optional(),
    op: z.string().optional(),
    severity: z.enum(["debug", "info", "warning", "error"]).optional(),
  })
  .meta({ id: "Event", description: "One line of an operation's log; `id` is the SSE id" });

export const health = z
  .strictObject({
    status: z.enum(["ok", "stopping", "degraded"]),
    version: z.string(),
    /** degraded: why (the store's fault, e.g. "the service's database cannot be written: disk full (SQLITE_FULL)"). */
    reason: z.string().optional(),
    /** degraded: since when (ISO 8601). */
    since: z.string().optional(),
  })
  .meta({ id: "Health" });

export const auditView = z
  .strictObject({
    id: z.number().int(),
    at: z.string(),
    actor: z.string(),
    role: z.string(),
    method: z.string(),
    path: z.string(),
    status: z.number().int(),
    operationId: z.string().optional(),
  })
  .meta({ id: "AuditEntry" });
export const auditList = z.strictObject({ entries: z.array(auditView) }).meta({ id: "AuditList" });

registry.add(regionSpec, { id: "RegionSpec", description: "A resolved region spec (defaults filled in)" });
for (const s of [pendingDecisionsBody, pendingOperation, pendingView, replicationView, errorBody, stepView, operationView, operationSummary, operationList, regionView, regionList, accepted, dryRunView, eventView, health, auditView, auditList, failoverBody]) {
  const meta = s.meta();
  if (meta && typeof meta["id"] === "string") registry.add(s, { id: meta["id"] });
}
