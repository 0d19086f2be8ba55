/**
 * Fleet-wide settings: the `global` stack's config (domain, load balancer accounts, health path).
 */
import { z } from "zod";

const hostname = z
  .string()
  .max(253)
  .regex(/^(?=.{1,253}$)([a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z]{2,63}$/, { message: "must be a DNS name such as aragora.example.com" });

export const fleetSettings = z
  .strictObject({
    /** Public hostname of the global load balancer. */
    domain: hostname.default("aragora.example.com"),
    /** Path every app answers health checks on (GLB monitors, HAProxy checks). */
    healthPath: z.string().regex(/^\/[A-Za-z0-9._~\/-]*$/, { message: "must be an absolute URL path" }).default("/health"),
    cloudflare: z
      .strictObject({
        /** Cloudflare account id (aws target; required there). */
        accountId: z.string().regex(/^[a-f0-9]{32}$/, { message: "must be a 32-character hex Cloudflare id" }).optional(),
        /** Cloudflare zone id of `domain` (aws target; required there). */
        zoneId: z.string().regex(/^[a-f0-9]{32}$/, { message: "must be a 32-character hex Cloudflare id" }).optional(),
      })
      .default({}),
    route53: z
      .strictObject({
        /** Route53 hosted zone id for the latency records (aws target). */
        zoneId: z.string().regex(/^Z[A-Z0-9]{1,31}$/, { message: 'must be a Route53 zone id such as "Z0123456789ABC"' }).optional(),
        /** Record name for latency-based routing. Defaults to `api.<domain>`. */
        recordName: hostname.optional(),
      })
      .default({}),
    local: z
      .strictObject({
        /** Loopback port of the local global load balancer (HAProxy). */
        glbPort: z.number().int().min(1024).max(65535).default(18080),
        /** Request header carrying the Cloudflare region code, for geo steering on the local target. */
        geoHeader: z.string().regex(/^[A-Za-z][A-Za-z0-9-]{0,63}$/).default("X-Geo-Region"),
      })
      .default({ glbPort: 18080, geoHeader: "X-Geo-Region" }),
  })
  .meta({ id: "FleetSettings", description: "Fleet-wide settings held by the global stack" });

export type FleetSettingsInput = z.input<typeof fleetSettings>;
export type FleetSettings = z.output<typeof fleetSettings>;
