import * as pulumi from "@pulumi/pulumi";

import { recordRegistrations, valueOf } from "../../../support/recordingMocks";

const registrations = recordRegistrations("aragora", "global");

type Module = typeof import("../../../../components/aws/latencyRecords");
let mod: Module;
beforeAll(async () => {
  mod = await import("../../../../components/aws/latencyRecords");
});
beforeEach(() => {
  registrations.length = 0;
});

const REGIONS = [
  { name: "us-east-1", originHostname: pulumi.output("us-lb.elb.us-east-1.amazonaws.com"), originZoneId: pulumi.output("Z26RNL4JYFTOTI") },
  { name: "eu-west-1", originHostname: "eu-lb.elb.eu-west-1.amazonaws.com", originZoneId: "Z2IFOLAFXWLO4F" },
  { name: "ap-south-1", originHostname: "ap-lb.elb.ap-south-1.amazonaws.com", originZoneId: "ZVDDRBQ08TROA" },
];

async function build(regions = REGIONS, over: Partial<import("../../../../components/aws/latencyRecords").LatencyRecordsArgs> = {}) {
  const c = new mod.LatencyRecords("lat", { zoneId: "Z0123456789ABC", recordName: "api.aragora.example.com", healthPath: "/health", regions, ...over });
  await valueOf(c.healthCheckIds);
  await Promise.all(Object.values(c.records).map((r) => valueOf(r.id)));
  return c;
}

describe("LatencyRecords", () => {
  it("when built for three regions, then it registers the component, one health check and one record per region", async () => {
    await build();
    expect(registrations.map((r) => [r.type, r.name]).sort()).toEqual(
      [
        ["aragora:aws:LatencyRecords", "lat"],
        ["aws:route53/healthCheck:HealthCheck", "lat-health-us-east-1"],
        ["aws:route53/healthCheck:HealthCheck", "lat-health-eu-west-1"],
        ["aws:route53/healthCheck:HealthCheck", "lat-health-ap-south-1"],
        ["aws:route53/record:Record", "lat-record-us-east-1"],
        ["aws:route53/record:Record", "lat-record-eu-west-1"],
        ["aws:route53/record:Record", "lat-record-ap-south-1"],
      ].sort(),
    );
  });

  it("when built, then each record is a latency alias for its region with evaluateTargetHealth and its health check", async () => {
    await build();
    const record = registrations.find((r) => r.name === "lat-record-us-east-1");
    expect(record?.inputs).toEqual({
      zoneId: "Z0123456789ABC",
      name: "api.aragora.example.com",
      type: "A",
      setIdentifier: "us-east-1",
      latencyRoutingPolicies: [{ region: "us-east-1" }],
      aliases: [{ name: "us-lb.elb.us-east-1.amazonaws.com", zoneId: "Z26RNL4JYFTOTI", evaluateTargetHealth: true }],
      healthCheckId: "lat-health-us-east-1-id",
    });
    const records = registrations.filter((r) => r.type === "aws:route53/record:Record");
    expect(records.map((r) => [r.inputs.setIdentifier, r.inputs.latencyRoutingPolicies[0].region, r.inputs.healthCheckId])).toEqual(
      expect.arrayContaining([
        ["us-east-1", "us-east-1", "lat-health-us-east-1-id"],
        ["eu-west-1", "eu-west-1", "lat-health-eu-west-1-id"],
        ["ap-south-1", "ap-south-1", "lat-health-ap-south-1-id"],
      ]),
    );
    expect(records.every((r) => r.inputs.region === undefined)).toBe(true);
  });

  it("when built, then each health check probes its region's origin over HTTPS on the health path", async () => {
    const c = await build();
    const hc = registrations.find((r) => r.name === "lat-health-eu-west-1");
    expect(hc?.inputs).toEqual({
      type: "HTTPS",
      fqdn: "eu-lb.elb.eu-west-1.amazonaws.com",
      port: 443,
      resourcePath: "/health",
      enableSni: true,
      failureThreshold: 3,
      requestInterval: 30,
      tags: { Name: "aragora-eu-west-1", "aragora:region": "eu-west-1" },
    });
    expect(await valueOf(c.healthCheckIds)).toEqual({
      "us-east-1": "lat-health-us-east-1-id",
      "eu-west-1": "lat-health-eu-west-1-id",
      "ap-south-1": "lat-health-ap-south-1-id",
    });
  });

  it("when a region is removed, then its record and health check are no longer registered", async () => {
    await build(REGIONS.filter((r) => r.name !== "eu-west-1"));
    expect(registrations.map((r) => r.name).filter((n) => n.includes("eu-west-1"))).toEqual([]);
    expect(registrations.filter((r) => r.type === "aws:route53/record:Record")).toHaveLength(2);
  });

  it("when the check settings are given, then the health checks use them", async () => {
    await build(REGIONS, { failureThreshold: 2, requestInterval: 10 });
    const hcs = registrations.filter((r) => r.type === "aws:route53/healthCheck:HealthCheck");
    expect(hcs.map((h) => [h.inputs.failureThreshold, h.inputs.requestInterval])).toEqual([
      [2, 10],
      [2, 10],
      [2, 10],
    ]);
  });
});

describe("planLatencyRecords", () => {
  const base = { recordName: "api.aragora.example.com", healthPath: "/health" };

  it("when given regions, then it names one health check and one record per region", () => {
    expect(mod.planLatencyRecords("lat", { ...base, regions: ["us-east-1", "us-gov-west-1"] })).toEqual([
      { region: "us-east-1", healthCheckName: "lat-health-us-east-1", recordName: "lat-record-us-east-1" },
      { region: "us-gov-west-1", healthCheckName: "lat-health-us-gov-west-1", recordName: "lat-record-us-gov-west-1" },
    ]);
  });

  it.each<[string, object, RegExp]>([
    ["a region is not an AWS region code", { regions: ["local-a"] }, /"local-a" is not an AWS region code/],
    ["a region is listed twice", { regions: ["us-east-1", "us-east-1"] }, /listed twice/],
    ["the record name is not a DNS name", { recordName: "API_example", regions: [] }, /recordName "API_example" must be a DNS name/],
    ["the health path is relative", { healthPath: "health", regions: [] }, /healthPath "health" must be an absolute URL path/],
    ["the failure threshold is 0", { failureThreshold: 0, regions: [] }, /failureThreshold must be 1-10/],
    ["the interval is 20", { requestInterval: 20, regions: [] }, /requestInterval must be 10 or 30/],
  ])("when %s, then it throws a clear error", (_case, patch, message) => {
    expect(() => mod.planLatencyRecords("lat", { ...base, regions: ["us-east-1"], ...patch })).toThrow(message);
  });

  it("when a component is given a bad region, then nothing is registered", () => {
    expect(() => new mod.LatencyRecords("bad", { zoneId: "Z1", ...base, regions: [{ name: "local-a", originHostname: "h", originZoneId: "z" }] })).toThrow(
      /not an AWS region code/,
    );
    expect(registrations).toHaveLength(0);
  });
});
