/** The store's operations and steps tables (see sqliteDb.ts for the layering). */
import type { ErrorInfo, OperationRecord, OperationStatus, OperationSummaryRecord, StepRecord, StepStatus } from "../../domain/model";
import { type PatchColumn, json, now, opt, parse, placeholders, statusAssignments } from "./sqliteDb";
import { SqliteRegions } from "./sqliteRegions";
import type { InterruptedWork, OperationPatch, OperationQuery, RegionWrites, StepPatch } from "./store";

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
type OperationSummaryRow = Omit<OperationRow, "before_state" | "after_state">;

/** The operations columns but the fleet states. */
const SUMMARY_COLUMNS = "seq, id, kind, status, subjects, stacks, request, skipped, actor, attempt, created_at, started_at, finished_at, error";

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

const OPERATION_PATCH_COLUMNS: readonly PatchColumn<OperationPatch>[] = [
  ["startedAt", "started_at", false],
  ["finishedAt", "finished_at", false],
  ["error", "error", true],
];

const STEP_PATCH_COLUMNS: readonly PatchColumn<StepPatch>[] = [
  ["startedAt", "started_at", false],
  ["finishedAt", "finished_at", false],
  ["durationMs", "duration_ms", false],
  ["summary", "summary", true],
  ["changes", "changes", true],
  ["note", "note", false],
  ["error", "error", true],
  ["attempt", "attempt", false],
];

export abstract class SqliteOperations extends SqliteRegions {
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
      this.writeRegions(op, writes);
      return seq;
    });
    const seq = tx();
    return Promise.resolve({ ...op, seq });
  }

  /** The region rows an accepted operation changes (inside createOperation's transaction). */
  private writeRegions(op: Omit<OperationRecord, "seq">, writes: RegionWrites): void {
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
    const filters: [string, unknown][] = [];
    if (q.beforeSeq !== undefined) filters.push(["o.seq < ?", q.beforeSeq]);
    if (q.status) filters.push(["o.status = ?", q.status]);
    if (q.kind) filters.push(["o.kind = ?", q.kind]);
    if (q.region) filters.push(["o.seq IN (SELECT operation_seq FROM operation_stacks WHERE stack = ?)", q.region]);
    const where = filters.length ? "WHERE " + filters.map(([sql]) => sql).join(" AND ") : "";
    const sql = `SELECT ${SUMMARY_COLUMNS} FROM operations o ${where} ORDER BY o.seq DESC LIMIT ?`;
    const rows = this.stmt<unknown[], OperationSummaryRow>(sql).all(...filters.map(([, v]) => v), q.limit);
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
    const { sets, params } = statusAssignments(to, patch, OPERATION_PATCH_COLUMNS);
    const info = this
      .stmt(`UPDATE operations SET ${sets} WHERE id = ? AND status IN (${placeholders(from.length)})`)
      .run(...params, id, ...from);
    return Promise.resolve(info.changes === 1);
  }

  listSteps(operationId: string): Promise<StepRecord[]> {
    const rows = this.stmt<[string], StepRow>("SELECT * FROM steps WHERE operation_id = ? ORDER BY ord").all(operationId);
    return Promise.resolve(rows.map(toStep));
  }

  transitionStep(operationId: string, stepId: string, from: readonly StepStatus[], to: StepStatus, patch: StepPatch = {}): Promise<boolean> {
    const { sets, params } = statusAssignments(to, patch, STEP_PATCH_COLUMNS);
    const info = this
      .stmt(`UPDATE steps SET ${sets} WHERE operation_id = ? AND id = ? AND status IN (${placeholders(from.length)})`)
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
}
