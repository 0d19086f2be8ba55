/**
 * How a stack's validated config travels: the service encodes it as Pulumi config values
 * (`aragora:region`, `aragora:fleet`, JSON objects), and a program (inline or `pulumi up` by hand)
 * reads and validates them back (stacks/config.ts). One encoding for both paths.
 *
 * No @pulumi/pulumi here: the service imports this file, and the SDK (with the Automation API's
 * dependency tree) is a third of the service's heap and most of its start-up when loaded; only
 * the engine hosts and programs need it (docs/performance.md).
 */
import type { GlobalStackConfig, RegionStackConfig } from "./spec/stackConfig";

export const CONFIG_NAMESPACE = "aragora";

/**
 * Pulumi config values by full key (`aragora:region`), as the engine sets them on a stack. The
 * same shape as the engine's StackConfig, declared here so the domain needs nothing of the engine.
 */
export type ConfigValues = Record<string, { value: string; secret?: boolean }>;

export function regionStackConfigValues(config: RegionStackConfig): ConfigValues {
  return {
    [`${CONFIG_NAMESPACE}:region`]: { value: JSON.stringify(config.region) },
    [`${CONFIG_NAMESPACE}:fleet`]: { value: JSON.stringify(config.fleet) },
  };
}

export function globalStackConfigValues(config: GlobalStackConfig): ConfigValues {
  return { [`${CONFIG_NAMESPACE}:fleet`]: { value: JSON.stringify(config.fleet) } };
}
