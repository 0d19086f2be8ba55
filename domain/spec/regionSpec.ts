/**
 * The region spec (v1): the product's public language. The portal sends it, the region stack's
 * config stores it (fully defaulted), and the programs consume it.
 *
 * Defaults are the runbook's values unless noted. Every object is strict: unknown fields are
 * rejected, so a typo never silently falls back to a default.
 */
import { z } from "zod";
import { parseCidr } from "./cidr";

/** Cloudflare load-balancer region codes (the keys of `region_pools`). */
export const GEO_CODES = [
  "WNAM", "ENAM", "WEU", "EEU", "NSAM", "SSAM", "OC", "ME", "NAF", "SAF", "SAS", "SEAS", "NEAS",
] as const;
export type GeoCode = (typeof GEO_CODES)[number];

export const PROVIDERS = ["aws", "local"] as const;
export type Provider = (typeof PROVIDERS)[number];

/**
 * Region names end up in stack names, file paths and process arguments: lowercase letters, digits
 * and single dashes, starting with a letter, ending with a letter or digit. No `/`, `.`, spaces or
 * a leading `-` can pass.
 */
export const REGION_NAME_PATTERN = /^[a-z](?:[a-z0-9]|-(?=[a-z0-9])){1,30}[a-z0-9]$/;

/** Stack name reserved for the fleet-wide stack; no region may take it. */
export const GLOBAL_STACK = "global";

/** Names no region may take: the global stack, and the pseudo-stack of fleet-wide validate steps. */
export const RESERVED_NAMES: readonly string[] = [GLOBAL_STACK, "fleet"];

export const regionName = z
  .string()
  .regex(REGION_NAME_PATTERN, {
    message:
      "must be 3-32 characters of lowercase letters, digits and single dashes, starting with a letter and ending with a letter or digit",
  })
  .refine((n) => !RESERVED_NAMES.includes(n), { message: "is a reserved name (global, fleet)" });

/** PostgreSQL size strings as postgresql.conf takes them: `2GB`, `512MB`, `64kB`. */
const pgSize = z.string().regex(/^[1-9][0-9]{0,6}(kB|MB|GB|TB)$/, {
  message: 'must be a PostgreSQL size such as "2GB" or "512MB"',
});

export const networkSpec = z
  .strictObject({
    /** IPv4 CIDR of the region's VPC, /16 to /24. Auto-allocated (lowest free /16 in 10.0.0.0/8) when omitted. */
    cidr: z
      .string()
      .superRefine((v, ctx) => {
        const r = parseCidr(v);
        if (!r.ok) ctx.addIssue({ code: "custom", message: r.reason });
      })
      .meta({ examples: ["10.1.0.0/16"] })
      .optional(),
    /** Availability zones to spread subnets over (aws). */
    azCount: z.number().int().min(1).max(6).default(3),
  })
  .meta({ description: "VPC network of the region" });

export const postgresSpec = z
  .strictObject({
    /** Major PostgreSQL version. */
    version: z.enum(["14", "15", "16", "17"]).default("15"),
    /** RDS instance class (aws). */
    instanceClass: z.string().regex(/^db\.[a-z0-9]+\.[a-z0-9]+$/, { message: 'must look like "db.r6g.large"' }).default("db.r6g.large"),
    /** Allocated storage in GiB (aws). */
    allocatedStorageGb: z.number().int().min(20).max(65536).default(100),
    /** Runbook: wal_keep_size = 2GB. */
    walKeepSize: pgSize.default("2GB"),
    /** Runbook: max_wal_senders = 10. */
    maxWalSenders: z.number().int().min(1).max(100).default(10),
    /** Runbook: max_replication_slots = 10. */
    maxReplicationSlots: z.number().int().min(1).max(100).default(10),
    /** RDS deletion protection (aws). Off by default so a removed region can really be destroyed. */
    deletionProtection: z.boolean().default(false),
  })
  .meta({ description: "PostgreSQL of the region: primary in the primary region, streaming replica elsewhere" });

export const sentinelSpec = z
  .strictObject({
    /** Runbook: `sentinel monitor aragora-redis ... 2`. */
    quorum: z.number().int().min(1).max(10).default(2),
    /** Runbook: down-after-milliseconds 30000. */
    downAfterMs: z.number().int().min(100).max(3_600_000).default(30000),
    /** Runbook: failover-timeout 180000. */
    failoverTimeoutMs: z.number().int().min(1000).max(86_400_000).default(180000),
    /** Runbook: parallel-syncs 1. */
    parallelSyncs: z.number().int().min(1).max(16).default(1),
  })
  .meta({ description: "Redis Sentinel settings" });

