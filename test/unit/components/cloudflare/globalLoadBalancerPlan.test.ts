import fc from "fast-check";
import { planGlobalLoadBalancer, type GlobalLoadBalancerPlanInput } from "../../../../components/cloudflare/globalLoadBalancerPlan";
import { GEO_CODES, type GeoCode } from "../../../../domain/spec/regionSpec";

const runbook: GlobalLoadBalancerPlanInput = {
  regions: ["us-east-1", "eu-west-1", "ap-south-1"],
  geoRouting: { WNAM: "us-east-1", ENAM: "us-east-1", WEU: "eu-west-1", EEU: "eu-west-1", SEAS: "ap-south-1", NEAS: "ap-south-1" },
  fallbackRegion: "us-east-1",
  poolPrefix: "aragora",
};

describe("planGlobalLoadBalancer", () => {
  it("when given the runbook's three regions, then it plans the runbook's pools, region pools, default pools and fallback", () => {
    expect(planGlobalLoadBalancer(runbook)).toEqual({
      pools: [
        { region: "us-east-1", poolName: "aragora-us-east-1" },
        { region: "eu-west-1", poolName: "aragora-eu-west-1" },
        { region: "ap-south-1", poolName: "aragora-ap-south-1" },
      ],
      regionPools: {
        WNAM: ["us-east-1"],
        ENAM: ["us-east-1"],
        WEU: ["eu-west-1"],
        EEU: ["eu-west-1"],
        SEAS: ["ap-south-1"],
        NEAS: ["ap-south-1"],
      },
      defaultPools: ["us-east-1", "eu-west-1", "ap-south-1"],
      fallbackPool: "us-east-1",
    });
  });

  it.each([
    ["the primary is the oldest region", "us-east-1", ["us-east-1", "eu-west-1", "ap-south-1"]],
    ["the primary is in the middle", "eu-west-1", ["eu-west-1", "us-east-1", "ap-south-1"]],
    ["the primary is the youngest region", "ap-south-1", ["ap-south-1", "us-east-1", "eu-west-1"]],
  ])("when %s, then its pool is the fallback and first of the default pools", (_case, primary, defaults) => {
    const plan = planGlobalLoadBalancer({ ...runbook, fallbackRegion: primary });
    expect(plan.fallbackPool).toBe(primary);
    expect(plan.defaultPools).toEqual(defaults);
  });

  it("when a region serves no geo code, then it still has a pool and is a default pool", () => {
    const plan = planGlobalLoadBalancer({ ...runbook, regions: [...runbook.regions, "sa-east-1"] });
    expect(plan.pools.map((p) => p.region)).toContain("sa-east-1");
    expect(plan.defaultPools).toContain("sa-east-1");
    expect(Object.values(plan.regionPools).flat()).not.toContain("sa-east-1");
  });

  it("when geo codes are given in any order, then region pools come in Cloudflare's code order", () => {
    const plan = planGlobalLoadBalancer({ ...runbook, geoRouting: { NEAS: "ap-south-1", WNAM: "us-east-1", EEU: "eu-west-1" } });
    expect(Object.keys(plan.regionPools)).toEqual(["WNAM", "EEU", "NEAS"]);
  });

  it.each<[string, Partial<GlobalLoadBalancerPlanInput>, RegExp]>([
    ["there is no region", { regions: [], geoRouting: {} }, /at least one region/],
    ["a region is listed twice", { regions: ["us-east-1", "us-east-1"], geoRouting: {} }, /listed twice/],
    ["the fallback is not a region", { fallbackRegion: "sa-east-1" }, /fallback region "sa-east-1" is not one of the regions/],
    ["a geo code points at an unknown region", { geoRouting: { WEU: "eu-central-1" } }, /geo code WEU is routed to "eu-central-1"/],
    ["a geo code is not a Cloudflare code", { geoRouting: { XX: "us-east-1" } as Partial<Record<GeoCode, string>> }, /"XX" is not a Cloudflare region code/],
    ["the pool prefix has a dot", { poolPrefix: "aragora.prod" }, /pool name "aragora.prod-us-east-1"/],
  ])("when %s, then it throws a clear error", (_case, patch, message) => {
    expect(() => planGlobalLoadBalancer({ ...runbook, ...patch })).toThrow(message);
  });

  it("when given any fleet, then every region has exactly one pool, every default pool exists and the fallback is first", () => {
    const regionNames = fc.uniqueArray(fc.constantFrom("us-east-1", "us-west-2", "eu-west-1", "eu-central-1", "ap-south-1", "sa-east-1"), {
      minLength: 1,
    });
    fc.assert(
      fc.property(
        regionNames.chain((regions) =>
          fc.record({
            regions: fc.constant(regions),
            fallbackRegion: fc.constantFrom(...regions),
            geoRouting: fc.dictionary(fc.constantFrom(...GEO_CODES), fc.constantFrom(...regions)),
            poolPrefix: fc.constant("aragora"),
          }),
        ),
        (input) => {
          const plan = planGlobalLoadBalancer(input);
          expect(plan.pools.map((p) => p.region)).toEqual(input.regions);
          expect([...plan.defaultPools].sort()).toEqual([...input.regions].sort());
          expect(plan.defaultPools[0]).toBe(input.fallbackRegion);
          for (const [code, regions] of Object.entries(plan.regionPools)) {
            expect(regions).toEqual([input.geoRouting[code as GeoCode]]);
          }
          expect(Object.keys(plan.regionPools).sort()).toEqual(Object.keys(input.geoRouting).sort());
        },
      ),
    );
  });
});
