/** Builders of resolved fleets for the spec and fleet unit tests. */
import { resolveRegionSpec, type Provider, type RegionSpec } from "../../../../domain/spec";

/** Resolves `inputs` one after another in create mode, as the service would add them. */
export function fleetOf(provider: Provider, ...inputs: Record<string, unknown>[]): RegionSpec[] {
  const fleet: RegionSpec[] = [];
  for (const input of inputs) {
    const r = resolveRegionSpec(input, fleet, "create", { defaultProvider: provider });
    if (!r.ok) throw new Error(`fixture ${JSON.stringify(input)} rejected: ${JSON.stringify(r.issues)}`);
    fleet.push(r.spec);
  }
  return fleet;
}

/** us-east-1 (primary, 10.0.0.0/16, ports 21000), eu-west-1 (10.1.0.0/16, 21020) on the local target. */
export const localTwo = (): RegionSpec[] => fleetOf("local", { name: "us-east-1" }, { name: "eu-west-1" });
/** us-east-1 (primary), eu-west-1, ap-south-1 on aws. */
export const awsThree = (): RegionSpec[] => fleetOf("aws", { name: "us-east-1" }, { name: "eu-west-1" }, { name: "ap-south-1" });
