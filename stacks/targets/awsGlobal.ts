/**
 * The `global` stack on the aws target: reads every region stack's origin through a
 * StackReference and owns the fleet's entry points (runbook Phase 5):
 * - the Cloudflare load balancer: a monitor on the health path, one pool per region, geo steering
 *   from the regions' geo codes, every pool as a default pool, the primary's pool as fallback;
 * - Route53 latency records (one per region, alias to the region's load balancer) with a health
 *   check per region.
 *
 * Credentials come from the environment as usual for the providers (`CLOUDFLARE_API_TOKEN`, the AWS
 * credential chain); the fleet-wide ids come from the stack's config (`aragora:fleet` → `settings`).
 */
import * as pulumi from "@pulumi/pulumi";
import * as aws from "@pulumi/aws";
import type { PulumiFn } from "@pulumi/pulumi/automation";
import type { FleetView, GlobalStackConfig } from "../../domain/spec/stackConfig";
import type { GeoCode } from "../../domain/spec/regionSpec";
import { fallbackRegion, glbRegionPools } from "../../domain/fleet/topology";
import { AWS_REGION_OUTPUT_KEYS } from "./awsRegionOutputs";
import { GlobalLoadBalancer } from "../../components/cloudflare/globalLoadBalancer";
import { LatencyRecords } from "../../components/aws/latencyRecords";

/** Route53 is global; its API lives in us-east-1, so the provider for it is pinned there. */
export const ROUTE53_PROVIDER_REGION = "us-east-1";

/** The fleet settings the aws global stack cannot run without, resolved. */
export interface AwsGlobalSettings {
  domain: string;
  healthPath: string;
  cloudflareAccountId: string;
  cloudflareZoneId: string;
  route53ZoneId: string;
  /** Latency record name; `api.<domain>` unless set. */
  route53RecordName: string;
}

/**
 * Picks the aws-only settings out of the fleet view, failing with every missing field named by its
 * path in the `aragora:fleet` config value.
 */
export function awsGlobalSettings(fleet: FleetView): AwsGlobalSettings {
  const s = fleet.settings;
  const missing: string[] = [];
  if (s.cloudflare.accountId === undefined) missing.push("settings.cloudflare.accountId (Cloudflare account id)");
  if (s.cloudflare.zoneId === undefined) missing.push(`settings.cloudflare.zoneId (Cloudflare zone id of ${s.domain})`);
  if (s.route53.zoneId === undefined) missing.push("settings.route53.zoneId (Route53 hosted zone id)");
  if (s.cloudflare.accountId === undefined || s.cloudflare.zoneId === undefined || s.route53.zoneId === undefined) {
    throw new Error(`the aws global stack needs fleet settings that are not set in config "aragora:fleet": ${missing.join("; ")}`);
  }
  return {
    domain: s.domain,
    healthPath: s.healthPath,
    cloudflareAccountId: s.cloudflare.accountId,
    cloudflareZoneId: s.cloudflare.zoneId,
    route53ZoneId: s.route53.zoneId,
    route53RecordName: s.route53.recordName ?? `api.${s.domain}`,
  };
}

/**
 * Fully qualified name of a region's stack for a StackReference: `organization/aragora/<region>` on
 * DIY backends (the organization and project of the running stack).
 */
export function regionStackRef(region: string): string {
  let org = "organization";
  try {
    org = pulumi.getOrganization();
  } catch {
    // Older engines do not pass an organization; DIY backends call it "organization".
  }
  return `${org}/${pulumi.getProject()}/${region}`;
}

/** What the aws global stack exports. */
export interface AwsGlobalOutputs {
  /** DNS name of the Cloudflare load balancer (the fleet's domain). */
  glbHostname: string;
  glbLoadBalancerId: string;
  /** Cloudflare pool id by region. */
  glbPoolIds: Record<string, string>;
  /** Cloudflare region code → region serving it. */
  glbRegionPools: Partial<Record<GeoCode, string>>;
  /** Region whose pool is the fallback (the primary). */
  glbFallbackRegion: string;
  /** Route53 latency record name. */
  latencyRecordName: string;
  /** Route53 health-check id by region. */
  healthCheckIds: Record<string, string>;
  /** Regions in the load balancer, oldest first. */
  regions: string[];
}

export function awsGlobalProgram(config: GlobalStackConfig): PulumiFn {
  // eslint-disable-next-line @typescript-eslint/require-await -- async so a bad config rejects instead of throwing
  return async () => {
    const fleet = config.fleet;
    const other = fleet.regions.filter((r) => r.provider !== "aws").map((r) => r.name);
    if (other.length > 0) throw new Error(`the aws global stack cannot front non-aws regions: ${other.join(", ")}`);
    const settings = awsGlobalSettings(fleet);

    const origins = fleet.regions.map((r) => {
      const ref = new pulumi.StackReference(regionStackRef(r.name));
      return {
        name: r.name,
        hostname: ref.requireOutput(AWS_REGION_OUTPUT_KEYS.originHostname).apply((v) => String(v)),
        zoneId: ref.requireOutput(AWS_REGION_OUTPUT_KEYS.originZoneId).apply((v) => String(v)),
      };
    });

    const geoRouting = glbRegionPools(fleet);
    const fallback = fallbackRegion(fleet);
    const glb = new GlobalLoadBalancer("aragora", {
      accountId: settings.cloudflareAccountId,
      zoneId: settings.cloudflareZoneId,
      hostname: settings.domain,
      healthPath: settings.healthPath,
      regions: origins.map((o) => ({ name: o.name, origins: [o.hostname] })),
      geoRouting,
      fallbackRegion: fallback,
    });

    const route53 = new aws.Provider("route53", { region: ROUTE53_PROVIDER_REGION });
    const latency = new LatencyRecords(
      "aragora",
      {
        zoneId: settings.route53ZoneId,
        recordName: settings.route53RecordName,
        healthPath: settings.healthPath,
        regions: origins.map((o) => ({ name: o.name, originHostname: o.hostname, originZoneId: o.zoneId })),
      },
      { providers: [route53] },
    );

    const outputs: { [K in keyof AwsGlobalOutputs]: pulumi.Input<AwsGlobalOutputs[K]> } = {
      glbHostname: glb.loadBalancer.name,
      glbLoadBalancerId: glb.loadBalancerId,
      glbPoolIds: glb.poolIds,
      glbRegionPools: geoRouting,
      glbFallbackRegion: fallback,
      latencyRecordName: latency.fqdn,
      healthCheckIds: latency.healthCheckIds,
      regions: fleet.regions.map((r) => r.name),
    };
    return outputs;
  };
}
