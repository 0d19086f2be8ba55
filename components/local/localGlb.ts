/**
 * The local variant of the global load balancer: one HAProxy on a loopback port, one backend per
 * region (its app processes, health-checked), geo steering by a request header carrying a
 * Cloudflare region code, and the fallback region (the write primary) when a region's pool has no
 * healthy server. Lives in `<localRoot>/global`.
 */
import * as path from "node:path";
import * as pulumi from "@pulumi/pulumi";
import { assertPort, assertRegionName, assertSafePath } from "./names";
import { renderHaproxyConf } from "./render/haproxy";
import { Haproxy, OwnedDir } from "./resources";

export interface LocalGlbRegion {
  name: string;
  /** The region's app ports (from its stack's `appPorts` output). */
  appPorts: pulumi.Input<number[]>;
  /** Cloudflare region codes this region serves (topology.glbRegionPools). */
  geo: string[];
}

export interface LocalGlobalLoadBalancerArgs {
  /** Absolute directory holding every local region; the GLB lives in `<localRoot>/global`. */
  localRoot: string;
  /** Loopback port the GLB listens on. */
  port: number;
  /** Request header carrying the Cloudflare region code. */
  geoHeader: string;
  /** Health-check path of every app. */
  healthPath: string;
  /** Regions in fleet order. */
  regions: LocalGlbRegion[];
  /** The region whose pool serves requests no other pool can (the write primary). */
  fallbackRegion: string;
}

export class LocalGlobalLoadBalancer extends pulumi.ComponentResource {
  readonly dataDir: string;
  readonly haproxy: Haproxy;
  readonly config: pulumi.Output<string>;

  constructor(name: string, args: LocalGlobalLoadBalancerArgs, opts?: pulumi.ComponentResourceOptions) {
    super("aragora:local:GlobalLoadBalancer", name, {}, opts);
    const localRoot = assertSafePath(args.localRoot, "localRoot");
    assertPort(args.port, "port");
    if (!/^[A-Za-z][A-Za-z0-9-]{0,63}$/.test(args.geoHeader)) throw new Error(`geoHeader: ${JSON.stringify(args.geoHeader)} is not a header name`);
    if (!/^\/[A-Za-z0-9._~/-]*$/.test(args.healthPath)) throw new Error(`healthPath: ${JSON.stringify(args.healthPath)} is not a URL path`);
    for (const r of args.regions) {
      assertRegionName(r.name);
      for (const code of r.geo) if (!/^[A-Z]{2,4}$/.test(code)) throw new Error(`geo code ${JSON.stringify(code)} of ${r.name} is not a Cloudflare region code`);
    }
    if (!args.regions.some((r) => r.name === args.fallbackRegion)) {
      throw new Error(`the fallback region ${args.fallbackRegion} is not one of the GLB's regions`);
    }
    this.dataDir = path.posix.join(localRoot, "global");
    const dir = new OwnedDir(`${name}-dir`, { root: localRoot, path: this.dataDir }, { parent: this });
    const haproxyDir = path.posix.join(this.dataDir, "haproxy");
    this.config = pulumi.all(args.regions.map((r) => pulumi.output(r.appPorts))).apply((ports) =>
      renderHaproxyConf({
        dir: haproxyDir,
        port: args.port,
        geoHeader: args.geoHeader,
        healthPath: args.healthPath,
        fallbackRegion: args.fallbackRegion,
        regions: args.regions.map((r, i) => ({ name: r.name, geo: r.geo, appPorts: ports[i] ?? [] })),
      }),
    );
    this.haproxy = new Haproxy(`${name}-haproxy`, { dir: haproxyDir, port: args.port, config: this.config }, { parent: this, dependsOn: [dir] });
    this.registerOutputs({ dataDir: this.dataDir });
  }
}
