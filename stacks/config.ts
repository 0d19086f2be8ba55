/**
 * Reads a stack's config back inside a running program (inline or `pulumi up` by hand): the values
 * domain/stackConfigEncoding.ts wrote, validated by the same schemas the service used.
 */
import * as pulumi from "@pulumi/pulumi";
import { CONFIG_NAMESPACE } from "../domain/stackConfigEncoding";
import { globalStackConfig, regionStackConfig, type GlobalStackConfig, type RegionStackConfig } from "../domain/spec/stackConfig";

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
