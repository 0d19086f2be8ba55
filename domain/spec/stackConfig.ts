/**
 * What each stack's Pulumi config holds. The service writes it (`aragora:region`, `aragora:fleet`),
 * a person running `pulumi up` by hand reads the same file, and the programs validate it here.
 * (Glossary: domain/index.ts.)
 */
import { z } from "zod";
import { GEO_CODES, PROVIDERS, regionSpec } from "./regionSpec";
import { fleetSettings } from "./fleetSettings";

/** One region as the rest of the fleet sees it. */
export const fleetMember = z.strictObject({
  name: z.string(),
  provider: z.enum(PROVIDERS),
  primary: z.boolean(),
  cidr: z.string(),
  geo: z.array(z.enum(GEO_CODES)),
  /** Creation order in the fleet (0 = oldest). The younger region of a pair owns its peering link. */
  order: z.number().int().min(0),
  /** Local target: first port of the region's block. */
  portBase: z.number().int().optional(),
  /** App replicas (the GLB needs them to list origins on the local target). */
  appReplicas: z.number().int().min(1),
});
export type FleetMember = z.output<typeof fleetMember>;

export const fleetView = z.strictObject({
  /** Name of the write-primary region. */
  primary: z.string(),
  /** Every region of the fleet, oldest first. */
  regions: z.array(fleetMember),
  settings: fleetSettings,
  /** Local target: directory under which each local region keeps its data and processes' files. */
  localRoot: z.string().optional(),
});
export type FleetView = z.output<typeof fleetView>;

/** Config of a region stack: `aragora:region` and `aragora:fleet`. */
export const regionStackConfig = z.strictObject({
  region: regionSpec,
  fleet: fleetView,
});

/** Config of the `global` stack: `aragora:fleet`. */
export const globalStackConfig = z.strictObject({
  fleet: fleetView,
});

export type RegionStackConfig = z.output<typeof regionStackConfig>;
export type GlobalStackConfig = z.output<typeof globalStackConfig>;
