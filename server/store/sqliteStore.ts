/**
 * The SQLite store (better-sqlite3, one file in the state dir, WAL mode). Queries are indexed so
 * GETs stay cheap; JSON columns hold specs, fleet states and summaries (never secrets: outputs are
 * masked before they get here).
 */
import Database from "better-sqlite3";
import type { RegionSpec } from "../domain";
import type {
  AuditRecord,
  ErrorInfo,
  EventRecord,
  NewAudit,
  NewEvent,
  OperationRecord,
  OperationSummaryRecord,
  OperationStatus,
  RegionRecord,
  RegionStatus,
  StackRecord,
  StepRecord,
  StepStatus,
} from "../../domain/model";
import { MIGRATIONS } from "./migrations";
import type {
  InterruptedWork,
  OperationPatch,
  OperationQuery,
  RegionState,
  RegionWrites,
  StepPatch,
  Store,
  StoreMetrics,
} from "./store";

/** Histogram bucket bounds (seconds) for step durations. */
export const STEP_DURATION_BUCKETS = [1, 5, 15, 30, 60, 120, 300, 600, 1800] as const;

interface RegionRow {
  name: string;
  seq: number;
  spec: string;
  status: string;
  desired: number;
  last_operation_id: string | null;
  created_at: string;
  updated_at: string;
}
interface StackRow {
  name: string;
  fingerprint: string | null;
  outputs: string;
  updated_at: string;
}
/** The operations columns but the fleet states. */
const SUMMARY_COLUMNS = "seq, id, kind, status, subjects, stacks, request, skipped, actor, attempt, created_at, started_at, finished_at, error";

type OperationSummaryRow = Omit<OperationRow, "before_state" | "after_state">;

interface OperationRow {
  seq: number;
  id: string;
  kind: string;
  status: string;
  subjects: string;
  stacks: string;
  request: string;
  before_state: string;
  after_state: string;
  skipped: string;
  actor: string;
  attempt: number;
  created_at: string;
  started_at: string | null;
  finished_at: string | null;
  error: string | null;
}
interface StepRow {
  operation_id: string;
  id: string;
  ord: number;
  stack: string;
  action: string;
  why: string;
  depends_on: string;
  fingerprint: string | null;
  status: string;
  attempt: number;
  started_at: string | null;
  finished_at: string | null;
  duration_ms: number | null;
  summary: string | null;
  changes: string | null;
  note: string | null;
  error: string | null;
}
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
interface AuditRow {
  id: number;
  at: string;
  actor: string;
  role: string;
  method: string;
  path: string;
  status: number;
  operation_id: string | null;
}

const now = (): string => new Date().toISOString();
const json = (v: unknown): string => JSON.stringify(v ?? null);
const opt = <T>(v: T | null): T | undefined => (v === null ? undefined : v);
function parse(s: string | null): unknown {
  return s === null ? undefined : JSON.parse(s);
}
function placeholders(n: number): string {
  return Array.from({ length: n }, () => "?").join(",");
}

function toRegion(r: RegionRow): RegionRecord {
  return {
    name: r.name,
    spec: JSON.parse(r.spec) as RegionSpec,
    status: r.status as RegionStatus,
    desired: r.desired === 1,
    lastOperationId: opt(r.last_operation_id),
    createdAt: r.created_at,
    updatedAt: r.updated_at,
  };
}

function toOperation(r: OperationRow): OperationRecord {
  return {
    ...toOperationSummary(r),
    before: JSON.parse(r.before_state) as OperationRecord["before"],
    after: JSON.parse(r.after_state) as OperationRecord["after"],
  };
}

function toOperationSummary(r: OperationSummaryRow): OperationSummaryRecord {
  return {
    id: r.id,
    seq: r.seq,
    kind: r.kind as OperationRecord["kind"],
    status: r.status as OperationStatus,
    subjects: JSON.parse(r.subjects) as string[],
    stacks: JSON.parse(r.stacks) as string[],
    request: JSON.parse(r.request) as unknown,
    skipped: JSON.parse(r.skipped) as unknown,
    actor: r.actor,
    attempt: r.attempt,
    createdAt: r.created_at,
    startedAt: opt(r.started_at),
    finishedAt: opt(r.finished_at),
    error: parse(r.error) as ErrorInfo | undefined,
  };
}

