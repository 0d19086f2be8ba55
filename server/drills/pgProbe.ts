/**
 * Short-lived PostgreSQL sessions against local regions: WAL positions, replication views,
 * promotion, fencing, and the runbook's consistency query. Each call opens one connection with
 * tight timeouts and closes it; errors come back scrubbed of credentials.
 */
import { Client } from "pg";
import { scrubText } from "../mask";
import type { LocalEndpoint } from "./endpoints";
import type { PgPosition } from "./failoverCheck";

export type PgLogin = "superuser" | "monitor" | "app";

const CONNECT_TIMEOUT_MS = 2000;
const STATEMENT_TIMEOUT_MS = 15_000;

export function errorText(err: unknown): string {
  const e = err as { code?: string; message?: string };
  return scrubText(e.code && !String(e.message).includes(e.code) ? `${e.code}: ${e.message ?? ""}` : (e.message ?? String(err)));
}

export async function withPg<T>(ep: LocalEndpoint, login: PgLogin, fn: (c: Client) => Promise<T>, database?: string): Promise<T> {
  const user = login === "superuser" ? ep.superuser : login === "monitor" ? ep.monitorUser : ep.appUser;
  const password = (login === "superuser" ? ep.secrets.superuser : login === "monitor" ? ep.secrets.monitor : ep.secrets.app).reveal();
  const c = new Client({
    host: ep.host,
    port: ep.postgresPort,
    user,
    password,
    database: database ?? (login === "app" ? ep.database : "postgres"),
    connectionTimeoutMillis: CONNECT_TIMEOUT_MS,
    statement_timeout: STATEMENT_TIMEOUT_MS,
    application_name: "aragora-regions-drills",
  });
  c.on("error", () => undefined);
  await c.connect();
  try {
    return await fn(c);
  } finally {
    await c.end().catch(() => undefined);
  }
}

interface PositionRow {
  in_recovery: boolean;
  current_lsn: string | null;
  receive_lsn: string | null;
  replay_lsn: string | null;
  read_only: string;
  timeline: number | null;
}

/** The WAL position of one region (the runbook's split-brain query, plus recovery state and timeline). */
export async function probePosition(ep: LocalEndpoint): Promise<PgPosition> {
  try {
    const row = await withPg(ep, "superuser", async (c) => {
      const r = await c.query<PositionRow>(
        `SELECT pg_is_in_recovery() AS in_recovery,
                CASE WHEN pg_is_in_recovery() THEN NULL ELSE pg_current_wal_lsn()::text END AS current_lsn,
                pg_last_wal_receive_lsn()::text AS receive_lsn,
                pg_last_wal_replay_lsn()::text AS replay_lsn,
                current_setting('default_transaction_read_only') AS read_only,
                (SELECT timeline_id FROM pg_control_checkpoint()) AS timeline`,
      );
      return r.rows[0];
    });
    if (!row) throw new Error("no answer");
    return {
      region: ep.region,
      reachable: true,
      inRecovery: row.in_recovery,
      currentLsn: row.current_lsn,
      receiveLsn: row.receive_lsn,
      replayLsn: row.replay_lsn,
      readOnly: row.read_only === "on",
      ...(row.timeline !== null ? { timeline: row.timeline } : {}),
    };
  } catch (err) {
    return { region: ep.region, reachable: false, error: errorText(err) };
  }
}

/** `pg_promote(wait => true)`; returns the new primary's WAL position and timeline. */
export async function promotePostgres(ep: LocalEndpoint, waitSeconds = 60): Promise<{ lsn: string; timeline: number | undefined }> {
  return withPg(ep, "superuser", async (c) => {
    const rec = await c.query<{ r: boolean }>("SELECT pg_is_in_recovery() AS r");
    if (rec.rows[0]?.r === true) {
      const p = await c.query<{ ok: boolean }>("SELECT pg_promote(true, $1) AS ok", [waitSeconds]);
      if (p.rows[0]?.ok !== true) throw new Error(`pg_promote on ${ep.region} did not finish within ${waitSeconds}s`);
    }
    // A fast checkpoint makes the new timeline visible in pg_control (pg_rewind and probes read it there).
    await c.query("CHECKPOINT");
    const r = await c.query<{ lsn: string; tl: number | null }>("SELECT pg_current_wal_lsn()::text AS lsn, (SELECT timeline_id FROM pg_control_checkpoint()) AS tl");
    const row = r.rows[0];
    return { lsn: row?.lsn ?? "0/0", timeline: row?.tl ?? undefined };
  });
}

/**
 * Fences a primary that still accepts writes: new transactions read-only, app sessions ended.
 * Returns its WAL position at that moment (what the new primary must have).
 */
export async function fenceReadOnly(ep: LocalEndpoint): Promise<string> {
  return withPg(ep, "superuser", async (c) => {
    await c.query("ALTER SYSTEM SET default_transaction_read_only = on");
    await c.query("SELECT pg_reload_conf()");
    await c.query(
      "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE backend_type = 'client backend' AND pid <> pg_backend_pid() AND usename <> $1",
      [ep.superuser],
    );
    const r = await c.query<{ lsn: string }>("SELECT pg_current_wal_lsn()::text AS lsn");
    return r.rows[0]?.lsn ?? "0/0";
  });
}

/** Ensures a physical slot exists (PG 15 does not replicate slots to standbys: a new primary has none). */
export async function ensureSlot(ep: LocalEndpoint, slot: string): Promise<boolean> {
  return withPg(ep, "superuser", async (c) => {
    const r = await c.query("SELECT 1 FROM pg_replication_slots WHERE slot_name = $1", [slot]);
    if ((r.rowCount ?? 0) > 0) return false;
    await c.query("SELECT pg_create_physical_replication_slot($1, true)", [slot]);
    return true;
  });
}

