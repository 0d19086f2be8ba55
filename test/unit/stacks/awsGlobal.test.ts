import * as pulumi from "@pulumi/pulumi";
import { fleetView, type FleetView, type GlobalStackConfig } from "../../../domain/spec/stackConfig";
import type { GeoCode } from "../../../domain/spec/regionSpec";

interface Registration {
  type: string;
  name: string;
  id: string | undefined;
  inputs: any;
  provider: string | undefined;
}
const registrations: Registration[] = [];

/** What each region stack exports (the aws region outputs contract). */
const regionOutputs = (region: string) => ({
  region,
  originHostname: `a1b2-${region}.elb.${region}.amazonaws.com`,
  originZoneId: `Z${region.replace(/-/g, "").toUpperCase()}`,
  dbPassword: "not-for-the-global-stack",
});

function setMocks(): void {
  void pulumi.runtime.setMocks(
    {
      newResource: (args) => {
        registrations.push({ type: args.type, name: args.name, id: args.id, inputs: args.inputs, provider: args.provider });
        if (args.type === "pulumi:pulumi:StackReference") {
          const region = String(args.id).split("/")[2] ?? "";
          return { id: String(args.id), state: { ...args.inputs, outputs: regionOutputs(region), secretOutputNames: [] } };
        }
        return { id: `${args.name}-id`, state: args.inputs };
      },
      call: (args) => args.inputs,
    },
    "aragora",
    "global",
    false,
    "organization",
  );
}
setMocks();

type Module = typeof import("../../../stacks/targets/awsGlobal");
let mod: Module;
beforeAll(async () => {
  mod = await import("../../../stacks/targets/awsGlobal");
});
beforeEach(() => {
  registrations.length = 0;
  setMocks();
});

const SETTINGS = {
  domain: "aragora.example.com",
  cloudflare: { accountId: "0123456789abcdef0123456789abcdef", zoneId: "fedcba9876543210fedcba9876543210" },
  route53: { zoneId: "Z0123456789ABC" },
};

function member(name: string, order: number, geo: GeoCode[], primary = false) {
  return { name, provider: "aws" as const, primary, cidr: `10.${order}.0.0/16`, geo, order, appReplicas: 3 };
}

function fleet(opts: { primary?: string; without?: string; settings?: object } = {}): FleetView {
  const primary = opts.primary ?? "us-east-1";
  const regions = [
    member("us-east-1", 0, ["WNAM", "ENAM"]),
    member("eu-west-1", 1, ["WEU", "EEU"]),
    member("ap-south-1", 2, ["SEAS", "NEAS"]),
  ]
    .filter((r) => r.name !== opts.without)
    .map((r) => ({ ...r, primary: r.name === primary }));
  return fleetView.parse({ primary, regions, settings: opts.settings ?? SETTINGS });
}

/** Runs the program the way the CLI does (inside the root stack) and waits for registrations to settle. */
async function run(config: GlobalStackConfig): Promise<Record<string, unknown>> {
  const outputs = (await pulumi.runtime.runInPulumiStack(mod.awsGlobalProgram(config))) ?? {};
  let seen = -1;
  while (seen !== registrations.length) {
    seen = registrations.length;
    await new Promise((r) => setTimeout(r, 20));
  }
  return outputs;
}

const named = (name: string) => registrations.find((r) => r.name === name);
const ofType = (type: string) => registrations.filter((r) => r.type === type);
const LB = "cloudflare:index/loadBalancer:LoadBalancer";
const POOL = "cloudflare:index/loadBalancerPool:LoadBalancerPool";
const MONITOR = "cloudflare:index/loadBalancerMonitor:LoadBalancerMonitor";
const RECORD = "aws:route53/record:Record";
const HEALTH = "aws:route53/healthCheck:HealthCheck";

