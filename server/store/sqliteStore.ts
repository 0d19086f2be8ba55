/**
 * The SQLite store: regions and stacks (sqliteRegions.ts), operations and steps
 * (sqliteOperations.ts), and here the append-only events and audit entries and the metrics, over
 * one connection (sqliteDb.ts). Queries are indexed so GETs stay cheap; JSON columns hold specs,
 * fleet states and summaries (never secrets: outputs are masked before they get here).
 */
import type { AuditRecord, EventRecord, NewAudit, NewEvent } from "../../domain/model";
import { now, opt } from "./sqliteDb";
import { SqliteOperations } from "./sqliteOperations";
import type { Store, StoreMetrics } from "./store";

/** Histogram bucket bounds (seconds) for step durations. */
export const STEP_DURATION_BUCKETS = [1, 5, 15, 30, 60, 120, 300, 600, 1800] as const;

interface EventRow {
  id: number;
  operation_id: string;
  step_id: string | null;
  at: string;
  kind: string;
  message: string;
  urn: string | null;
  op: string | null;
  severity: string | null;
}
type AuditRow = Omit<AuditRecord, "operationId"> & { operation_id: string | null };

function toEvent(r: EventRow): EventRecord {
  return {
    id: r.id,
    operationId: r.operation_id,
    stepId: opt(r.step_id),
    at: r.at,
    kind: r.kind,
    message: r.message,
    urn: opt(r.urn),
    op: opt(r.op),
    severity: opt(r.severity) as EventRecord["severity"],
  };
}

function toAudit({ operation_id, ...rest }: AuditRow): AuditRecord {
  return { ...rest, operationId: opt(operation_id) };
}

export class SqliteStore extends SqliteOperations implements Store {
  appendEvent(e: NewEvent): Promise<EventRecord> {
    const at = now();
    const info = this
      .stmt("INSERT INTO events (operation_id, step_id, at, kind, message, urn, op, severity) VALUES (?, ?, ?, ?, ?, ?, ?, ?)")
      .run(e.operationId, e.stepId ?? null, at, e.kind, e.message, e.urn ?? null, e.op ?? null, e.severity ?? null);
    return Promise.resolve({ ...e, id: Number(info.lastInsertRowid), at });
  }

  listEvents(operationId: string, afterId: number, limit: number): Promise<EventRecord[]> {
    const rows = this
      .stmt<[string, number, number], EventRow>("SELECT * FROM events WHERE operation_id = ? AND id > ? ORDER BY id LIMIT ?")
      .all(operationId, afterId, limit);
    return Promise.resolve(rows.map(toEvent));
  }

  appendAudit(a: NewAudit): Promise<AuditRecord> {
    const at = now();
    const info = this
      .stmt("INSERT INTO audit (at, actor, role, method, path, status, operation_id) VALUES (?, ?, ?, ?, ?, ?, ?)")
      .run(at, a.actor, a.role, a.method, a.path, a.status, a.operationId ?? null);
    return Promise.resolve({ ...a, id: Number(info.lastInsertRowid), at });
  }

  listAudit(limit: number, beforeId?: number): Promise<AuditRecord[]> {
    const rows =
      beforeId === undefined
        ? this.stmt<[number], AuditRow>("SELECT * FROM audit ORDER BY id DESC LIMIT ?").all(limit)
        : this.stmt<[number, number], AuditRow>("SELECT * FROM audit WHERE id < ? ORDER BY id DESC LIMIT ?").all(beforeId, limit);
    return Promise.resolve(rows.map(toAudit));
  }

  metrics(): Promise<StoreMetrics> {
    const operations = this
      .stmt<[], { kind: string; status: string; count: number }>(
        "SELECT kind, status, count(*) AS count FROM operations GROUP BY kind, status ORDER BY kind, status",
      )
      .all();
    const bucketCols = STEP_DURATION_BUCKETS.map((b, i) => `sum(CASE WHEN duration_ms <= ${b * 1000} THEN 1 ELSE 0 END) AS b${i}`).join(", ");
    const rows = this
      .stmt<[], Record<string, number> & { action: string }>(
        `SELECT action, count(*) AS count, coalesce(sum(duration_ms), 0) AS total, ${bucketCols}
         FROM steps WHERE duration_ms IS NOT NULL GROUP BY action ORDER BY action`,
      )
      .all();
    const stepDurations = rows.map((r) => ({
      action: r.action,
      count: r["count"] ?? 0,
      sumSeconds: (r["total"] ?? 0) / 1000,
      buckets: STEP_DURATION_BUCKETS.map((le, i) => ({ le, count: r[`b${i}`] ?? 0 })),
    }));
    return Promise.resolve({ operations, stepDurations });
  }
}
