/**
 * How a stack's validated config travels: the service encodes it as Pulumi config values
 * (`aragora:region`, `aragora:fleet`, JSON objects), and a program (inline or `pulumi up` by hand)
 * reads and validates them back. One encoding for both paths.
 */
import * as pulumi from "@pulumi/pulumi";
import type { StackConfig } from "../server/engine/stackRunner";
import {
  globalStackConfig,
  regionStackConfig,
  type GlobalStackConfig,
  type RegionStackConfig,
} from "./spec/stackConfig";

export const CONFIG_NAMESPACE = "aragora";

export function regionStackConfigValues(config: RegionStackConfig): StackConfig {
  return {
    [`${CONFIG_NAMESPACE}:region`]: { value: JSON.stringify(config.region) },
    [`${CONFIG_NAMESPACE}:fleet`]: { value: JSON.stringify(config.fleet) },
  };
}

export function globalStackConfigValues(config: GlobalStackConfig): StackConfig {
  return { [`${CONFIG_NAMESPACE}:fleet`]: { value: JSON.stringify(config.fleet) } };
}

/** Reads and validates a region stack's config inside a running program. */
export function readRegionStackConfig(): RegionStackConfig {
  const cfg = new pulumi.Config(CONFIG_NAMESPACE);
  return regionStackConfig.parse({ region: cfg.requireObject("region"), fleet: cfg.requireObject("fleet") });
}

/** Reads and validates the global stack's config inside a running program. */
export function readGlobalStackConfig(): GlobalStackConfig {
  const cfg = new pulumi.Config(CONFIG_NAMESPACE);
  return globalStackConfig.parse({ fleet: cfg.requireObject("fleet") });
}
