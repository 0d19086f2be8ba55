/**
 * SQL sessions against a local PostgreSQL: the app's roles and table on a primary, promotion in
 * place, and what a standby's walreceiver streams. Each call opens one connection and closes it.
 */
import { Client } from "pg";
import { PG_APP_USER, PG_DATABASE, PG_HOST, PG_MONITOR, PG_REPLICATOR, PG_SUPERUSER } from "../render/postgres";
import type { PostgresServerInputs } from "./postgresCluster";
import { waitFor } from "./proc";

export function client(port: number, user: string, password: string, database: string): Client {
  return new Client({ host: PG_HOST, port, user, password, database, connectionTimeoutMillis: 5000 });
}

export async function withClient<T>(c: Client, fn: (c: Client) => Promise<T>): Promise<T> {
  await c.connect();
  try {
    return await fn(c);
  } finally {
    await c.end().catch(() => undefined);
  }
}

/** `fn` in a session of the superuser on the `postgres` database of the server on `port`. */
function asSuperuser<T>(i: PostgresServerInputs, port: number, fn: (c: Client) => Promise<T>): Promise<T> {
  return withClient(client(port, PG_SUPERUSER, i.superuserPassword, "postgres"), fn);
}

/** `fn` in a superuser session on this server. */
export function superuserQuery<T>(i: PostgresServerInputs, fn: (c: Client) => Promise<T>): Promise<T> {
  return asSuperuser(i, i.port, fn);
}

/** Roles, database and table of the app; idempotent (also re-applies passwords). */
export async function bootstrapPrimary(i: PostgresServerInputs): Promise<void> {
  await superuserQuery(i, async (c) => {
    const roles: [string, string, string][] = [
      [PG_REPLICATOR, "REPLICATION LOGIN", i.replicatorPassword],
      [PG_APP_USER, "LOGIN", i.appPassword ?? ""],
      [PG_MONITOR, "LOGIN", i.monitorPassword ?? ""],
    ];
    for (const [role, attrs, password] of roles) {
      const exists = await c.query("SELECT 1 FROM pg_roles WHERE rolname = $1", [role]);
      const verb = exists.rowCount === 0 ? "CREATE" : "ALTER";
      await c.query(`${verb} ROLE ${role} WITH ${attrs} PASSWORD ${c.escapeLiteral(password)}`);
    }
    await c.query(`GRANT pg_monitor TO ${PG_MONITOR}`);
    const db = await c.query("SELECT 1 FROM pg_database WHERE datname = $1", [PG_DATABASE]);
    if (db.rowCount === 0) await c.query(`CREATE DATABASE ${PG_DATABASE} OWNER ${PG_APP_USER}`);
  });
  await withClient(client(i.port, PG_SUPERUSER, i.superuserPassword, PG_DATABASE), async (c) => {
    await c.query(
      `CREATE TABLE IF NOT EXISTS debates (
         id bigserial PRIMARY KEY,
         created_at timestamptz NOT NULL DEFAULT now(),
         topic text NOT NULL,
         body text NOT NULL DEFAULT '',
         origin_region text NOT NULL
       )`,
    );
    await c.query(`ALTER TABLE debates OWNER TO ${PG_APP_USER}`);
  });
}

/** Promotes a running standby in place (same data dir, new timeline); a no-op on a primary. */
export async function promoteInPlace(i: PostgresServerInputs): Promise<void> {
  await superuserQuery(i, async (c) => {
    const r = await c.query<{ r: boolean }>("SELECT pg_is_in_recovery() AS r");
    if (r.rows[0]?.r !== true) return;
    const p = await c.query<{ ok: boolean }>("SELECT pg_promote(true, 60) AS ok");
    if (p.rows[0]?.ok !== true) throw new Error(`pg_promote of ${i.region} did not finish within 60 s`);
    // Put the new timeline into pg_control now (pg_rewind and timeline probes read it there).
    await c.query("CHECKPOINT");
  });
}

/** The primary's current timeline (pg_control; a promotion's CHECKPOINT puts the new one there). */
async function primaryTimeline(i: PostgresServerInputs): Promise<number | undefined> {
  try {
    return await asSuperuser(i, i.primaryPort ?? 0, async (c) => {
      const r = await c.query<{ tli: number }>("SELECT timeline_id AS tli FROM pg_control_checkpoint()");
      return r.rows[0]?.tli;
    });
  } catch {
    return undefined;
  }
}

/**
 * Waits until the standby's walreceiver streams the primary's current timeline; false when it does
 * not within `timeoutMs`. The timeline matters: a standby that replayed past a new primary's switch
 * point still connects and streams the old timeline's WAL up to that point, so `status` alone reads
 * `streaming` for a moment between its "forked off ... before current recovery point" retries.
 */
export async function waitStreaming(i: PostgresServerInputs, timeoutMs = 15_000): Promise<boolean> {
  return waitFor(async () => {
    try {
      const receiver = await superuserQuery(i, async (c) => {
        const r = await c.query<{ status: string; tli: number | null }>("SELECT status, received_tli AS tli FROM pg_stat_wal_receiver");
        return r.rows[0];
      });
      if (receiver?.status !== "streaming") return false;
      const want = await primaryTimeline(i);
      return want === undefined || (receiver.tli ?? 0) >= want;
    } catch {
      return false;
    }
  }, timeoutMs, 200);
}