function toStep(r: StepRow): StepRecord {
  return {
    operationId: r.operation_id,
    id: r.id,
    stack: r.stack,
    action: r.action as StepRecord["action"],
    why: r.why,
    dependsOn: JSON.parse(r.depends_on) as string[],
    fingerprint: opt(r.fingerprint),
    status: r.status as StepStatus,
    attempt: r.attempt,
    startedAt: opt(r.started_at),
    finishedAt: opt(r.finished_at),
    durationMs: opt(r.duration_ms),
    summary: parse(r.summary) as StepRecord["summary"],
    changes: parse(r.changes) as StepRecord["changes"],
    note: opt(r.note),
    error: parse(r.error) as ErrorInfo | undefined,
  };
}

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

function toAudit(r: AuditRow): AuditRecord {
  return {
    id: r.id,
    at: r.at,
    actor: r.actor,
    role: r.role,
    method: r.method,
    path: r.path,
    status: r.status,
    operationId: opt(r.operation_id),
  };
}

/** Prepared statements kept per SQL text; past this many distinct texts the cache starts over. */
const STATEMENT_CACHE_MAX = 256;

export class SqliteStore implements Store {
  private readonly db: Database.Database;
  private readonly statements = new Map<string, Database.Statement>();

  /** Opens (creating if needed) the database file and applies pending migrations. `:memory:` works for tests. */
  constructor(file: string) {
    this.db = new Database(file);
    this.db.pragma("journal_mode = WAL");
    // In WAL mode NORMAL syncs at checkpoints, not at every commit: a crash of the service (or a
    // SIGKILL) loses nothing; only an OS crash or power cut may drop the last commits, leaving the
    // database consistent. FULL costs an fsync per stored engine event, on the event loop that
    // also answers the API.
    this.db.pragma("synchronous = NORMAL");
    this.db.pragma("busy_timeout = 5000");
    this.db.pragma("foreign_keys = ON");
    this.migrate();
  }

  /**
   * A prepared statement for `source`, compiled once: preparing anew on every call was the
   * largest cost of a GET (SQLite parses and plans the text each time).
   */
  private stmt<P extends unknown[] = unknown[], R = unknown>(source: string): Database.Statement<P, R> {
    let s = this.statements.get(source);
    if (!s) {
      if (this.statements.size >= STATEMENT_CACHE_MAX) this.statements.clear();
      s = this.db.prepare(source);
      this.statements.set(source, s);
    }
    return s as unknown as Database.Statement<P, R>;
  }

  /** Schema version after migrations. */
  schemaVersion(): number {
    const row = this.stmt<[], { version: number }>("SELECT max(version) AS version FROM schema_version").get();
    return row?.version ?? 0;
  }

  private migrate(): void {
    this.db.exec("CREATE TABLE IF NOT EXISTS schema_version (version INTEGER PRIMARY KEY, applied_at TEXT NOT NULL)");
    const current = this.schemaVersion();
    const apply = this.db.transaction((version: number, sql: string) => {
      this.db.exec(sql);
      this.stmt("INSERT INTO schema_version (version, applied_at) VALUES (?, ?)").run(version, now());
    });
    MIGRATIONS.forEach((sql, i) => {
      if (i + 1 > current) apply(i + 1, sql);
    });
  }

  // ---- regions

  listRegions(): Promise<RegionRecord[]> {
    const rows = this.stmt<[], RegionRow>("SELECT * FROM regions ORDER BY seq").all();
    return Promise.resolve(rows.map(toRegion));
  }

  getRegion(name: string): Promise<RegionRecord | undefined> {
    const row = this.stmt<[string], RegionRow>("SELECT * FROM regions WHERE name = ?").get(name);
    return Promise.resolve(row ? toRegion(row) : undefined);
  }

