import { fleetSettings, type RegionSpec } from "../../../../domain/spec";
import { prerequisiteStacks, type FleetState } from "../../../../domain/fleet";
import { awsThree, fleetOf, localTwo } from "../spec/fixtures";

const state = (specs: RegionSpec[]): FleetState => ({ specs, settings: fleetSettings.parse({}) });
const localThree = (): RegionSpec[] => fleetOf("local", { name: "us-east-1" }, { name: "eu-west-1" }, { name: "ap-south-1" });
/** awsThree after a failover to eu-west-1. */
const awsFailedOver = (): RegionSpec[] => awsThree().map((s) => ({ ...s, primary: s.name === "eu-west-1" }));

describe("prerequisiteStacks", () => {
  it.each([
    ["aws", "global", ["us-east-1", "eu-west-1", "ap-south-1"], awsThree],
    ["aws", "fleet", ["us-east-1", "eu-west-1", "ap-south-1", "global"], awsThree],
    ["aws", "us-east-1", [], awsThree],
    ["aws", "eu-west-1", ["us-east-1"], awsThree],
    ["aws", "ap-south-1", ["us-east-1", "eu-west-1"], awsThree],
    ["aws after failover to eu-west-1", "us-east-1", ["eu-west-1"], awsFailedOver],
    ["aws after failover to eu-west-1", "ap-south-1", ["eu-west-1", "us-east-1"], awsFailedOver],
    ["local", "ap-south-1", ["us-east-1"], localThree],
    ["local", "us-east-1", [], localTwo],
    ["local", "global", ["us-east-1", "eu-west-1"], localTwo],
  ] as const)("when the fleet is %s and the stack is %s, then it reads %j", (_fleet, stack, expected, specs) => {
    expect(prerequisiteStacks(stack, state(specs()))).toEqual(expected);
  });

  it("when the stack is no longer in the fleet (a removal's after-state), then it reads only the primary", () => {
    const after = awsThree().filter((s) => s.name !== "ap-south-1");
    expect(prerequisiteStacks("ap-south-1", state(after))).toEqual(["us-east-1"]);
  });

  it("when the fleet is empty, then global reads nothing and the validate step reads only global", () => {
    expect(prerequisiteStacks("global", state([]))).toEqual([]);
    expect(prerequisiteStacks("fleet", state([]))).toEqual(["global"]);
  });
});
