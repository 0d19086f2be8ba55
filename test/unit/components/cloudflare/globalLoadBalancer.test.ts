import * as pulumi from "@pulumi/pulumi";

import { recordRegistrations, valueOf } from "../../../support/recordingMocks";

const registrations = recordRegistrations("aragora", "global");

type Module = typeof import("../../../../components/cloudflare/globalLoadBalancer");
let mod: Module;
beforeAll(async () => {
  mod = await import("../../../../components/cloudflare/globalLoadBalancer");
});
beforeEach(() => {
  registrations.length = 0;
});

const ACCOUNT = "0123456789abcdef0123456789abcdef";
const ZONE = "fedcba9876543210fedcba9876543210";

function threeRegions(over: Partial<import("../../../../components/cloudflare/globalLoadBalancer").GlobalLoadBalancerArgs> = {}) {
  return {
    accountId: ACCOUNT,
    zoneId: ZONE,
    hostname: "aragora.example.com",
    healthPath: "/health",
    regions: [
      { name: "us-east-1", origins: [pulumi.output("us-lb.elb.amazonaws.com")] },
      { name: "eu-west-1", origins: ["eu-lb.elb.amazonaws.com"] },
      { name: "ap-south-1", origins: ["ap-lb-a.elb.amazonaws.com", "ap-lb-b.elb.amazonaws.com"] },
    ],
    geoRouting: { WNAM: "us-east-1", ENAM: "us-east-1", WEU: "eu-west-1", EEU: "eu-west-1", SEAS: "ap-south-1", NEAS: "ap-south-1" },
    fallbackRegion: "us-east-1",
    ...over,
  };
}

async function build(name: string, args: ReturnType<typeof threeRegions>) {
  const glb = new mod.GlobalLoadBalancer(name, args);
  await valueOf(glb.loadBalancerId);
  await valueOf(glb.poolIds);
  return glb;
}

const ofType = (suffix: string) => registrations.filter((r) => r.type.endsWith(suffix));