  regionStates(name?: string): Promise<RegionState[]> {
    const sql = `SELECT r.*, s.outputs AS stack_outputs, o.id AS op_id, o.kind AS op_kind, o.status AS op_status
       FROM regions r
       LEFT JOIN stacks s ON s.name = r.name
       LEFT JOIN operations o ON o.id = r.last_operation_id`;
    type Row = RegionRow & { stack_outputs: string | null; op_id: string | null; op_kind: string | null; op_status: string | null };
    const rows =
      name === undefined
        ? this.stmt<[], Row>(`${sql} ORDER BY r.seq`).all()
        : this.stmt<[string], Row>(`${sql} WHERE r.name = ?`).all(name);
    return Promise.resolve(
      rows.map((r) => ({
        region: toRegion(r),
        outputs: r.stack_outputs === null ? {} : (JSON.parse(r.stack_outputs) as Record<string, unknown>),
        lastOperation:
          r.op_id === null ? undefined : { id: r.op_id, kind: r.op_kind as OperationRecord["kind"], status: r.op_status as OperationStatus },
      })),
    );
  }

  setRegionStatus(names: string[], status: RegionStatus, opts: { onlyIf?: RegionStatus[] } = {}): Promise<void> {
    if (names.length === 0) return Promise.resolve();
    let sql = `UPDATE regions SET status = ?, updated_at = ? WHERE name IN (${placeholders(names.length)})`;
    const params: unknown[] = [status, now(), ...names];
    if (opts.onlyIf && opts.onlyIf.length > 0) {
      sql += ` AND status IN (${placeholders(opts.onlyIf.length)})`;
      params.push(...opts.onlyIf);
    }
    this.stmt(sql).run(...params);
    return Promise.resolve();
  }

  deleteRegion(name: string): Promise<void> {
    this.stmt("DELETE FROM regions WHERE name = ?").run(name);
    return Promise.resolve();
  }

  // ---- stacks

  getStack(name: string): Promise<StackRecord | undefined> {
    const r = this.stmt<[string], StackRow>("SELECT * FROM stacks WHERE name = ?").get(name);
    return Promise.resolve(
      r ? { name: r.name, fingerprint: opt(r.fingerprint), outputs: JSON.parse(r.outputs) as Record<string, unknown>, updatedAt: r.updated_at } : undefined,
    );
  }

  listStacks(): Promise<StackRecord[]> {
    const rows = this.stmt<[], StackRow>("SELECT * FROM stacks ORDER BY name").all();
    return Promise.resolve(
      rows.map((r) => ({ name: r.name, fingerprint: opt(r.fingerprint), outputs: JSON.parse(r.outputs) as Record<string, unknown>, updatedAt: r.updated_at })),
    );
  }

  putStack(name: string, fingerprint: string | undefined, outputs: Record<string, unknown>): Promise<void> {
    this
      .stmt(
        `INSERT INTO stacks (name, fingerprint, outputs, updated_at) VALUES (?, ?, ?, ?)
         ON CONFLICT(name) DO UPDATE SET fingerprint = excluded.fingerprint, outputs = excluded.outputs, updated_at = excluded.updated_at`,
      )
      .run(name, fingerprint ?? null, json(outputs), now());
    return Promise.resolve();
  }

  deleteStack(name: string): Promise<void> {
    this.stmt("DELETE FROM stacks WHERE name = ?").run(name);
    return Promise.resolve();
  }

  // ---- operations

  createOperation(op: Omit<OperationRecord, "seq">, steps: StepRecord[], writes: RegionWrites): Promise<OperationRecord> {
    const tx = this.db.transaction((): number => {
      const info = this
        .stmt(
          `INSERT INTO operations (id, kind, status, subjects, stacks, request, before_state, after_state, skipped, actor, attempt, created_at, started_at, finished_at, error)
           VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
        )
        .run(
          op.id, op.kind, op.status, json(op.subjects), json(op.stacks), json(op.request), json(op.before), json(op.after),
          json(op.skipped), op.actor, op.attempt, op.createdAt, op.startedAt ?? null, op.finishedAt ?? null,
          op.error ? json(op.error) : null,
        );
      const seq = Number(info.lastInsertRowid);
      const link = this.stmt("INSERT OR IGNORE INTO operation_stacks (operation_seq, stack, subject) VALUES (?, ?, ?)");
      for (const s of op.stacks) link.run(seq, s, op.subjects.includes(s) ? 1 : 0);
      for (const s of op.subjects) if (!op.stacks.includes(s)) link.run(seq, s, 1);
      const insertStep = this.stmt(
        `INSERT INTO steps (operation_id, id, ord, stack, action, why, depends_on, fingerprint, status, attempt)
         VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
      );
      steps.forEach((s, i) => {
        insertStep.run(op.id, s.id, i, s.stack, s.action, s.why, json(s.dependsOn), s.fingerprint ?? null, s.status, s.attempt);
      });
      const t = now();
      for (const { spec, status } of writes.upsert) {
        this
          .stmt(
            `INSERT INTO regions (name, seq, spec, status, desired, created_at, updated_at)
             VALUES (?, (SELECT coalesce(max(seq), 0) + 1 FROM regions), ?, ?, 1, ?, ?)
             ON CONFLICT(name) DO UPDATE SET spec = excluded.spec, desired = 1, updated_at = excluded.updated_at`,
          )
          .run(spec.name, json(spec), status ?? "ready", t, t);
      }
      for (const name of writes.remove) {
        this.stmt("UPDATE regions SET desired = 0, updated_at = ? WHERE name = ?").run(t, name);
      }
      for (const { name, status } of writes.status) {
        this.stmt("UPDATE regions SET status = ?, updated_at = ? WHERE name = ?").run(status, t, name);
      }
      for (const name of op.subjects) {
        this.stmt("UPDATE regions SET last_operation_id = ? WHERE name = ?").run(op.id, name);
      }
      return seq;
    });
    const seq = tx();
    return Promise.resolve({ ...op, seq });
  }

