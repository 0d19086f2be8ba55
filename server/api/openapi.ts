/**
 * `GET /openapi.json`, generated from the same zod schemas the routes validate with (schemas.ts)
 * and the region spec schema of domain/spec.
 */
import { z } from "zod";
import { regionSpec } from "../../domain/spec/regionSpec";
import { ADMIN_OPERATION_KINDS, roleForKind } from "../auth/operationRoles";
import { registry } from "./schemas";

type Json = Record<string, unknown>;

const ref = (id: string): Json => ({ $ref: `#/components/schemas/${id}` });
const json = (schema: Json, description: string): Json => ({ description, content: { "application/json": { schema } } });
const errors = (...codes: number[]): Json =>
  Object.fromEntries(codes.map((c) => [String(c), json(ref("Error"), ERROR_TEXT[c] ?? "error")]));
const ERROR_TEXT: Record<number, string> = {
  400: "Invalid request; details list every bad field with its path",
  401: "Missing or unknown bearer token",
  403: "Role too low",
  404: "No such region or operation",
  409: "Conflicts with the fleet or with an operation in flight (details.operation)",
  429: "Rate limited (code rate_limited): this token sent more than ARAGORA_RATE_LIMIT_PER_MIN changes in a minute; the Retry-After header gives the seconds to wait",
  503: "New operation refused: the queue is full (code queue_full, ARAGORA_MAX_QUEUED_OPERATIONS queued or running; Retry-After header), the service is shutting down (unavailable), or its database cannot be written (store_unavailable: nothing was recorded)",
};
const nameParam = { name: "name", in: "path", required: true, schema: { type: "string" } };
const idParam = { name: "id", in: "path", required: true, schema: { type: "string", format: "uuid" } };
const accepted = { "202": { ...json(ref("Accepted"), "Accepted; Location: /operations/{id}"), headers: { Location: { schema: { type: "string" } } } } };

function op(summary: string, role: string | null, responses: Json, extra: Json = {}): Json {
  return {
    summary,
    ...(role ? { security: [{ bearer: [] }], "x-required-role": role } : { security: [] }),
    ...extra,
    responses: { ...responses, ...(role ? errors(401, 403) : {}) },
  };
}

function stripIds(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(stripIds);
  if (value !== null && typeof value === "object") {
    return Object.fromEntries(Object.entries(value as Json).filter(([k]) => k !== "$id").map(([k, v]) => [k, stripIds(v)]));
  }
  return value;
}

let cached: Json | undefined;

