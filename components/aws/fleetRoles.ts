/**
 * Who does what in an aws fleet: pure functions of the FleetView.
 *
 * - primary: the region running the write primary (RDS primary, Redis global datastore primary).
 * - home: the oldest region (order 0, normally the fleet's first primary). Its stack owns what
 *   exists once per fleet: the database master password, the Redis AUTH token and the ElastiCache
 *   GlobalReplicationGroup. Home does not move on failover (the primary does), so a failover
 *   never replaces the global datastore or rotates credentials.
 */
import type { FleetView } from "../../domain/spec/stackConfig";

export function homeRegion(fleet: FleetView): string {
  const oldest = [...fleet.regions].sort((a, b) => a.order - b.order)[0];
  if (!oldest) throw new Error("the fleet has no regions");
  return oldest.name;
}

export interface RegionRole {
  region: string;
  /** This region runs the write primary. */
  isPrimary: boolean;
  /** This region owns the fleet-wide credentials and the global datastore. */
  isHome: boolean;
  primary: string;
  home: string;
  /** Stacks this region's program reads (home, primary), without itself, deduplicated. */
  referencedStacks: string[];
}

export function regionRole(fleet: FleetView, region: string): RegionRole {
  if (!fleet.regions.some((r) => r.name === region)) throw new Error(`region ${JSON.stringify(region)} is not in the fleet`);
  if (!fleet.regions.some((r) => r.name === fleet.primary)) throw new Error(`the fleet's primary ${JSON.stringify(fleet.primary)} is not in the fleet`);
  const home = homeRegion(fleet);
  const referencedStacks = [...new Set([home, fleet.primary])].filter((n) => n !== region);
  return { region, isPrimary: region === fleet.primary, isHome: region === home, primary: fleet.primary, home, referencedStacks };
}

/** Pulumi StackReference name of a region stack on the project's DIY backend. */
export function stackReferenceName(stack: string): string {
  return `organization/aragora/${stack}`;
}
