/**
 * Split-brain prevention for a failover, as a pure decision over what the probes saw
 * (RUNBOOK.md, Troubleshooting, "Split Brain Prevention": keep the region with the higher LSN).
 *
 * A failover to `target` is refused (unless forced) when:
 * - the target's PostgreSQL does not answer (its WAL position is unknown);
 * - another region's PostgreSQL still accepts writes (not in recovery, not fenced read-only):
 *   promoting now would leave two primaries;
 * - the target has less WAL than another candidate (a standby, or a fenced old primary that still
 *   answers): promoting it would lose the writes the other one has, and that one could not follow.
 * A target that is already out of recovery (a retried failover) is accepted as it is.
 */
import { formatLsn, maxLsn, parseLsn } from "./lsn";

/** What one region's PostgreSQL said when probed. LSNs are PostgreSQL text (`0/5137618`). */
export interface PgPosition {
  region: string;
  reachable: boolean;
  /** Why it was not reachable (connection error, without credentials). */
  error?: string | undefined;
  inRecovery?: boolean | undefined;
  /** Primary: pg_current_wal_lsn(). */
  currentLsn?: string | null | undefined;
  /** Standby: pg_last_wal_receive_lsn() (null until its walreceiver received something). */
  receiveLsn?: string | null | undefined;
  /** Standby: pg_last_wal_replay_lsn(). */
  replayLsn?: string | null | undefined;
  /** default_transaction_read_only is on (fenced). */
  readOnly?: boolean | undefined;
  /** Timeline of the last checkpoint. */
  timeline?: number | undefined;
}

export type FailoverProblemCode = "target_unreachable" | "writable_primary" | "target_behind";

export interface FailoverProblem {
  code: FailoverProblemCode;
  region: string;
  message: string;
}

export interface FailoverAssessment {
  target: string;
  /** Problems found; empty when the failover is safe. */
  problems: FailoverProblem[];
  /** Whether to go ahead: no problems, or forced. */
  allowed: boolean;
  forced: boolean;
  /** Regions that still accept writes (to fence when forced). */
  writable: string[];
  /** The most WAL any reachable candidate other than the target has (what the target should reach). */
  bestOtherLsn?: string | undefined;
  /** The target's WAL position, if known. */
  targetLsn?: string | undefined;
  /** One line per region: what was seen (for the operation log). */
  seen: string[];
}

/** The WAL a region has: written (primary) or received/replayed (standby). */
export function walPosition(p: PgPosition): string | undefined {
  if (!p.reachable) return undefined;
  if (p.inRecovery === false) return maxLsn(p.currentLsn);
  return maxLsn(p.receiveLsn, p.replayLsn);
}

export function describePosition(p: PgPosition): string {
  if (!p.reachable) return `${p.region}: unreachable${p.error ? ` (${p.error})` : ""}`;
  const tl = p.timeline !== undefined ? `, timeline ${p.timeline}` : "";
  if (p.inRecovery === false) {
    return `${p.region}: primary${p.readOnly ? " (fenced: read-only)" : " accepting writes"}, pg_current_wal_lsn ${p.currentLsn ?? "?"}${tl}`;
  }
  return `${p.region}: standby, pg_last_wal_receive_lsn ${p.receiveLsn ?? "null"}, pg_last_wal_replay_lsn ${p.replayLsn ?? "null"}${tl}`;
}

export function assessFailover(target: string, positions: readonly PgPosition[], force: boolean): FailoverAssessment {
  const problems: FailoverProblem[] = [];
  const t = positions.find((p) => p.region === target);
  const seen = positions.map(describePosition);
  const writable = positions.filter((p) => p.region !== target && p.reachable && p.inRecovery === false && p.readOnly !== true).map((p) => p.region);
  const targetLsn = t ? walPosition(t) : undefined;

  if (!t?.reachable) {
    problems.push({
      code: "target_unreachable",
      region: target,
      message: `${target}'s PostgreSQL does not answer${t?.error ? ` (${t.error})` : ""}, so its WAL position is unknown`,
    });
  }
  for (const region of writable) {
    const p = positions.find((x) => x.region === region);
    problems.push({
      code: "writable_primary",
      region,
      message:
        `${region} still accepts writes (pg_current_wal_lsn ${p?.currentLsn ?? "?"}): promoting ${target} now would leave two primaries (split brain); ` +
        `stop writes there first, or force it (the old primary is then fenced before the promotion)`,
    });
  }
  let best: { region: string; lsn: string } | undefined;
  for (const p of positions) {
    if (p.region === target) continue;
    const lsn = walPosition(p);
    if (lsn === undefined) continue;
    // The most WAL wins; on a tie, a primary (the writes' source) is the one to name.
    const d = best ? parseLsn(lsn) - parseLsn(best.lsn) : 1n;
    if (!best || d > 0n || (d === 0n && p.inRecovery === false)) best = { region: p.region, lsn };
  }
  const targetPromoted = t?.reachable === true && t.inRecovery === false;
  if (t?.reachable && !targetPromoted && best && targetLsn !== undefined && parseLsn(targetLsn) < parseLsn(best.lsn)) {
    const gap = parseLsn(best.lsn) - parseLsn(targetLsn);
    problems.push({
      code: "target_behind",
      region: target,
      message:
        `${target} is behind ${best.region}: ${target} has WAL up to ${targetLsn}, ${best.region} up to ${best.lsn} (${gap} bytes more); ` +
        `promoting ${target} would lose those writes. Fail over to ${best.region}, wait for ${target} to catch up, or force it`,
    });
  } else if (t?.reachable && !targetPromoted && targetLsn === undefined) {
    problems.push({ code: "target_behind", region: target, message: `${target} reports no WAL position (no WAL received or replayed yet)` });
  }
  return {
    target,
    problems,
    allowed: problems.length === 0 || force,
    forced: force && problems.length > 0,
    writable,
    ...(best ? { bestOtherLsn: formatLsn(parseLsn(best.lsn)) } : {}),
    ...(targetLsn !== undefined ? { targetLsn } : {}),
    seen,
  };
}

/** The refusal message: every problem, then what was seen. */
export function refusalMessage(a: FailoverAssessment): string {
  return `failover to ${a.target} refused: ${a.problems.map((p) => p.message).join("; ")}. WAL positions seen: ${a.seen.join("; ")}. Pass "force": true to override`;
}
