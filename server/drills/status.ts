/**
 * Replication status of local regions, for `GET /regions/{name}` and the `pg_replication_lag_seconds`
 * series of `/metrics` (the runbook's lag query on the primary, and what each standby says).
 *
 * A replica's figures come from the primary's pg_stat_replication (lag in bytes and seconds,
 * streaming state) and from the replica itself (recovery, walreceiver, LSNs); Redis from INFO
 * replication and the region's Sentinel. Everything is best effort and bounded: an unreachable
 * server is reported as such, never as an error of the request.
 */
import type { RegionRecord } from "../../domain/model";
import type { LagProbe } from "../metrics";
import type { EndpointCache, LocalEndpoint } from "./endpoints";
import { errorText, replicasOf, standbyState, type ReplicaLag, type StandbyState } from "./pgProbe";
import { redisLink, type RedisLink } from "./redisProbe";

export interface PostgresReplication {
  reachable: boolean;
  error?: string | undefined;
  role?: "primary" | "standby" | undefined;
  /** Primary: pg_current_wal_lsn(); standby: received and replayed LSNs. */
  currentLsn?: string | undefined;
  receiveLsn?: string | null | undefined;
  replayLsn?: string | null | undefined;
  timeline?: number | null | undefined;
  /** Standby, from the primary's pg_stat_replication: "streaming", "catchup", ... or "not connected". */
  state?: string | undefined;
  /** Walreceiver status on the standby ("streaming", "waiting", ... or null when it is not running). */
  receiverStatus?: string | null | undefined;
  /** The primary's port the standby streams from, and its slot. */
  upstreamPort?: number | null | undefined;
  slotName?: string | null | undefined;
  lagBytes?: number | null | undefined;
  /** replay_lag; 0 when idle and caught up; null when unknown. */
  lagSeconds?: number | null | undefined;
  /** Primary: its standbys as pg_stat_replication shows them. */
  replicas?: { region: string; state: string; lagBytes: number | null; lagSeconds: number | null; slotName: string | null }[] | undefined;
}

export interface ReplicationStatus {
  region: string;
  role: "primary" | "replica";
  checkedAt: string;
  postgres: PostgresReplication;
  redis: RedisLink;
}

async function primaryView(ep: LocalEndpoint): Promise<{ currentLsn: string; replicas: ReplicaLag[] } | Error> {
  try {
    return await replicasOf(ep);
  } catch (err) {
    return new Error(errorText(err));
  }
}

function standbyPg(s: StandbyState, lag: ReplicaLag | undefined, primaryErr: Error | undefined): PostgresReplication {
  return {
    reachable: true,
    role: s.inRecovery ? "standby" : "primary",
    receiveLsn: s.receiveLsn,
    replayLsn: s.replayLsn,
    timeline: s.timeline,
    receiverStatus: s.receiverStatus,
    upstreamPort: s.senderPort,
    slotName: s.slotName,
    state: lag?.state ?? (primaryErr ? "unknown (primary unreachable)" : "not connected"),
    lagBytes: lag?.lagBytes ?? null,
    lagSeconds: lag?.lagSeconds ?? null,
  };
}

/** The replication status of one region; `fleet` gives the primary. */
export async function replicationStatus(cache: EndpointCache, region: RegionRecord, fleet: readonly RegionRecord[]): Promise<ReplicationStatus | undefined> {
  if (region.spec.provider !== "local") return undefined;
  const primaryName = fleet.find((r) => r.spec.primary && r.desired)?.name;
  const [ep, knownPrimaryEp] = await Promise.all([
    cache.get(region.name),
    primaryName !== undefined && primaryName !== region.name ? cache.get(primaryName) : Promise.resolve(undefined),
  ]);
  if (!ep) return undefined;
  const isPrimary = (primaryName ?? ep.primaryRegion) === region.name;
  const checkedAt = new Date().toISOString();
  const redis = await redisLink(ep);
  if (isPrimary) {
    const v = await primaryView(ep);
    const postgres: PostgresReplication =
      v instanceof Error
        ? { reachable: false, error: v.message }
        : {
            reachable: true,
            role: "primary",
            currentLsn: v.currentLsn,
            replicas: v.replicas.map((x) => ({ region: x.applicationName, state: x.state, lagBytes: x.lagBytes, lagSeconds: x.lagSeconds, slotName: x.slotName })),
          };
    return { region: region.name, role: "primary", checkedAt, postgres, redis };
  }
  const primaryEp = knownPrimaryEp ?? (await cache.get(ep.primaryRegion));
  const [standby, upstream] = await Promise.all([
    standbyState(ep).catch((err: unknown) => new Error(errorText(err))),
    primaryEp ? primaryView(primaryEp) : Promise.resolve(new Error(`no outputs for the primary ${primaryName ?? ep.primaryRegion}`)),
  ]);
  const lag = upstream instanceof Error ? undefined : upstream.replicas.find((x) => x.applicationName === region.name);
  const postgres: PostgresReplication =
    standby instanceof Error ? { reachable: false, error: standby.message } : standbyPg(standby, lag, upstream instanceof Error ? upstream : undefined);
  return { region: region.name, role: "replica", checkedAt, postgres, redis };
}

/** `pg_replication_lag_seconds` per replica region, from the primary's pg_stat_replication. */
export function createLagProbe(cache: EndpointCache): LagProbe {
  return {
    async lagSeconds(regions) {
      const primary = regions.find((r) => r.spec.primary && r.desired && r.spec.provider === "local");
      if (!primary) return {};
      const ep = await cache.get(primary.name);
      if (!ep) return {};
      const v = await primaryView(ep);
      if (v instanceof Error) return {};
      const out: Record<string, number | undefined> = {};
      for (const r of regions) {
        if (r.name === primary.name || !r.desired || r.spec.provider !== "local") continue;
        out[r.name] = v.replicas.find((x) => x.applicationName === r.name)?.lagSeconds ?? undefined;
      }
      return out;
    },
  };
}