export const redisSpec = z
  .strictObject({
    /** ElastiCache node type (aws; global datastores need large or bigger, no t-types). */
    nodeType: z
      .string()
      .regex(/^cache\.[a-z0-9]+\.[a-z0-9]+$/, { message: 'must look like "cache.r6g.large"' })
      .refine((t) => !/^cache\.t/.test(t), { message: "t-type nodes cannot join a global datastore" })
      .default("cache.r6g.large"),
    /** Runbook: repl-timeout 120 (seconds). */
    replTimeoutSec: z.number().int().min(10).max(3600).default(120),
    /** Runbook: repl-ping-replica-period 10 (seconds). */
    replPingReplicaPeriodSec: z.number().int().min(1).max(600).default(10),
    sentinel: sentinelSpec.default(() => sentinelSpec.parse({})),
  })
  .refine((r) => r.replPingReplicaPeriodSec < r.replTimeoutSec, {
    message: "must be less than replTimeoutSec (Redis needs pings more often than the timeout)",
    path: ["replPingReplicaPeriodSec"],
  })
  .meta({ description: "Redis of the region: primary in the primary region, replica elsewhere" });

export const appSpec = z
  .strictObject({
    /** Container image of the Aragora server (aws). */
    image: z
      .string()
      .regex(/^[a-z0-9][a-z0-9._\/-]*(:[A-Za-z0-9._-]+)?(@sha256:[a-f0-9]{64})?$/, { message: "must be a container image reference" })
      .max(255)
      .default("aragora/server:1.0.0"),
    /** App replicas (pods on aws, processes on local). */
    replicas: z.number().int().min(1).max(50).default(3),
  })
  .meta({ description: "The Aragora app deployment" });

export const clusterSpec = z
  .strictObject({
    kubernetesVersion: z.string().regex(/^1\.[0-9]{2}$/, { message: 'must be a Kubernetes minor version such as "1.31"' }).default("1.31"),
    nodeType: z.string().regex(/^[a-z0-9]+\.[a-z0-9]+$/, { message: 'must be an EC2 instance type such as "m6i.large"' }).default("m6i.large"),
    minNodes: z.number().int().min(1).max(100).default(3),
    maxNodes: z.number().int().min(1).max(100).default(6),
  })
  .refine((c) => c.maxNodes >= c.minNodes, { message: "must be at least minNodes", path: ["maxNodes"] })
  .meta({ description: "EKS cluster of the region (aws)" });

export const glbSpec = z
  .strictObject({
    /** Cloudflare region codes this region serves. Each code is served by at most one region. */
    geo: z
      .array(z.enum(GEO_CODES))
      .max(GEO_CODES.length)
      .superRefine((codes, ctx) => {
        codes.forEach((c, i) => {
          if (codes.indexOf(c) !== i) ctx.addIssue({ code: "custom", message: `duplicate geo code ${c}`, path: [i] });
        });
      })
      .optional(),
  })
  .meta({ description: "The region's place in the global load balancer" });

export const localSpec = z
  .strictObject({
    /** First of the region's block of loopback ports (local target). Auto-allocated when omitted. */
    portBase: z.number().int().min(1024).max(65000).optional(),
  })
  .meta({ description: "Settings of the local target" });

export const regionSpec = z
  .strictObject({
    name: regionName,
    provider: z.enum(PROVIDERS).optional(),
    primary: z.boolean().default(false),
    network: networkSpec.default(() => networkSpec.parse({})),
    postgres: postgresSpec.default(() => postgresSpec.parse({})),
    redis: redisSpec.default(() => redisSpec.parse({})),
    app: appSpec.default(() => appSpec.parse({})),
    cluster: clusterSpec.default(() => clusterSpec.parse({})),
    glb: glbSpec.default(() => ({})),
    local: localSpec.default(() => ({})),
  })
  .meta({ id: "RegionSpec", description: "A region of Aragora: network, PostgreSQL, Redis, app cluster, GLB pool" });

/** What a client sends (optional fields may be omitted). */
export type RegionSpecInput = z.input<typeof regionSpec>;
/** A parsed spec, defaults filled in (provider, cidr and portBase may still be open until resolved). */
export type RegionSpecParsed = z.output<typeof regionSpec>;

/**
 * A spec resolved against the fleet: provider, CIDR, geo codes and (for local) port base decided.
 * This is what the region stack's config holds.
 */
export type RegionSpec = Omit<RegionSpecParsed, "provider" | "network" | "glb" | "local"> & {
  provider: Provider;
  network: RegionSpecParsed["network"] & { cidr: string };
  glb: { geo: GeoCode[] };
  local: { portBase?: number };
};
