/**
 * The `promote` step of a failover on the local target (plan: promote Y → up the others → up global).
 *
 * 1. Reads every local region's endpoints (fresh outputs) and probes their WAL positions; the
 *    operation log records what was seen (`failover.positions`).
 * 2. Split-brain check (failoverCheck.ts): refuses, with the reason and the LSNs, a target that is
 *    behind another candidate or a failover while another PostgreSQL still accepts writes, unless
 *    the request says `"force": true`.
 * 3. Fences any primary that still accepts writes (forced): read-only, sessions ended, fast
 *    shutdown (its walsenders send what they have first), then waits a moment for the target to
 *    receive the fenced primary's last WAL position.
 * 4. Promotes PostgreSQL (`pg_promote`, then a CHECKPOINT so the new timeline is in pg_control),
 *    creates the other regions' slots on it (PG 15 does not replicate slots).
 * 5. Redis: the failover coordinated with Sentinel (redisProbe.ts).
 * 6. Applies the after-state to the target's stack with `up` (the program now describes a primary:
 *    the local providers promote in place and re-point the apps' env).
 * Regions of another target fall through to the default promote (`up`).
 */
import { defaultPromote, type ActionContext, type ActionHandler } from "../orchestrator/actions";
import type { FleetState } from "../domain";
import { replicationSlotName } from "../../domain/fleet/topology";
import type { EndpointCache, LocalEndpoint } from "./endpoints";
import { assessFailover, refusalMessage, type PgPosition } from "./failoverCheck";
import { lsnDiff } from "./lsn";
import { ensureSlot, errorText, fenceReadOnly, probePosition, promotePostgres } from "./pgProbe";
import { failoverRedis, type SentinelSettings } from "./redisProbe";
import { readPid, stopProcess, waitUntil } from "./process";

export interface PromoteOptions {
  endpoints: EndpointCache;
  /** How long to wait for the target to receive a fenced primary's last WAL (ms). */
  catchUpMs?: number;
  /** Whether an operation was forced (default: its request says `"force": true`). */
  isForced?: (ctx: ActionContext) => boolean;
}

export function requestedForce(request: unknown): boolean {
  return typeof request === "object" && request !== null && (request as { force?: unknown }).force === true;
}

export function localRegions(state: FleetState): string[] {
  return state.specs.filter((s) => s.provider === "local").map((s) => s.name);
}

/** Endpoints of these regions (fresh); regions not deployed yet are left out. */
export async function loadEndpoints(cache: EndpointCache, regions: readonly string[]): Promise<LocalEndpoint[]> {
  const eps = await Promise.all(regions.map((r) => cache.get(r, { fresh: true })));
  return eps.filter((e): e is LocalEndpoint => e !== undefined);
}

export function sentinelSettingsOf(state: FleetState): (region: string) => SentinelSettings {
  return (region) => {
    const s = state.specs.find((x) => x.name === region)?.redis.sentinel;
    return s ?? { quorum: 2, downAfterMs: 30000, failoverTimeoutMs: 180000, parallelSyncs: 1 };
  };
}

/** Probes every region's WAL position and assesses a failover to `target` (also used before accepting the request). */
export async function assessLocalFailover(cache: EndpointCache, state: FleetState, target: string, force: boolean) {
  const eps = await loadEndpoints(cache, localRegions(state));
  const positions: PgPosition[] = await Promise.all(eps.map((ep) => probePosition(ep)));
  for (const r of localRegions(state)) {
    if (!positions.some((p) => p.region === r)) positions.push({ region: r, reachable: false, error: "no outputs: the region's stack is not deployed" });
  }
  return { endpoints: eps, positions, assessment: assessFailover(target, positions, force) };
}

