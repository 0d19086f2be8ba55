/**
 * `aragora:cloudflare:GlobalLoadBalancer`: the runbook's Phase 5.1 as one component. One HTTPS
 * health monitor on the fleet's health path, one origin pool per region, and a proxied load
 * balancer on the fleet's domain with geo steering, every pool as a default pool and the write
 * primary's pool as the fallback.
 *
 * Children (names derive from the component name; renaming one replaces the Cloudflare object):
 * `<name>-monitor`, `<name>-pool-<region>` (one per region), `<name>-lb`.
 */
import * as pulumi from "@pulumi/pulumi";
import * as cloudflare from "@pulumi/cloudflare";
import type { GeoCode } from "../../domain/spec/regionSpec";
import { planGlobalLoadBalancer, type GlobalLoadBalancerPlan } from "./globalLoadBalancerPlan";

export interface GlobalLoadBalancerRegion {
  /** Region id; names the region's pool (`<poolPrefix>-<region>`) and its origins. */
  name: string;
  /** Public hostnames (or IPs) of the region's entry points, usually its one load balancer. At least one. */
  origins: pulumi.Input<string>[];
}

export interface GlobalLoadBalancerArgs {
  /** Cloudflare account that holds the monitor and the pools. */
  accountId: pulumi.Input<string>;
  /** Cloudflare zone of `hostname`; the load balancer lives there. */
  zoneId: pulumi.Input<string>;
  /** Public DNS name the load balancer answers, e.g. "aragora.example.com". Also the Host header sent to origins and monitors. */
  hostname: string;
  /** Absolute path every region's app answers health checks on, e.g. "/health". */
  healthPath: string;
  /** One pool per region, oldest region first. */
  regions: GlobalLoadBalancerRegion[];
  /** Geo steering: Cloudflare region code → region whose pool serves it. Codes not listed use the default pools. */
  geoRouting: Partial<Record<GeoCode, string>>;
  /** Region whose pool is the fallback (the write primary). */
  fallbackRegion: string;
  /** Prefix of the pool names. Default "aragora" (pools `aragora-<region>`, as in the runbook). */
  poolPrefix?: string;
  /** Seconds between monitor probes. Default 60. */
  monitorInterval?: number;
  /** Failed probes before an origin is marked down. Default 2. */
  monitorRetries?: number;
}

/** Default monitor and steering settings (documented in the args). */
export const GLB_DEFAULTS = {
  poolPrefix: "aragora",
  monitorInterval: 60,
  monitorRetries: 2,
  monitorTimeout: 5,
  steeringPolicy: "geo",
  originSteering: "random",
} as const;

function validate(args: GlobalLoadBalancerArgs): GlobalLoadBalancerPlan {
  if (!/^\/[A-Za-z0-9._~/-]*$/.test(args.healthPath)) throw new Error(`healthPath ${JSON.stringify(args.healthPath)} must be an absolute URL path`);
  if (args.hostname.length === 0) throw new Error("hostname is required");
  for (const r of args.regions) {
    if (r.origins.length === 0) throw new Error(`region ${JSON.stringify(r.name)} has no origin`);
  }
  const interval = args.monitorInterval ?? GLB_DEFAULTS.monitorInterval;
  if (!Number.isInteger(interval) || interval < 5 || interval > 3600) throw new Error(`monitorInterval must be 5-3600 seconds, not ${interval}`);
  const retries = args.monitorRetries ?? GLB_DEFAULTS.monitorRetries;
  if (!Number.isInteger(retries) || retries < 0 || retries > 5) throw new Error(`monitorRetries must be 0-5, not ${retries}`);
  return planGlobalLoadBalancer({
    regions: args.regions.map((r) => r.name),
    geoRouting: args.geoRouting,
    fallbackRegion: args.fallbackRegion,
    poolPrefix: args.poolPrefix ?? GLB_DEFAULTS.poolPrefix,
  });
}

