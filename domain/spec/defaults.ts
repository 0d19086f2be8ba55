/**
 * Fleet-level defaults the spec resolver and the topology share. Kept here (not in domain/fleet)
 * so the spec module never depends on the fleet module; `domain/fleet/topology.ts` re-exports them.
 */
import type { GeoCode } from "./regionSpec";

/** Ports per local region: postgres base+0, redis +1, sentinel +2, app processes +10..+19. */
export const LOCAL_PORT_BLOCK = 20;
/** Offset of the first app port inside a local block; the block holds LOCAL_PORT_BLOCK - LOCAL_APP_PORT_OFFSET apps. */
export const LOCAL_APP_PORT_OFFSET = 10;
/** Most app processes a local region can run (one port each in its block). */
export const LOCAL_MAX_APP_REPLICAS = LOCAL_PORT_BLOCK - LOCAL_APP_PORT_OFFSET;
/** Where local port blocks are allocated when the service is not told otherwise. */
export const DEFAULT_LOCAL_PORT_RANGE = { start: 21000, end: 29999 } as const;

/**
 * Geo codes a region serves when its spec omits `glb.geo`: the runbook's Cloudflare `region_pools`
 * (us-east-1: WNAM, ENAM; eu-west-1: WEU, EEU; ap-south-1: SEAS, NEAS). Other regions serve no
 * code by default (they are still in the default pools).
 */
export const DEFAULT_GEO: Record<string, GeoCode[]> = {
  "us-east-1": ["WNAM", "ENAM"],
  "eu-west-1": ["WEU", "EEU"],
  "ap-south-1": ["SEAS", "NEAS"],
};