export function createLocalPromote(o: PromoteOptions): ActionHandler {
  const isForced = o.isForced ?? ((ctx: ActionContext) => requestedForce(ctx.operation.request));
  return async (ctx) => {
    const target = ctx.step.stack;
    const spec = ctx.state.specs.find((s) => s.name === target);
    if (spec?.provider !== "local") return defaultPromote(ctx);
    const info = (message: string, kind = "failover"): void => {
      ctx.emit({ kind, message, severity: "info" });
    };
    const force = isForced(ctx);
    const before = ctx.operation.before;

    // 1-2. What every region has, and whether promoting the target is safe.
    const { endpoints, assessment } = await assessLocalFailover(o.endpoints, before, target, force);
    ctx.emit({ kind: "failover.positions", message: `WAL positions seen before promoting ${target}: ${assessment.seen.join("; ")}`, severity: "info" });
    if (!assessment.allowed) {
      ctx.emit({ kind: "failover.refused", message: refusalMessage(assessment), severity: "error" });
      throw new Error(refusalMessage(assessment));
    }
    if (assessment.forced) {
      ctx.emit({ kind: "failover.forced", message: `forced past: ${assessment.problems.map((p) => p.message).join("; ")}`, severity: "warning" });
    }
    const targetEp = endpoints.find((e) => e.region === target);
    if (!targetEp) throw new Error(`${target} has no stack outputs: it is not deployed`);
    if (ctx.signal.aborted) throw new Error("cancelled");

    // 3. Fence whatever still accepts writes, then let the target catch up with it.
    let mustReach: { region: string; lsn: string } | undefined;
    for (const region of assessment.writable) {
      const ep = endpoints.find((e) => e.region === region);
      if (!ep) continue;
      try {
        const lsn = await fenceReadOnly(ep);
        mustReach = { region, lsn };
        info(`fenced ${region}: default_transaction_read_only on, client sessions ended at pg_current_wal_lsn ${lsn}`, "failover.fence");
      } catch (err) {
        ctx.emit({ kind: "failover.fence", message: `could not fence ${region} read-only: ${errorText(err)}`, severity: "warning" });
      }
      const pid = readPid(ep.pidFiles.postgres);
      const stopped = pid !== undefined && (await stopProcess(pid, "postgres", "SIGINT", 20_000));
      info(stopped ? `fenced ${region}: PostgreSQL shut down (fast; its WAL senders flushed first)` : `${region}: PostgreSQL could not be shut down (no live postmaster pid)`, "failover.fence");
    }
    if (mustReach) {
      const reached = await waitUntil(async () => {
        const p = await probePosition(targetEp);
        const have = p.receiveLsn ?? p.replayLsn ?? p.currentLsn;
        return have !== null && have !== undefined && lsnDiff(have, mustReach.lsn) >= 0n;
      }, o.catchUpMs ?? 5000, 100);
      const p = await probePosition(targetEp);
      info(
        `${target} ${reached ? "received" : "did NOT receive"} ${mustReach.region}'s last WAL position ${mustReach.lsn} (it has ${p.receiveLsn ?? p.replayLsn ?? "?"})`,
        "failover.catchup",
      );
    }

    // 4. PostgreSQL.
    const t0 = Date.now();
    const promoted = await promotePostgres(targetEp);
    info(`promoted ${target}'s PostgreSQL in ${Date.now() - t0} ms: now primary at ${promoted.lsn} on timeline ${promoted.timeline ?? "?"}`, "failover.promoted");
    for (const ep of endpoints) {
      if (ep.region === target) continue;
      const slot = replicationSlotName(ep.region);
      try {
        if (await ensureSlot(targetEp, slot)) info(`created replication slot ${slot} on ${target} for ${ep.region}`, "failover.slot");
      } catch (err) {
        ctx.emit({ kind: "failover.slot", message: `could not create slot ${slot} on ${target}: ${errorText(err)}`, severity: "warning" });
      }
    }

    // 5. Redis, with Sentinel.
    const redis = await failoverRedis(targetEp, endpoints, sentinelSettingsOf(ctx.state));
    for (const line of redis.lines) info(line, "failover.redis");

    // 6. The target's stack as a primary.
    const outcome = await defaultPromote(ctx);
    o.endpoints.invalidate();
    return outcome;
  };
}
