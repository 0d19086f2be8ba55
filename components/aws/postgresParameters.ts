/**
 * RDS parameter group settings from the region spec: the runbook's primary postgresql.conf
 * (`max_wal_senders`, `wal_keep_size`, `max_replication_slots`) plus `hot_standby_feedback` for
 * replicas. `wal_level = replica` is RDS's own setting whenever backups are on, so it is not a
 * parameter here (RDS only exposes it through `rds.logical_replication`, which would raise it to
 * `logical`). Every region gets the same group, so a promoted replica already runs the primary's
 * settings.
 */
import type { RegionSpec } from "../../domain/spec/regionSpec";

export interface DbParameter {
  name: string;
  value: string;
  applyMethod: "immediate" | "pending-reboot";
}

const UNIT_MB: Record<string, number> = { kB: 1 / 1024, MB: 1, GB: 1024, TB: 1024 * 1024 };

/** "2GB" → 2048 (RDS takes wal_keep_size in MB). */
export function pgSizeToMb(size: string): number {
  const m = /^([1-9][0-9]*)(kB|MB|GB|TB)$/.exec(size);
  const unit = m?.[2];
  if (!m || unit === undefined) throw new Error(`not a PostgreSQL size: ${JSON.stringify(size)}`);
  const mb = Number(m[1]) * (UNIT_MB[unit] ?? 0);
  return Math.max(1, Math.ceil(mb));
}

/** Parameter group family, e.g. "postgres15". */
export function parameterGroupFamily(version: string): string {
  return `postgres${version}`;
}

export function postgresParameters(pg: RegionSpec["postgres"]): DbParameter[] {
  return [
    { name: "max_wal_senders", value: String(pg.maxWalSenders), applyMethod: "pending-reboot" },
    { name: "max_replication_slots", value: String(pg.maxReplicationSlots), applyMethod: "pending-reboot" },
    { name: "wal_keep_size", value: String(pgSizeToMb(pg.walKeepSize)), applyMethod: "immediate" },
    { name: "hot_standby_feedback", value: "1", applyMethod: "immediate" },
  ];
}
