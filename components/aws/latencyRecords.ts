/**
 * `aragora:aws:LatencyRecords`: the runbook's Phase 5.2. For every region, a Route53 HTTPS health
 * check on the region's origin and a latency-based alias record (`setIdentifier` = region) pointing
 * at the region's load balancer, with `evaluateTargetHealth` and the health check attached, so
 * Route53 answers with the closest healthy region.
 *
 * Route53 is a global service: the records and health checks take no `region` argument.
 * Children: `<name>-health-<region>` and `<name>-record-<region>`, one each per region.
 */
import * as pulumi from "@pulumi/pulumi";
import * as aws from "@pulumi/aws";

/** AWS region codes (latency routing measures from these): `us-east-1`, `ap-south-1`, `us-gov-west-1`. */
export const AWS_REGION_CODE = /^[a-z]{2}(-gov|-iso[a-z]?)?-[a-z]+-[0-9]$/;

export interface LatencyRecordRegion {
  /** AWS region code of the region; the record's `setIdentifier` and latency region. */
  name: string;
  /** DNS name of the region's load balancer (alias target, health-check host). */
  originHostname: pulumi.Input<string>;
  /** Canonical hosted zone id of that load balancer (alias target zone). */
  originZoneId: pulumi.Input<string>;
}

export interface LatencyRecordsArgs {
  /** Route53 hosted zone that holds `recordName`. */
  zoneId: pulumi.Input<string>;
  /** Record name answered by latency routing, e.g. "api.aragora.example.com". */
  recordName: string;
  /** Absolute path the app answers health checks on, e.g. "/health". */
  healthPath: string;
  /** One record and one health check per region. */
  regions: LatencyRecordRegion[];
  /** Consecutive failed checks before a region is unhealthy. Default 3. */
  failureThreshold?: number;
  /** Seconds between checks: 10 or 30. Default 30. */
  requestInterval?: 10 | 30;
}

export const LATENCY_DEFAULTS = { failureThreshold: 3, requestInterval: 30 } as const;

export interface LatencyRecordPlan {
  region: string;
  healthCheckName: string;
  recordName: string;
}

/** Validates the args and names the children; pure. */
export function planLatencyRecords(name: string, args: Omit<LatencyRecordsArgs, "zoneId" | "regions"> & { regions: readonly string[] }): LatencyRecordPlan[] {
  if (!/^(?=.{1,253}$)([a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z]{2,63}$/.test(args.recordName)) {
    throw new Error(`recordName ${JSON.stringify(args.recordName)} must be a DNS name such as api.aragora.example.com`);
  }
  if (!/^\/[A-Za-z0-9._~/-]*$/.test(args.healthPath)) throw new Error(`healthPath ${JSON.stringify(args.healthPath)} must be an absolute URL path`);
  const threshold = args.failureThreshold ?? LATENCY_DEFAULTS.failureThreshold;
  if (!Number.isInteger(threshold) || threshold < 1 || threshold > 10) throw new Error(`failureThreshold must be 1-10, not ${threshold}`);
  const interval: number = args.requestInterval ?? LATENCY_DEFAULTS.requestInterval;
  if (interval !== 10 && interval !== 30) throw new Error(`requestInterval must be 10 or 30, not ${interval}`);
  const seen = new Set<string>();
  return args.regions.map((region) => {
    if (!AWS_REGION_CODE.test(region)) throw new Error(`${JSON.stringify(region)} is not an AWS region code; latency routing needs one`);
    if (seen.has(region)) throw new Error(`region ${JSON.stringify(region)} is listed twice`);
    seen.add(region);
    return { region, healthCheckName: `${name}-health-${region}`, recordName: `${name}-record-${region}` };
  });
}

export class LatencyRecords extends pulumi.ComponentResource {
  /** Health checks by region. */
  readonly healthChecks: Readonly<Record<string, aws.route53.HealthCheck>>;
  /** Latency records by region. */
  readonly records: Readonly<Record<string, aws.route53.Record>>;
  /** Health-check ids by region. */
  readonly healthCheckIds: pulumi.Output<Record<string, string>>;
  /** The record name every region answers. */
  readonly fqdn: string;

  constructor(name: string, args: LatencyRecordsArgs, opts?: pulumi.ComponentResourceOptions) {
    const plan = planLatencyRecords(name, { ...args, regions: args.regions.map((r) => r.name) });
    super("aragora:aws:LatencyRecords", name, {}, opts);
    const failureThreshold = args.failureThreshold ?? LATENCY_DEFAULTS.failureThreshold;
    const requestInterval = args.requestInterval ?? LATENCY_DEFAULTS.requestInterval;

    const healthChecks: Record<string, aws.route53.HealthCheck> = {};
    const records: Record<string, aws.route53.Record> = {};
    plan.forEach((p, i) => {
      const region = args.regions[i];
      if (region === undefined) throw new Error(`internal: no region ${p.region}`);
      const hc = new aws.route53.HealthCheck(
        p.healthCheckName,
        {
          type: "HTTPS",
          fqdn: region.originHostname,
          port: 443,
          resourcePath: args.healthPath,
          enableSni: true,
          failureThreshold,
          requestInterval,
          tags: { Name: `aragora-${p.region}`, "aragora:region": p.region },
        },
        { parent: this },
      );
      healthChecks[p.region] = hc;
      records[p.region] = new aws.route53.Record(
        p.recordName,
        {
          zoneId: args.zoneId,
          name: args.recordName,
          type: aws.route53.RecordType.A,
          setIdentifier: p.region,
          latencyRoutingPolicies: [{ region: p.region }],
          aliases: [{ name: region.originHostname, zoneId: region.originZoneId, evaluateTargetHealth: true }],
          healthCheckId: hc.id,
        },
        { parent: this },
      );
    });
    this.healthChecks = healthChecks;
    this.records = records;
    this.fqdn = args.recordName;
    this.healthCheckIds = pulumi
      .all(Object.entries(healthChecks).map(([region, hc]) => hc.id.apply((id) => [region, id] as const)))
      .apply((pairs) => Object.fromEntries(pairs));
    this.registerOutputs({ healthCheckIds: this.healthCheckIds, fqdn: this.fqdn });
  }
}