  getOperation(id: string): Promise<OperationRecord | undefined> {
    const r = this.stmt<[string], OperationRow>("SELECT * FROM operations WHERE id = ?").get(id);
    return Promise.resolve(r ? toOperation(r) : undefined);
  }

  getOperationSummary(id: string): Promise<OperationSummaryRecord | undefined> {
    const r = this.stmt<[string], OperationSummaryRow>(`SELECT ${SUMMARY_COLUMNS} FROM operations WHERE id = ?`).get(id);
    return Promise.resolve(r ? toOperationSummary(r) : undefined);
  }

  listOperations(q: OperationQuery): Promise<OperationSummaryRecord[]> {
    const where: string[] = [];
    const params: unknown[] = [];
    if (q.beforeSeq !== undefined) {
      where.push("o.seq < ?");
      params.push(q.beforeSeq);
    }
    if (q.status) {
      where.push("o.status = ?");
      params.push(q.status);
    }
    if (q.kind) {
      where.push("o.kind = ?");
      params.push(q.kind);
    }
    if (q.region) {
      where.push("o.seq IN (SELECT operation_seq FROM operation_stacks WHERE stack = ?)");
      params.push(q.region);
    }
    const sql = `SELECT ${SUMMARY_COLUMNS} FROM operations o ${where.length ? "WHERE " + where.join(" AND ") : ""} ORDER BY o.seq DESC LIMIT ?`;
    params.push(q.limit);
    const rows = this.stmt<unknown[], OperationSummaryRow>(sql).all(...params);
    return Promise.resolve(rows.map(toOperationSummary));
  }

  listActiveOperations(): Promise<OperationRecord[]> {
    const rows = this
      .stmt<[], OperationRow>("SELECT * FROM operations WHERE status IN ('queued', 'running') ORDER BY seq")
      .all();
    return Promise.resolve(rows.map(toOperation));
  }

  lastOperationFor(region: string): Promise<OperationRecord | undefined> {
    const r = this
      .stmt<[string], OperationRow>(
        `SELECT o.* FROM operations o JOIN operation_stacks s ON s.operation_seq = o.seq
         WHERE s.stack = ? AND s.subject = 1 ORDER BY o.seq DESC LIMIT 1`,
      )
      .get(region);
    return Promise.resolve(r ? toOperation(r) : undefined);
  }

  laterOperationsTouching(seq: number, stacks: string[]): Promise<OperationRecord[]> {
    if (stacks.length === 0) return Promise.resolve([]);
    const rows = this
      .stmt<unknown[], OperationRow>(
        `SELECT * FROM operations WHERE seq > ? AND seq IN
           (SELECT operation_seq FROM operation_stacks WHERE stack IN (${placeholders(stacks.length)}))
         ORDER BY seq`,
      )
      .all(seq, ...stacks);
    return Promise.resolve(rows.map(toOperation));
  }