describe("GlobalLoadBalancer", () => {
  it("when built for three regions, then it registers one component, one monitor, three pools and one load balancer", async () => {
    await build("glb", threeRegions());
    expect(registrations.map((r) => [r.type, r.name])).toEqual(
      expect.arrayContaining([
        ["aragora:cloudflare:GlobalLoadBalancer", "glb"],
        ["cloudflare:index/loadBalancerMonitor:LoadBalancerMonitor", "glb-monitor"],
        ["cloudflare:index/loadBalancerPool:LoadBalancerPool", "glb-pool-us-east-1"],
        ["cloudflare:index/loadBalancerPool:LoadBalancerPool", "glb-pool-eu-west-1"],
        ["cloudflare:index/loadBalancerPool:LoadBalancerPool", "glb-pool-ap-south-1"],
        ["cloudflare:index/loadBalancer:LoadBalancer", "glb-lb"],
      ]),
    );
    expect(registrations).toHaveLength(6);
    expect(registrations.find((r) => r.name === "glb")?.custom).toBe(false);
  });

  it("when built, then the monitor probes the health path over verified HTTPS with the fleet's Host header", async () => {
    await build("glb", threeRegions());
    const [monitor] = ofType("LoadBalancerMonitor");
    expect(monitor?.inputs).toEqual({
      accountId: ACCOUNT,
      description: "Aragora health (aragora.example.com/health)",
      type: "https",
      method: "GET",
      path: "/health",
      port: 443,
      expectedCodes: "200",
      header: { Host: ["aragora.example.com"] },
      followRedirects: false,
      allowInsecure: false,
      interval: 60,
      retries: 2,
      timeout: 5,
    });
  });

  it("when built, then each pool holds its region's origins, watched by the monitor", async () => {
    await build("glb", threeRegions());
    const pools = ofType("LoadBalancerPool");
    expect(pools).toHaveLength(3);
    const us = pools.find((p) => p.name === "glb-pool-us-east-1");
    expect(us?.inputs).toEqual({
      accountId: ACCOUNT,
      name: "aragora-us-east-1",
      description: "Aragora us-east-1",
      enabled: true,
      minimumOrigins: 1,
      monitor: "glb-monitor-id",
      originSteering: { policy: "random" },
      origins: [{ name: "us-east-1", address: "us-lb.elb.amazonaws.com", enabled: true, weight: 1, header: { hosts: ["aragora.example.com"] } }],
    });
    const ap = pools.find((p) => p.name === "glb-pool-ap-south-1");
    expect(ap?.inputs.origins.map((o: { name: string; address: string }) => [o.name, o.address])).toEqual([
      ["ap-south-1-1", "ap-lb-a.elb.amazonaws.com"],
      ["ap-south-1-2", "ap-lb-b.elb.amazonaws.com"],
    ]);
  });

  it("when built, then the load balancer steers by geo with every pool as default and the primary's pool as fallback", async () => {
    const glb = await build("glb", threeRegions());
    const [lb] = ofType("loadBalancer:LoadBalancer");
    expect(lb?.inputs).toEqual({
      zoneId: ZONE,
      name: "aragora.example.com",
      description: "Aragora global load balancer (geo steering, primary as fallback)",
      enabled: true,
      proxied: true,
      steeringPolicy: "geo",
      defaultPools: ["glb-pool-us-east-1-id", "glb-pool-eu-west-1-id", "glb-pool-ap-south-1-id"],
      fallbackPool: "glb-pool-us-east-1-id",
      regionPools: {
        WNAM: ["glb-pool-us-east-1-id"],
        ENAM: ["glb-pool-us-east-1-id"],
        WEU: ["glb-pool-eu-west-1-id"],
        EEU: ["glb-pool-eu-west-1-id"],
        SEAS: ["glb-pool-ap-south-1-id"],
        NEAS: ["glb-pool-ap-south-1-id"],
      },
    });
    expect(await valueOf(glb.poolIds)).toEqual({
      "us-east-1": "glb-pool-us-east-1-id",
      "eu-west-1": "glb-pool-eu-west-1-id",
      "ap-south-1": "glb-pool-ap-south-1-id",
    });
  });

  it("when the primary moves to eu-west-1, then the fallback and the first default pool move with it", async () => {
    await build("glb", threeRegions({ fallbackRegion: "eu-west-1" }));
    const [lb] = ofType("loadBalancer:LoadBalancer");
    expect(lb?.inputs.fallbackPool).toBe("glb-pool-eu-west-1-id");
    expect(lb?.inputs.defaultPools).toEqual(["glb-pool-eu-west-1-id", "glb-pool-us-east-1-id", "glb-pool-ap-south-1-id"]);
  });

  it("when the monitor settings are given, then the monitor uses them", async () => {
    await build("glb", { ...threeRegions(), monitorInterval: 15, monitorRetries: 0 });
    const [monitor] = ofType("LoadBalancerMonitor");
    expect(monitor?.inputs.interval).toBe(15);
    expect(monitor?.inputs.retries).toBe(0);
  });

  it.each<[string, Partial<import("../../../../components/cloudflare/globalLoadBalancer").GlobalLoadBalancerArgs>, RegExp]>([
    ["a region has no origin", { regions: [{ name: "us-east-1", origins: [] }] }, /region "us-east-1" has no origin/],
    ["the health path is relative", { healthPath: "health" }, /healthPath "health" must be an absolute URL path/],
    ["the fallback is not a region", { fallbackRegion: "sa-east-1" }, /fallback region "sa-east-1"/],
    ["the monitor interval is too short", { monitorInterval: 1 }, /monitorInterval must be 5-3600/],
  ])("when %s, then it throws before registering anything", (_case, patch, message) => {
    expect(() => new mod.GlobalLoadBalancer("bad", threeRegions(patch))).toThrow(message);
    expect(registrations).toHaveLength(0);
  });

  it.each([
    ["us-east-1", 0, 1, "us-east-1"],
    ["ap-south-1", 0, 2, "ap-south-1-1"],
    ["ap-south-1", 1, 2, "ap-south-1-2"],
  ])("when region %s has origin %i of %i, then the origin is named %s", (region, i, n, expected) => {
    expect(mod.originName(region, i, n)).toBe(expected);
  });
});
