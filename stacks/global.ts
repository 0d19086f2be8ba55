/**
 * The program of the `global` stack, by the fleet's target (all regions share one; the primary's
 * decides). Each target's module is loaded only when it runs.
 */
import type { PulumiFn } from "@pulumi/pulumi/automation";
import { lazyProgram, type TargetPrograms } from "./targets/lazyProgram";
import type { Provider } from "../domain/spec/regionSpec";
import type { GlobalStackConfig } from "../domain/spec/stackConfig";

/** The fleet's target: the primary member's provider. Throws when the fleet mixes targets. */
export function fleetProvider(config: GlobalStackConfig): Provider {
  const { fleet } = config;
  const primary = fleet.regions.find((r) => r.name === fleet.primary);
  if (primary === undefined) {
    throw new Error(`the fleet's primary ${JSON.stringify(fleet.primary)} is not one of its regions (${fleet.regions.map((r) => r.name).join(", ") || "none"})`);
  }
  const mixed = fleet.regions.filter((r) => r.provider !== primary.provider);
  if (mixed.length > 0) {
    throw new Error(
      `the fleet mixes targets: ${primary.name} is ${primary.provider} but ${mixed.map((r) => `${r.name} is ${r.provider}`).join(", ")}`,
    );
  }
  return primary.provider;
}

const PROGRAMS: TargetPrograms<GlobalStackConfig> = {
  aws: async () => (await import("./targets/awsGlobal")).awsGlobalProgram,
  local: async () => (await import("./targets/localGlobal")).localGlobalProgram,
};

/** `(validated config) => PulumiFn` for the global stack; the service (inline) and `stacks/index.ts` both use it. */
export function globalProgram(config: GlobalStackConfig): PulumiFn {
  return lazyProgram(PROGRAMS, fleetProvider(config), config);
}