  transitionOperation(id: string, from: readonly OperationStatus[], to: OperationStatus, patch: OperationPatch = {}): Promise<boolean> {
    const sets = ["status = ?"];
    const params: unknown[] = [to];
    if ("startedAt" in patch) {
      sets.push("started_at = ?");
      params.push(patch.startedAt ?? null);
    }
    if ("finishedAt" in patch) {
      sets.push("finished_at = ?");
      params.push(patch.finishedAt ?? null);
    }
    if ("error" in patch) {
      sets.push("error = ?");
      params.push(patch.error ? json(patch.error) : null);
    }
    const info = this
      .stmt(`UPDATE operations SET ${sets.join(", ")} WHERE id = ? AND status IN (${placeholders(from.length)})`)
      .run(...params, id, ...from);
    return Promise.resolve(info.changes === 1);
  }

  listSteps(operationId: string): Promise<StepRecord[]> {
    const rows = this.stmt<[string], StepRow>("SELECT * FROM steps WHERE operation_id = ? ORDER BY ord").all(operationId);
    return Promise.resolve(rows.map(toStep));
  }

  transitionStep(operationId: string, stepId: string, from: readonly StepStatus[], to: StepStatus, patch: StepPatch = {}): Promise<boolean> {
    const sets = ["status = ?"];
    const params: unknown[] = [to];
    const cols: [keyof StepPatch, string, boolean][] = [
      ["startedAt", "started_at", false],
      ["finishedAt", "finished_at", false],
      ["durationMs", "duration_ms", false],
      ["summary", "summary", true],
      ["changes", "changes", true],
      ["note", "note", false],
      ["error", "error", true],
      ["attempt", "attempt", false],
    ];
    for (const [key, col, isJson] of cols) {
      if (key in patch) {
        const v = patch[key];
        sets.push(`${col} = ?`);
        params.push(v === undefined ? null : isJson ? json(v) : v);
      }
    }
    const info = this
      .stmt(`UPDATE steps SET ${sets.join(", ")} WHERE operation_id = ? AND id = ? AND status IN (${placeholders(from.length)})`)
      .run(...params, operationId, stepId, ...from);
    return Promise.resolve(info.changes === 1);
  }

  requeueOperation(id: string, from: readonly OperationStatus[]): Promise<boolean> {
    const tx = this.db.transaction((): boolean => {
      const info = this
        .stmt(
          `UPDATE operations SET status = 'queued', attempt = attempt + 1, finished_at = NULL, error = NULL
           WHERE id = ? AND status IN (${placeholders(from.length)})`,
        )
        .run(id, ...from);
      if (info.changes !== 1) return false;
      this
        .stmt(
          `UPDATE steps SET status = 'pending', error = NULL, finished_at = NULL
           WHERE operation_id = ? AND status NOT IN ('succeeded', 'skipped')`,
        )
        .run(id);
      return true;
    });
    return Promise.resolve(tx());
  }

  interruptActive(at: string): Promise<InterruptedWork> {
    const tx = this.db.transaction((): InterruptedWork => {
      const ops = this
        .stmt<[], { id: string; stacks: string }>("SELECT id, stacks FROM operations WHERE status IN ('queued', 'running') ORDER BY seq")
        .all();
      const stacks = new Set<string>();
      const error = json({ code: "interrupted", message: "the service stopped while this operation was in flight; retry it" });
      for (const op of ops) {
        for (const s of JSON.parse(op.stacks) as string[]) stacks.add(s);
        this
          .stmt("UPDATE operations SET status = 'interrupted', finished_at = ?, error = ? WHERE id = ? AND status IN ('queued', 'running')")
          .run(at, error, op.id);
        this
          .stmt("UPDATE steps SET status = 'interrupted', finished_at = ? WHERE operation_id = ? AND status = 'running'")
          .run(at, op.id);
        this
          .stmt(
            "UPDATE regions SET status = 'interrupted', updated_at = ? WHERE last_operation_id = ? AND status IN ('creating', 'updating', 'removing')",
          )
          .run(at, op.id);
      }
      return { operations: ops.map((o) => o.id), stacks: [...stacks] };
    });
    return Promise.resolve(tx());
  }

  // ---- events

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

  // ---- audit

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

  // ---- metrics

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

  close(): Promise<void> {
    if (this.db.open) this.db.close();
    return Promise.resolve();
  }
}