/** Cloudflare origin name of a region's i-th origin: the region id, suffixed when it has several. */
export function originName(region: string, index: number, count: number): string {
  return count === 1 ? region : `${region}-${index + 1}`;
}

export class GlobalLoadBalancer extends pulumi.ComponentResource {
  readonly monitor: cloudflare.LoadBalancerMonitor;
  /** Pools by region id. */
  readonly pools: Readonly<Record<string, cloudflare.LoadBalancerPool>>;
  readonly loadBalancer: cloudflare.LoadBalancer;
  /** Pool ids by region id. */
  readonly poolIds: pulumi.Output<Record<string, string>>;
  readonly loadBalancerId: pulumi.Output<string>;
  /** The plan the component was built from (pure data). */
  readonly plan: GlobalLoadBalancerPlan;

  constructor(name: string, args: GlobalLoadBalancerArgs, opts?: pulumi.ComponentResourceOptions) {
    const plan = validate(args);
    super("aragora:cloudflare:GlobalLoadBalancer", name, {}, opts);
    this.plan = plan;

    this.monitor = new cloudflare.LoadBalancerMonitor(
      `${name}-monitor`,
      {
        accountId: args.accountId,
        description: `Aragora health (${args.hostname}${args.healthPath})`,
        type: "https",
        method: "GET",
        path: args.healthPath,
        port: 443,
        expectedCodes: "200",
        header: { Host: [args.hostname] },
        followRedirects: false,
        allowInsecure: false,
        interval: args.monitorInterval ?? GLB_DEFAULTS.monitorInterval,
        retries: args.monitorRetries ?? GLB_DEFAULTS.monitorRetries,
        timeout: GLB_DEFAULTS.monitorTimeout,
      },
      { parent: this },
    );

    const pools: Record<string, cloudflare.LoadBalancerPool> = {};
    for (const p of plan.pools) {
      const region = args.regions.find((r) => r.name === p.region);
      if (region === undefined) throw new Error(`internal: no region ${p.region}`);
      pools[p.region] = new cloudflare.LoadBalancerPool(
        `${name}-pool-${p.region}`,
        {
          accountId: args.accountId,
          name: p.poolName,
          description: `Aragora ${p.region}`,
          enabled: true,
          minimumOrigins: 1,
          monitor: this.monitor.id,
          originSteering: { policy: GLB_DEFAULTS.originSteering },
          origins: region.origins.map((address, i) => ({
            name: originName(p.region, i, region.origins.length),
            address,
            enabled: true,
            weight: 1,
            header: { hosts: [args.hostname] },
          })),
        },
        { parent: this },
      );
    }
    this.pools = pools;
    const poolId = (region: string): pulumi.Output<string> => {
      const pool = pools[region];
      if (pool === undefined) throw new Error(`internal: no pool for ${region}`);
      return pool.id;
    };

    const regionPools: Record<string, pulumi.Output<string>[]> = {};
    for (const [code, regions] of Object.entries(plan.regionPools)) regionPools[code] = regions.map(poolId);

    this.loadBalancer = new cloudflare.LoadBalancer(
      `${name}-lb`,
      {
        zoneId: args.zoneId,
        name: args.hostname,
        description: "Aragora global load balancer (geo steering, primary as fallback)",
        enabled: true,
        proxied: true,
        steeringPolicy: GLB_DEFAULTS.steeringPolicy,
        defaultPools: plan.defaultPools.map(poolId),
        fallbackPool: poolId(plan.fallbackPool),
        regionPools,
      },
      { parent: this },
    );

    const entries = Object.entries(pools).map(([region, pool]) => pool.id.apply((id) => [region, id] as const));
    this.poolIds = pulumi.all(entries).apply((pairs) => Object.fromEntries(pairs));
    this.loadBalancerId = this.loadBalancer.id;
    this.registerOutputs({ poolIds: this.poolIds, loadBalancerId: this.loadBalancerId, monitorId: this.monitor.id });
  }
}
