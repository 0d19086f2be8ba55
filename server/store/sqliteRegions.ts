/** The store's regions and stacks tables (see sqliteDb.ts for the layering). */
import type { RegionSpec } from "../domain";
import type { OperationRecord, OperationStatus, PendingOperationRecord, RegionRecord, RegionStatus, StackRecord } from "../../domain/model";
import { SqliteDb, json, now, opt, placeholders } from "./sqliteDb";
import type { RegionState } from "./store";

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

function toStack(r: StackRow): StackRecord {
  return { name: r.name, fingerprint: opt(r.fingerprint), outputs: JSON.parse(r.outputs) as Record<string, unknown>, updatedAt: r.updated_at };
}

export abstract class SqliteRegions extends SqliteDb {
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

  getStack(name: string): Promise<StackRecord | undefined> {
    const r = this.stmt<[string], StackRow>("SELECT * FROM stacks WHERE name = ?").get(name);
    return Promise.resolve(r ? toStack(r) : undefined);
  }

  listStacks(): Promise<StackRecord[]> {
    const rows = this.stmt<[], StackRow>("SELECT * FROM stacks ORDER BY name").all();
    return Promise.resolve(rows.map(toStack));
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

  pendingOperations(stack?: string): Promise<Map<string, PendingOperationRecord[]>> {
    const rows =
      stack === undefined
        ? this.stmt<[], { stack: string; operations: string }>("SELECT stack, operations FROM stack_pending_operations ORDER BY stack").all()
        : this.stmt<[string], { stack: string; operations: string }>("SELECT stack, operations FROM stack_pending_operations WHERE stack = ?").all(stack);
    return Promise.resolve(new Map(rows.map((r) => [r.stack, JSON.parse(r.operations) as PendingOperationRecord[]])));
  }

  setPendingOperations(stack: string, operations: readonly PendingOperationRecord[]): Promise<void> {
    if (operations.length === 0) {
      this.stmt("DELETE FROM stack_pending_operations WHERE stack = ?").run(stack);
    } else {
      this
        .stmt(
          `INSERT INTO stack_pending_operations (stack, operations, noted_at) VALUES (?, ?, ?)
           ON CONFLICT(stack) DO UPDATE SET operations = excluded.operations, noted_at = excluded.noted_at`,
        )
        .run(stack, json(operations), now());
    }
    return Promise.resolve();
  }
}
