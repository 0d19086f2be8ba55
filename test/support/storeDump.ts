/** The service's SQLite database read back, table by table, to compare before and after. */
import Database from "better-sqlite3";

/** Every table but the audit log (with `withAudit`, every table), rows in a stable order. */
export function dumpTables(dbFile: string, o: { withAudit?: boolean } = {}): Record<string, unknown[]> {
  const db = new Database(dbFile, { readonly: true, fileMustExist: true });
  try {
    const tables = (db.prepare("SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name").all() as { name: string }[]).map((t) => t.name);
    const out: Record<string, unknown[]> = {};
    for (const t of tables) {
      if (t === "audit" && !o.withAudit) continue;
      const rows = db.prepare(`SELECT * FROM "${t}" ORDER BY rowid`).all() as Record<string, unknown>[];
      // The audit log's autoincrement counter moves with it.
      out[t] = t === "sqlite_sequence" && !o.withAudit ? rows.filter((r) => r["name"] !== "audit") : rows;
    }
    return out;
  } finally {
    db.close();
  }
}
