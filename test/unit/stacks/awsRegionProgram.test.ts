import { configOf, fleetOf, MockWorld, resolveOutputs } from "../components/aws/mockWorld";

const world = new MockWorld();
world.install();
// Programs under mocks register ~100 resources; leave room when the suite runs in parallel.
jest.setTimeout(30_000);

describe("awsRegionProgram", () => {
  test("when the PulumiFn runs, then it returns every key of the outputs contract", async () => {
    const { awsRegionProgram } = await import("../../../stacks/targets/awsRegion");
    const { AWS_REGION_OUTPUT_KEYS } = await import("../../../stacks/targets/awsRegionOutputs");
    world.current = "fn";
    const outs = await awsRegionProgram(configOf("us-east-1", fleetOf(["us-east-1"], "us-east-1")))();
    expect(Object.keys(outs as object).sort()).toEqual(Object.values(AWS_REGION_OUTPUT_KEYS).sort());
    const resolved = await resolveOutputs(outs as any);
    expect(resolved).toMatchObject({ originHostname: "a1b2-fn.elb.fn.amazonaws.com", originZoneId: "Z26RNL4JYFTOTI" });
    await world.settle();
  }, 30_000);

  test.each([
    ["a local-target region", () => configOf("us-east-1", fleetOf(["us-east-1"], "us-east-1"), { provider: "local" }), /local target/],
    ["a CIDR that differs from the fleet's", () => configOf("us-east-1", fleetOf(["us-east-1"], "us-east-1"), { network: { cidr: "10.9.0.0/16" } }), /differs from the fleet/],
    ["a region missing from the fleet", () => ({ ...configOf("us-east-1", fleetOf(["us-east-1"], "us-east-1")), fleet: fleetOf(["eu-west-1"], "eu-west-1") }), /not in the fleet/],
    ["a VPC too small for the subnet layout", () => {
      const fleet = fleetOf(["us-east-1"], "us-east-1");
      fleet.regions[0]!.cidr = "10.0.0.0/24";
      return configOf("us-east-1", fleet, { network: { cidr: "10.0.0.0/24" } });
    }, /too small/],
  ])("when given %s, then the program refuses before creating anything", async (_what, make, message) => {
    const { buildAwsRegion } = await import("../../../stacks/targets/awsRegion");
    world.current = `bad-${String(message)}`;
    expect(() => buildAwsRegion(make())).toThrow(message);
    await world.settle();
    expect(world.of(world.current).filter((r) => r.custom)).toHaveLength(0);
  });
});