export interface ReplicaLag {
  applicationName: string;
  state: string;
  clientAddr: string | null;
  sentLsn: string | null;
  replayLsn: string | null;
  lagBytes: number | null;
  lagSeconds: number | null;
  slotName: string | null;
}

/** The runbook's lag query on a primary (pg_stat_replication joined with the slots). */
export async function replicasOf(ep: LocalEndpoint): Promise<{ currentLsn: string; replicas: ReplicaLag[] }> {
  return withPg(ep, "monitor", async (c) => {
    const cur = await c.query<{ lsn: string | null }>("SELECT CASE WHEN pg_is_in_recovery() THEN NULL ELSE pg_current_wal_lsn()::text END AS lsn");
    const lsn = cur.rows[0]?.lsn ?? null;
    if (lsn === null) throw new Error(`${ep.region}'s PostgreSQL is in recovery: not a primary`);
    const r = await c.query<{
      application_name: string;
      state: string;
      client_addr: string | null;
      sent_lsn: string | null;
      replay_lsn: string | null;
      lag_bytes: string | null;
      lag_seconds: string | null;
      slot_name: string | null;
    }>(
      `SELECT r.application_name, r.state, r.client_addr::text AS client_addr, r.sent_lsn::text AS sent_lsn, r.replay_lsn::text AS replay_lsn,
              pg_wal_lsn_diff(pg_current_wal_lsn(), r.replay_lsn)::text AS lag_bytes,
              EXTRACT(EPOCH FROM r.replay_lag)::text AS lag_seconds,
              s.slot_name
         FROM pg_stat_replication r LEFT JOIN pg_replication_slots s ON s.active_pid = r.pid
        ORDER BY r.application_name`,
    );
    return {
      currentLsn: lsn,
      replicas: r.rows.map((x) => ({
        applicationName: x.application_name,
        state: x.state,
        clientAddr: x.client_addr,
        sentLsn: x.sent_lsn,
        replayLsn: x.replay_lsn,
        lagBytes: x.lag_bytes === null ? null : Number(x.lag_bytes),
        // replay_lag is NULL when the standby is idle: caught up if no bytes are outstanding, else unknown.
        lagSeconds: x.lag_seconds !== null ? Number(x.lag_seconds) : x.lag_bytes !== null && Number(x.lag_bytes) === 0 ? 0 : null,
        slotName: x.slot_name,
      })),
    };
  });
}

export interface StandbyState {
  inRecovery: boolean;
  receiverStatus: string | null;
  senderPort: number | null;
  slotName: string | null;
  receiveLsn: string | null;
  replayLsn: string | null;
  /** Seconds since the last replayed transaction committed on the primary (null before any). */
  replayDelaySeconds: number | null;
  timeline: number | null;
}

/** What a standby says about itself (pg_stat_wal_receiver, receive/replay LSNs). */
export async function standbyState(ep: LocalEndpoint): Promise<StandbyState> {
  return withPg(ep, "monitor", async (c) => {
    const r = await c.query<{
      in_recovery: boolean;
      status: string | null;
      sender_port: number | null;
      slot_name: string | null;
      receive_lsn: string | null;
      replay_lsn: string | null;
      delay: string | null;
      tli: number | null;
    }>(
      `SELECT pg_is_in_recovery() AS in_recovery, w.status, w.sender_port, w.slot_name, w.received_tli AS tli,
              pg_last_wal_receive_lsn()::text AS receive_lsn, pg_last_wal_replay_lsn()::text AS replay_lsn,
              EXTRACT(EPOCH FROM now() - pg_last_xact_replay_timestamp())::text AS delay
         FROM (SELECT 1) one LEFT JOIN pg_stat_wal_receiver w ON true`,
    );
    const x = r.rows[0];
    if (!x) throw new Error("no answer");
    return {
      inRecovery: x.in_recovery,
      receiverStatus: x.status,
      senderPort: x.sender_port,
      slotName: x.slot_name,
      receiveLsn: x.receive_lsn,
      replayLsn: x.replay_lsn,
      replayDelaySeconds: x.delay === null ? null : Number(x.delay),
      timeline: x.tli,
    };
  });
}

export interface DebateFigures {
  /** Every row of `debates`. */
  rows: number;
  /** Rows created before the cutoff (what the checksum covers). */
  rowsBeforeCutoff: number;
  /** md5 of the ids created before the cutoff, in id order, comma-separated (the runbook's checksum). */
  checksum: string;
}

/** The runbook's consistency query (Phase 6.2) with an explicit cutoff. */
export async function debateFigures(ep: LocalEndpoint, cutoff: string): Promise<DebateFigures> {
  return withPg(ep, "app", async (c) => {
    const r = await c.query<{ rows: string; before: string; checksum: string | null }>(
      `SELECT (SELECT count(*) FROM debates)::text AS rows,
              count(*)::text AS before,
              md5(coalesce(string_agg(id::text, ',' ORDER BY id), '')) AS checksum
         FROM debates WHERE created_at < $1::timestamptz`,
      [cutoff],
    );
    const x = r.rows[0];
    return { rows: Number(x?.rows ?? 0), rowsBeforeCutoff: Number(x?.before ?? 0), checksum: x?.checksum ?? "" };
  });
}

/** `now() - seconds` on a server, as ISO text (all regions are then cut at the same instant). */
export async function cutoffAt(ep: LocalEndpoint, ageSeconds: number): Promise<string> {
  return withPg(ep, "app", async (c) => {
    const r = await c.query<{ t: Date }>("SELECT now() - make_interval(secs => $1) AS t", [ageSeconds]);
    const t = r.rows[0]?.t;
    if (!t) throw new Error("no time");
    return t.toISOString();
  });
}