export function openApiDocument(version: string): Json {
  if (cached) return cached;
  const generated = z.toJSONSchema(registry, { target: "openapi-3.0", uri: (id) => `#/components/schemas/${id}`, unrepresentable: "any" });
  const input = z.toJSONSchema(regionSpec, { target: "openapi-3.0", io: "input", unrepresentable: "any", metadata: z.registry() }) as Json;
  const schemas = stripIds({ ...generated.schemas, RegionSpecInput: input }) as Json;
  const body = (id: string): Json => ({ requestBody: { required: true, content: { "application/json": { schema: ref(id) } } } });
  cached = {
    openapi: "3.0.3",
    info: { title: "Aragora Regions", version, description: "Self-service multi-region deployment of Aragora (v1 contract)" },
    components: { schemas, securitySchemes: { bearer: { type: "http", scheme: "bearer" } } },
    paths: {
      "/health": { get: op("Liveness (no auth)", null, { "200": json(ref("Health"), "ok (or stopping)"), "503": json(ref("Health"), "degraded: the database cannot be written (reason, since); the service runs, changes get 503 store_unavailable") }) },
      "/metrics": { get: op("Prometheus metrics", "viewer", { "200": { description: "text/plain; version=0.0.4" } }) },
      "/openapi.json": { get: op("This document", "viewer", { "200": { description: "OpenAPI 3.0" } }) },
      "/regions": {
        get: op("List regions", "viewer", { "200": json(ref("RegionList"), "regions") }),
        post: op("Add a region", "operator", { ...accepted, "200": json(ref("DryRun"), "dryRun=true: the plan"), ...errors(400, 409, 429, 503) }, {
          ...body("RegionSpecInput"),
          parameters: [
            { name: "dryRun", in: "query", schema: { type: "string", enum: ["true", "false"] } },
            { name: "resources", in: "query", schema: { type: "string", enum: ["true", "false"] }, description: "with dryRun: resources each step's program would register (offline, under mocks)" },
          ],
        }),
      },
      "/regions/{name}": {
        get: op("A region: spec, status, masked outputs, last operation", "viewer", { "200": json(ref("Region"), "region"), ...errors(400, 404) }, { parameters: [nameParam] }),
        put: op("Update a region's spec", "operator", { ...accepted, ...errors(400, 404, 409, 429, 503) }, { parameters: [nameParam], ...body("RegionSpecInput") }),
        delete: op("Remove a region: drain, destroy, update peers (409 for the primary)", roleForKind("remove"), { ...accepted, ...errors(400, 404, 409, 429, 503) }, { parameters: [nameParam] }),
      },
      "/regions/{name}/preview": { post: op("Preview what an up would change", "operator", { ...accepted, ...errors(400, 404, 409, 429, 503) }, { parameters: [nameParam] }) },
      "/failover": { post: op("Fail over to another region", roleForKind("failover"), { ...accepted, ...errors(400, 404, 409, 429, 503) }, body("FailoverRequest")) },
      "/fleet/apply": {
        post: op("Add or update several regions in one operation (primary first, replicas in parallel, global once)", "operator", { ...accepted, "200": json(ref("DryRun"), "dryRun=true: the plan"), ...errors(400, 409, 429, 503) }, {
          requestBody: { required: true, content: { "application/json": { schema: { type: "object", required: ["regions"], additionalProperties: false, properties: { regions: { type: "array", minItems: 1, maxItems: 20, items: ref("RegionSpecInput") } } } } } },
          parameters: [{ name: "dryRun", in: "query", schema: { type: "string", enum: ["true", "false"] } }],
        }),
      },
      "/fleet/refresh": { post: op("Drift check of every stack", "operator", { ...accepted, ...errors(400, 409, 429, 503) }) },
      "/fleet/validate": { post: op("Cross-region consistency checks", "operator", { ...accepted, ...errors(400, 409, 429, 503) }) },
      "/fleet/reconcile": { post: op("Apply the whole fleet (unchanged stacks skipped)", "operator", { ...accepted, ...errors(400, 409, 429, 503) }) },
      "/operations": {
        get: op("List operations, newest first", "viewer", { "200": json(ref("OperationList"), "operations"), ...errors(400) }, {
          parameters: ["limit", "before", "status", "kind", "region"].map((n) => ({ name: n, in: "query", schema: { type: "string" } })),
        }),
      },
      "/operations/{id}": { get: op("An operation with its steps", "viewer", { "200": json(ref("Operation"), "operation"), ...errors(400, 404) }, { parameters: [idParam] }) },
      "/operations/{id}/events": {
        get: op("Event stream (SSE); resumable with Last-Event-ID; ends when the operation does", "viewer", { "200": { description: "text/event-stream of Event", content: { "text/event-stream": { schema: ref("Event") } } }, ...errors(400, 404) }, {
          parameters: [idParam, { name: "Last-Event-ID", in: "header", schema: { type: "integer" } }],
        }),
      },
      "/operations/{id}/cancel": { post: op(`Cancel a queued or running operation (${ADMIN_OPERATION_KINDS.join(" and ")} operations: admin)`, "operator", { "200": json(ref("Operation"), "operation"), ...errors(400, 404, 409, 429) }, { parameters: [idParam] }) },
      "/operations/{id}/retry": { post: op(`Retry a failed, cancelled, interrupted or needs_attention operation (${ADMIN_OPERATION_KINDS.join(" and ")} operations: admin)`, "operator", { ...accepted, ...errors(400, 404, 409, 429, 503) }, { parameters: [idParam] }) },
      "/stacks/{name}/pending-operations": {
        get: op("Resource operations a killed engine run left pending on a stack, with the choices", "operator", { "200": json(ref("PendingOperations"), "pending operations"), ...errors(400, 404) }, { parameters: [nameParam] }),
        post: op("Decide each pending create (import by id, or clear); then retry the operation", "admin", { "200": json(ref("PendingOperations"), "what is still pending"), ...errors(400, 404, 409, 429) }, { parameters: [nameParam], ...body("PendingDecisions") }),
      },
      "/audit": { get: op("Audit log, newest first", "admin", { "200": json(ref("AuditList"), "entries"), ...errors(400) }) },
    },
  };
  return cached;
}
