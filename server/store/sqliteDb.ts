/**
 * The SQLite connection under the store (better-sqlite3, one file in the state dir, WAL mode):
 * opening, migrations and one prepared statement per SQL text, plus the value helpers the table
 * modules share. The store's methods are layered on it by record kind: sqliteRegions.ts (regions,
 * stacks), sqliteOperations.ts (operations, steps), sqliteStore.ts (events, audit, metrics).
 */
import Database from "better-sqlite3";
import { MIGRATIONS } from "./migrations";

export const now = (): string => new Date().toISOString();
export const json = (v: unknown): string => JSON.stringify(v ?? null);
export const opt = <T>(v: T | null): T | undefined => (v === null ? undefined : v);
export function parse(s: string | null): unknown {
  return s === null ? undefined : JSON.parse(s);
}
export function placeholders(n: number): string {
  return Array.from({ length: n }, () => "?").join(",");
}

/** A column a patch may set: the patch's key, the column's name, and whether it holds JSON. */
export type PatchColumn<P> = readonly [keyof P & string, string, boolean];

/**
 * `status = ?` plus one assignment per column whose key is present in `patch` (JSON columns
 * serialized; an undefined value stores NULL), and their parameters in the same order.
 */
export function statusAssignments<P extends object>(status: string, patch: P, columns: readonly PatchColumn<P>[]): { sets: string; params: unknown[] } {
  const sets = ["status = ?"];
  const params: unknown[] = [status];
  for (const [key, col, isJson] of columns) {
    if (key in patch) {
      const v = patch[key];
      sets.push(`${col} = ?`);
      params.push(v === undefined ? null : isJson ? json(v) : v);
    }
  }
  return { sets: sets.join(", "), params };
}

/** Prepared statements kept per SQL text; past this many distinct texts the cache starts over. */
const STATEMENT_CACHE_MAX = 256;

export abstract class SqliteDb {
  protected readonly db: Database.Database;
  private readonly statements = new Map<string, Database.Statement>();

  /** Opens (creating if needed) the database file and applies pending migrations. `:memory:` works for tests. */
  constructor(file: string) {
    this.db = new Database(file);
    this.db.pragma("journal_mode = WAL");
    // In WAL mode NORMAL syncs at checkpoints, not at every commit: a crash of the service (or a
    // SIGKILL) loses nothing; only an OS crash or power cut may drop the last commits, leaving the
    // database consistent. FULL would cost an fsync per stored engine event, on the event loop
    // that also answers the API.
    this.db.pragma("synchronous = NORMAL");
    this.db.pragma("busy_timeout = 5000");
    this.db.pragma("foreign_keys = ON");
    this.migrate();
  }

  /** A prepared statement for `source`, compiled once: SQLite would otherwise parse and plan the text on every call. */
  protected stmt<P extends unknown[] = unknown[], R = unknown>(source: string): Database.Statement<P, R> {
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

  /**
   * A table created and dropped in one transaction: a commit that needs a page the database does
   * not have in use (a full disk, or a file at its size limit, refuses it). The page then stays on
   * the free list, for the next probe.
   */
  checkWritable(): Promise<void> {
    this.db.transaction(() => {
      this.db.exec("CREATE TABLE aragora_write_probe (x); DROP TABLE aragora_write_probe");
    }).immediate();
    return Promise.resolve();
  }

  close(): Promise<void> {
    if (this.db.open) this.db.close();
    return Promise.resolve();
  }
}
