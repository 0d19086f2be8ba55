/**
 * Drills of the local target as service operations (docs/drills.md):
 * - `handlers.promote`: the failover's promote step (split-brain checks with LSNs, fencing,
 *   pg_promote, Redis with Sentinel, then `up`); other targets fall through to the default;
 * - `handlers.validate`: the runbook's consistency check (counts and md5 of debates ids);
 * - `lagProbe`: `pg_replication_lag_seconds` for `/metrics`;
 * - `replication(region, fleet)`: replication status for the region view;
 * - `assessFailover(state, to, force)`: the split-brain check alone, for refusing a failover
 *   request before anything is recorded.
 *
 * `outputs` is the engine's `StackRunner.outputs` (unmasked secrets, used in-process only).
 * The lag probe object also carries `replication` and `assessFailover`, so a router that only
 * receives a LagProbe can still reach them (see `asDrillProbe`).
 */
import type { FleetState } from "../domain";
import type { LagProbe } from "../metrics";
import type { RegionRecord } from "../../domain/model";
import type { ActionContext, ActionHandlers } from "../orchestrator/actions";
import { EndpointCache, type OutputsSource } from "./endpoints";
import type { FailoverAssessment } from "./failoverCheck";
import { assessLocalFailover, createLocalPromote } from "./promote";
import { createLagProbe, replicationStatus, type ReplicationStatus } from "./status";
import { createValidate } from "./validate";

export interface LocalDrillsOptions {
  outputs: OutputsSource;
  /** validate: rows younger than this are left out (default 3600, the runbook's hour). */
  cutoffAgeSeconds?: number;
  /** promote: how long the target may take to receive a fenced primary's last WAL (ms). */
  catchUpMs?: number;
  /** promote: whether an operation was forced (default: its request says `"force": true`). */
  isForced?: (ctx: ActionContext) => boolean;
  /** How long cached endpoints serve probes (ms). */
  endpointTtlMs?: number;
}

export interface DrillProbe extends LagProbe {
  replication(region: RegionRecord, fleet: readonly RegionRecord[]): Promise<ReplicationStatus | undefined>;
  /** The split-brain check for a failover to `to` (local regions only; undefined for another target). */
  assessFailover(state: FleetState, to: string, force: boolean): Promise<FailoverAssessment | undefined>;
}

export interface LocalDrills {
  handlers: Pick<ActionHandlers, "promote" | "validate">;
  lagProbe: DrillProbe;
}

export function createLocalDrills(o: LocalDrillsOptions): LocalDrills {
  const endpoints = new EndpointCache(o.outputs, o.endpointTtlMs ?? 30_000);
  const lag = createLagProbe(endpoints);
  const probe: DrillProbe = {
    lagSeconds: (regions) => lag.lagSeconds(regions),
    replication: (region, fleet) => replicationStatus(endpoints, region, fleet),
    async assessFailover(state, to, force) {
      if (state.specs.find((s) => s.name === to)?.provider !== "local") return undefined;
      return (await assessLocalFailover(endpoints, state, to, force)).assessment;
    },
  };
  return {
    handlers: {
      promote: createLocalPromote({
        endpoints,
        ...(o.catchUpMs !== undefined ? { catchUpMs: o.catchUpMs } : {}),
        ...(o.isForced ? { isForced: o.isForced } : {}),
      }),
      validate: createValidate({ endpoints, ...(o.cutoffAgeSeconds !== undefined ? { cutoffAgeSeconds: o.cutoffAgeSeconds } : {}) }),
    },
    lagProbe: probe,
  };
}

/** The drill API behind a LagProbe, when the probe is one of ours. */
export function asDrillProbe(p: LagProbe | undefined): DrillProbe | undefined {
  const d = p as Partial<DrillProbe> | undefined;
  return d && typeof d.replication === "function" && typeof d.assessFailover === "function" ? (d as DrillProbe) : undefined;
}
