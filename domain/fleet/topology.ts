/**
 * Derived facts of the fleet that the stack programs need: peering ownership, routes and
 * security-group rules per link, replication slot names, GLB pools, the app env contract and the
 * local target's port blocks. Pure functions of a FleetView; table-tested and property-tested.
 */
import type { FleetView } from "../spec/stackConfig";
import { GLOBAL_STACK, REGION_NAME_PATTERN, type GeoCode } from "../spec/regionSpec";
import { DEFAULT_GEO, LOCAL_APP_PORT_OFFSET, LOCAL_MAX_APP_REPLICAS, LOCAL_PORT_BLOCK } from "../spec/defaults";

export { DEFAULT_GEO, LOCAL_PORT_BLOCK };

/**
 * One VPC peering link between two regions. The younger region (later in the fleet) owns it:
 * requester side in its own VPC, accepter side in the older peer's VPC through a provider for the
 * peer's region, routes and SG rules on both sides. Destroying the owner removes the whole link.
 */
export interface PeeringLink {
  /** `${owner}-to-${peer}`. */
  name: string;
  /** Younger region; its stack owns both sides of the link. */
  owner: string;
  /** Older region. */
  peer: string;
  ownerCidr: string;
  peerCidr: string;
}

/** Every pair of regions exactly once, owned by the younger; ordered by owner then peer age. */
export function peeringLinks(fleet: FleetView): PeeringLink[] {
  const links: PeeringLink[] = [];
  fleet.regions.forEach((owner, j) => {
    for (const peer of fleet.regions.slice(0, j)) {
      links.push({ name: `${owner.name}-to-${peer.name}`, owner: owner.name, peer: peer.name, ownerCidr: owner.cidr, peerCidr: peer.cidr });
    }
  });
  return links;
}

/** The links a region's stack creates (to every region older than it). */
export function linksOwnedBy(fleet: FleetView, region: string): PeeringLink[] {
  return peeringLinks(fleet).filter((l) => l.owner === region);
}

/** Ports opened across every peering link: PostgreSQL and Redis replication. */
export const PEERING_PORTS = { postgres: 5432, redis: 6379 } as const;

/** A route in `region`'s route tables sending `destinationCidr` over the link. */
export interface LinkRoute {
  link: string;
  region: string;
  destinationCidr: string;
}

/** An ingress rule in `region`'s security group admitting `fromCidr` on `port`. */
export interface LinkIngressRule {
  link: string;
  region: string;
  port: number;
  service: keyof typeof PEERING_PORTS;
  fromCidr: string;
}

/** The two routes of a link, one each way (owner side first). */
export function linkRoutes(link: PeeringLink): [LinkRoute, LinkRoute] {
  return [
    { link: link.name, region: link.owner, destinationCidr: link.peerCidr },
    { link: link.name, region: link.peer, destinationCidr: link.ownerCidr },
  ];
}

/** SG ingress rules of a link: for each replicated service, one rule on each side from the other side's CIDR. */
export function linkIngressRules(link: PeeringLink): LinkIngressRule[] {
  const rules: LinkIngressRule[] = [];
  for (const service of Object.keys(PEERING_PORTS) as (keyof typeof PEERING_PORTS)[]) {
    const port = PEERING_PORTS[service];
    rules.push({ link: link.name, region: link.owner, port, service, fromCidr: link.peerCidr });
    rules.push({ link: link.name, region: link.peer, port, service, fromCidr: link.ownerCidr });
  }
  return rules;
}

/**
 * Name of the replication slot a replica region streams from on the primary:
 * `eu-west-1` → `eu_west_1_slot` (the runbook's `pg_basebackup -S` scheme, keeping the full region id
 * so `eu-west-1` and `eu-west-2` never share a slot). Valid PostgreSQL slot name (a-z, 0-9, _; ≤ 63).
 */
export function replicationSlotName(region: string): string {
  if (!REGION_NAME_PATTERN.test(region)) throw new Error(`not a region name: ${JSON.stringify(region)}`);
  return `${region.replace(/-/g, "_")}_slot`;
}

/** Cloudflare geo steering: geo code → name of the region whose pool serves it. */
export function glbRegionPools(fleet: FleetView): Partial<Record<GeoCode, string>> {
  const pools: Partial<Record<GeoCode, string>> = {};
  for (const r of fleet.regions) for (const code of r.geo) pools[code] = r.name;
  return pools;
}

/** The GLB's fallback pool: the write primary's region. */
export function fallbackRegion(fleet: FleetView): string {
  return fleet.primary;
}

/**
 * The non-secret part of the app's environment contract. `DATABASE_URL` (local database: the
 * replica in replica regions), `DATABASE_URL_PRIMARY` (writes) and `REDIS_URL` carry passwords and
 * are built by each target from its secret outputs.
 *
 * `ARAGORA_PRIMARY_REGION` keeps the runbook's reference-table meaning: whether THIS region is the
 * write primary, "true" or "false". The runbook's routing snippet also reads the primary's region
 * name from that variable, which contradicts the table; the primary's name therefore has its own
 * variable, `ARAGORA_PRIMARY_REGION_NAME`.
 */
export interface AppEnv {
  /** This region's id. */
  ARAGORA_REGION: string;
  /** "true" in the write-primary region, "false" elsewhere. */
  ARAGORA_PRIMARY_REGION: "true" | "false";
  /** Region id of the write primary. */
  ARAGORA_PRIMARY_REGION_NAME: string;
  /** The other regions of the fleet, comma-separated, oldest first ("" for a fleet of one). */
  ARAGORA_PEER_REGIONS: string;
}

export function appEnv(region: string, fleet: FleetView): AppEnv {
  if (!fleet.regions.some((r) => r.name === region)) throw new Error(`region ${JSON.stringify(region)} is not in the fleet`);
  return {
    ARAGORA_REGION: region,
    ARAGORA_PRIMARY_REGION: region === fleet.primary ? "true" : "false",
    ARAGORA_PRIMARY_REGION_NAME: fleet.primary,
    ARAGORA_PEER_REGIONS: fleet.regions
      .map((r) => r.name)
      .filter((n) => n !== region)
      .join(","),
  };
}

/** Loopback ports of one local region. */
export interface LocalPorts {
  postgres: number;
  redis: number;
  sentinel: number;
  /** One per app process, from base+10. */
  apps: number[];
}

/**
 * The port block of a local region: LOCAL_PORT_BLOCK (20) ports from `portBase`: PostgreSQL +0,
 * Redis +1, Sentinel +2, apps +10..+19 (so at most 10 app processes).
 */
export function localPorts(portBase: number, appReplicas: number): LocalPorts {
  if (!Number.isInteger(portBase) || portBase < 1024 || portBase + LOCAL_PORT_BLOCK - 1 > 65535) {
    throw new Error(`port base ${portBase} does not leave a block of ${LOCAL_PORT_BLOCK} ports in 1024-65535`);
  }
  if (!Number.isInteger(appReplicas) || appReplicas < 1 || appReplicas > LOCAL_MAX_APP_REPLICAS) {
    throw new Error(`a local region runs 1 to ${LOCAL_MAX_APP_REPLICAS} app processes, not ${appReplicas}`);
  }
  return {
    postgres: portBase,
    redis: portBase + 1,
    sentinel: portBase + 2,
    apps: Array.from({ length: appReplicas }, (_, i) => portBase + LOCAL_APP_PORT_OFFSET + i),
  };
}

/** Every stack of the fleet: regions oldest first, then `global`. */
export function fleetStacks(fleet: FleetView): string[] {
  return [...fleet.regions.map((r) => r.name), GLOBAL_STACK];
}
