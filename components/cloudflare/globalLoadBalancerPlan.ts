/**
 * The pure part of the Cloudflare global load balancer: which pools exist, which pool serves which
 * Cloudflare region code, the order of the default pools and the fallback. The component only
 * loops over this plan and swaps region names for pool ids.
 */
import { GEO_CODES, type GeoCode } from "../../domain/spec/regionSpec";

/** Characters Cloudflare accepts in a pool name. */
const POOL_NAME_PATTERN = /^[A-Za-z0-9_-]{1,100}$/;

export interface GlobalLoadBalancerPlanInput {
  /** Regions with a pool, oldest first. Names must be unique. */
  regions: readonly string[];
  /** Cloudflare region code → region whose pool serves it. Every named region must be in `regions`. */
  geoRouting: Partial<Record<GeoCode, string>>;
  /** Region whose pool is the fallback (the write primary). Must be in `regions`. */
  fallbackRegion: string;
  /** Prefix of the Cloudflare pool names: `<prefix>-<region>`. */
  poolPrefix: string;
}

export interface PoolPlan {
  region: string;
  /** Cloudflare pool name, `<prefix>-<region>`. */
  poolName: string;
}

export interface GlobalLoadBalancerPlan {
  /** One pool per region, in fleet order. */
  pools: PoolPlan[];
  /** Region code → regions (in failover order) serving it; codes in Cloudflare's canonical order. */
  regionPools: Partial<Record<GeoCode, string[]>>;
  /** Every region's pool, fallback region first, then fleet order (Cloudflare's failover priority). */
  defaultPools: string[];
  /** Region of the fallback pool. */
  fallbackPool: string;
}

/** Validates the input and returns the plan; throws an Error naming the first problem. */
export function planGlobalLoadBalancer(input: GlobalLoadBalancerPlanInput): GlobalLoadBalancerPlan {
  const { regions, geoRouting, fallbackRegion, poolPrefix } = input;
  if (regions.length === 0) throw new Error("the global load balancer needs at least one region");
  const seen = new Set<string>();
  for (const r of regions) {
    if (seen.has(r)) throw new Error(`region ${JSON.stringify(r)} is listed twice`);
    seen.add(r);
  }
  if (!seen.has(fallbackRegion)) {
    throw new Error(`fallback region ${JSON.stringify(fallbackRegion)} is not one of the regions (${regions.join(", ")})`);
  }
  const regionPools: Partial<Record<GeoCode, string[]>> = {};
  for (const code of GEO_CODES) {
    const region = geoRouting[code];
    if (region === undefined) continue;
    if (!seen.has(region)) {
      throw new Error(`geo code ${code} is routed to ${JSON.stringify(region)}, which is not one of the regions (${regions.join(", ")})`);
    }
    regionPools[code] = [region];
  }
  for (const code of Object.keys(geoRouting)) {
    if (!(GEO_CODES as readonly string[]).includes(code)) throw new Error(`${JSON.stringify(code)} is not a Cloudflare region code`);
  }
  const pools = regions.map((region) => ({ region, poolName: `${poolPrefix}-${region}` }));
  for (const p of pools) {
    if (!POOL_NAME_PATTERN.test(p.poolName)) {
      throw new Error(`pool name ${JSON.stringify(p.poolName)} must be 1-100 letters, digits, "-" or "_"`);
    }
  }
  return {
    pools,
    regionPools,
    defaultPools: [fallbackRegion, ...regions.filter((r) => r !== fallbackRegion)],
    fallbackPool: fallbackRegion,
  };
}
