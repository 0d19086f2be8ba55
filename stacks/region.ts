/**
 * The program of a region stack, by target. Each target's module is loaded only when a stack of
 * that target runs, so a local region never loads the cloud SDKs.
 */
import type { PulumiFn } from "@pulumi/pulumi/automation";
import { lazyProgram, type TargetPrograms } from "./targets/lazyProgram";
import type { Provider } from "../domain/spec/regionSpec";
import type { RegionStackConfig } from "../domain/spec/stackConfig";

/** The target of a region: its spec's provider, else its fleet member's. */
export function regionProvider(config: RegionStackConfig): Provider {
  const provider = config.region.provider ?? config.fleet.regions.find((r) => r.name === config.region.name)?.provider;
  if (provider === undefined) {
    throw new Error(`region ${JSON.stringify(config.region.name)} has no provider: set "provider" in its spec or list it in the fleet`);
  }
  return provider;
}

const PROGRAMS: TargetPrograms<RegionStackConfig> = {
  aws: async () => (await import("./targets/awsRegion")).awsRegionProgram,
  local: async () => (await import("./targets/localRegion")).localRegionProgram,
};

/** `(validated config) => PulumiFn` for a region stack; the service (inline) and `stacks/index.ts` both use it. */
export function regionProgram(config: RegionStackConfig): PulumiFn {
  return lazyProgram(PROGRAMS, regionProvider(config), config);
}