describe("awsGlobalProgram", () => {
  it("when the fleet has three regions, then it reads each region stack by its DIY-backend name", async () => {
    await run({ fleet: fleet() });
    expect(ofType("pulumi:pulumi:StackReference").map((r) => r.id)).toEqual([
      "organization/aragora/us-east-1",
      "organization/aragora/eu-west-1",
      "organization/aragora/ap-south-1",
    ]);
  });

  it("when the fleet has three regions, then it builds one monitor, a pool per region with its origin and a geo-steered LB", async () => {
    const outputs = await run({ fleet: fleet() });
    expect(ofType(MONITOR)).toHaveLength(1);
    expect(named("aragora-monitor")?.inputs).toMatchObject({
      accountId: SETTINGS.cloudflare.accountId,
      type: "https",
      path: "/health",
      header: { Host: ["aragora.example.com"] },
    });
    expect(ofType(POOL).map((p) => [p.name, p.inputs.name, p.inputs.origins.map((o: { address: string }) => o.address), p.inputs.monitor])).toEqual([
      ["aragora-pool-us-east-1", "aragora-us-east-1", ["a1b2-us-east-1.elb.us-east-1.amazonaws.com"], "aragora-monitor-id"],
      ["aragora-pool-eu-west-1", "aragora-eu-west-1", ["a1b2-eu-west-1.elb.eu-west-1.amazonaws.com"], "aragora-monitor-id"],
      ["aragora-pool-ap-south-1", "aragora-ap-south-1", ["a1b2-ap-south-1.elb.ap-south-1.amazonaws.com"], "aragora-monitor-id"],
    ]);
    expect(ofType(LB)).toHaveLength(1);
    expect(named("aragora-lb")?.inputs).toMatchObject({
      zoneId: SETTINGS.cloudflare.zoneId,
      name: "aragora.example.com",
      steeringPolicy: "geo",
      proxied: true,
      defaultPools: ["aragora-pool-us-east-1-id", "aragora-pool-eu-west-1-id", "aragora-pool-ap-south-1-id"],
      fallbackPool: "aragora-pool-us-east-1-id",
      regionPools: {
        WNAM: ["aragora-pool-us-east-1-id"],
        ENAM: ["aragora-pool-us-east-1-id"],
        WEU: ["aragora-pool-eu-west-1-id"],
        EEU: ["aragora-pool-eu-west-1-id"],
        SEAS: ["aragora-pool-ap-south-1-id"],
        NEAS: ["aragora-pool-ap-south-1-id"],
      },
    });
    expect(outputs).toEqual({
      glbHostname: "aragora.example.com",
      glbLoadBalancerId: "aragora-lb-id",
      glbPoolIds: { "us-east-1": "aragora-pool-us-east-1-id", "eu-west-1": "aragora-pool-eu-west-1-id", "ap-south-1": "aragora-pool-ap-south-1-id" },
      glbRegionPools: { WNAM: "us-east-1", ENAM: "us-east-1", WEU: "eu-west-1", EEU: "eu-west-1", SEAS: "ap-south-1", NEAS: "ap-south-1" },
      glbFallbackRegion: "us-east-1",
      latencyRecordName: "api.aragora.example.com",
      healthCheckIds: {
        "us-east-1": "aragora-health-us-east-1-id",
        "eu-west-1": "aragora-health-eu-west-1-id",
        "ap-south-1": "aragora-health-ap-south-1-id",
      },
      regions: ["us-east-1", "eu-west-1", "ap-south-1"],
    });
  });

  it("when the primary changes to eu-west-1, then the fallback pool moves to eu-west-1's pool and nothing else changes", async () => {
    await run({ fleet: fleet() });
    const before = named("aragora-lb")?.inputs;
    registrations.length = 0;
    setMocks();
    const outputs = await run({ fleet: fleet({ primary: "eu-west-1" }) });
    const after = named("aragora-lb")?.inputs;
    expect(after.fallbackPool).toBe("aragora-pool-eu-west-1-id");
    expect(after.defaultPools).toEqual(["aragora-pool-eu-west-1-id", "aragora-pool-us-east-1-id", "aragora-pool-ap-south-1-id"]);
    expect(after.regionPools).toEqual(before.regionPools);
    expect(ofType(POOL).map((p) => p.name)).toEqual(["aragora-pool-us-east-1", "aragora-pool-eu-west-1", "aragora-pool-ap-south-1"]);
    expect(outputs["glbFallbackRegion"]).toBe("eu-west-1");
  });

  it("when eu-west-1 is removed, then its pool, its geo codes, its record and its health check are gone", async () => {
    const outputs = await run({ fleet: fleet({ without: "eu-west-1" }) });
    expect(ofType(POOL).map((p) => p.name)).toEqual(["aragora-pool-us-east-1", "aragora-pool-ap-south-1"]);
    expect(ofType("pulumi:pulumi:StackReference").map((r) => r.id)).toEqual(["organization/aragora/us-east-1", "organization/aragora/ap-south-1"]);
    const lb = named("aragora-lb")?.inputs;
    expect(lb.regionPools).toEqual({
      WNAM: ["aragora-pool-us-east-1-id"],
      ENAM: ["aragora-pool-us-east-1-id"],
      SEAS: ["aragora-pool-ap-south-1-id"],
      NEAS: ["aragora-pool-ap-south-1-id"],
    });
    expect(lb.defaultPools).toEqual(["aragora-pool-us-east-1-id", "aragora-pool-ap-south-1-id"]);
    expect(ofType(RECORD).map((r) => r.inputs.setIdentifier)).toEqual(["us-east-1", "ap-south-1"]);
    expect(ofType(HEALTH).map((r) => r.name)).toEqual(["aragora-health-us-east-1", "aragora-health-ap-south-1"]);
    expect(registrations.filter((r) => r.name.includes("eu-west-1"))).toEqual([]);
    expect(outputs["glbRegionPools"]).toEqual({ WNAM: "us-east-1", ENAM: "us-east-1", SEAS: "ap-south-1", NEAS: "ap-south-1" });
  });

  it("when the fleet has three regions, then Route53 gets a latency alias record and a health check per region through a us-east-1 provider", async () => {
    await run({ fleet: fleet() });
    expect(ofType(HEALTH)).toHaveLength(3);
    expect(ofType(RECORD)).toHaveLength(3);
    for (const region of ["us-east-1", "eu-west-1", "ap-south-1"]) {
      const out = regionOutputs(region);
      expect(named(`aragora-record-${region}`)?.inputs).toEqual({
        zoneId: "Z0123456789ABC",
        name: "api.aragora.example.com",
        type: "A",
        setIdentifier: region,
        latencyRoutingPolicies: [{ region }],
        aliases: [{ name: out.originHostname, zoneId: out.originZoneId, evaluateTargetHealth: true }],
        healthCheckId: `aragora-health-${region}-id`,
      });
      expect(named(`aragora-health-${region}`)?.inputs).toMatchObject({ type: "HTTPS", fqdn: out.originHostname, port: 443, resourcePath: "/health" });
    }
    expect(named("route53")).toMatchObject({ type: "pulumi:providers:aws", inputs: { region: "us-east-1" } });
    for (const r of [...ofType(RECORD), ...ofType(HEALTH)]) {
      expect(r.provider).toBe("urn:pulumi:global::aragora::pulumi:pulumi:Stack$pulumi:providers:aws::route53::route53-id");
    }
  });

  it("when the settings name a record and a health path, then they are used", async () => {
    await run({
      fleet: fleet({ settings: { ...SETTINGS, healthPath: "/api/health", route53: { zoneId: "Z0123456789ABC", recordName: "geo.example.org" } } }),
    });
    expect(ofType(RECORD).every((r) => r.inputs.name === "geo.example.org")).toBe(true);
    expect(ofType(HEALTH).every((r) => r.inputs.resourcePath === "/api/health")).toBe(true);
    expect(named("aragora-monitor")?.inputs.path).toBe("/api/health");
  });

  it.each([
    ["the Cloudflare account id", { ...SETTINGS, cloudflare: { zoneId: SETTINGS.cloudflare.zoneId } }, /settings\.cloudflare\.accountId/],
    ["the Cloudflare zone id", { ...SETTINGS, cloudflare: { accountId: SETTINGS.cloudflare.accountId } }, /settings\.cloudflare\.zoneId/],
    ["the Route53 zone id", { ...SETTINGS, route53: {} }, /settings\.route53\.zoneId/],
  ])("when %s is missing, then the program fails naming the config field and registers no cloud resource", async (_what, settings, message) => {
    await expect(mod.awsGlobalProgram({ fleet: fleet({ settings }) })()).rejects.toThrow(message);
    expect(registrations.filter((r) => r.type.startsWith("cloudflare:") || r.type.startsWith("aws:"))).toEqual([]);
  });

  it("when every setting is missing, then the error lists all three fields and the config key", () => {
    expect(() => mod.awsGlobalSettings(fleet({ settings: { domain: "aragora.example.com" } }))).toThrow(
      'the aws global stack needs fleet settings that are not set in config "aragora:fleet": settings.cloudflare.accountId (Cloudflare account id); settings.cloudflare.zoneId (Cloudflare zone id of aragora.example.com); settings.route53.zoneId (Route53 hosted zone id)',
    );
  });
});
