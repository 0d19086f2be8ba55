/** Shared helpers of the local-target integration tests: fleet configs, HTTP to the local apps, pidfiles. (Ports and processes: test/support.) */
import * as fs from "node:fs";
import * as http from "node:http";
import * as path from "node:path";
import { regionStackConfig, globalStackConfig, type GlobalStackConfig, type RegionStackConfig } from "../../../domain/spec/stackConfig";
import { fleetSettings } from "../../../domain/spec/fleetSettings";
import type { GeoCode } from "../../../domain/spec/regionSpec";

export interface LocalRegionDef {
  name: string;
  primary: boolean;
  portBase: number;
  geo: GeoCode[];
  cidr: string;
}

export function fleetOf(regions: LocalRegionDef[], localRoot: string, glbPort: number, appReplicas: number): RegionStackConfig["fleet"] {
  const primary = regions.find((r) => r.primary);
  if (!primary) throw new Error("no primary");
  return {
    primary: primary.name,
    regions: regions.map((r, i) => ({
      name: r.name,
      provider: "local" as const,
      primary: r.primary,
      cidr: r.cidr,
      geo: r.geo,
      order: i,
      portBase: r.portBase,
      appReplicas,
    })),
    settings: fleetSettings.parse({ local: { glbPort, geoHeader: "X-Geo-Region" } }),
    localRoot,
  };
}

/** A region stack config with local-friendly (short) Sentinel timings and a small wal_keep_size. */
export function regionConfig(def: LocalRegionDef, fleet: RegionStackConfig["fleet"], appReplicas: number): RegionStackConfig {
  return regionStackConfig.parse({
    region: {
      name: def.name,
      provider: "local",
      primary: def.primary,
      network: { cidr: def.cidr },
      postgres: { walKeepSize: "64MB" },
      redis: { sentinel: { quorum: 1, downAfterMs: 2000, failoverTimeoutMs: 10000, parallelSyncs: 1 } },
      app: { replicas: appReplicas },
      glb: { geo: def.geo },
      local: { portBase: def.portBase },
    },
    fleet,
  });
}

export function globalConfig(fleet: GlobalStackConfig["fleet"]): GlobalStackConfig {
  return globalStackConfig.parse({ fleet });
}

export interface HttpResult {
  status: number;
  headers: http.IncomingHttpHeaders;
  body: any;
}

export function request(port: number, method: string, urlPath: string, opts: { headers?: Record<string, string>; body?: unknown } = {}): Promise<HttpResult> {
  return new Promise((resolve, reject) => {
    const payload = opts.body === undefined ? undefined : JSON.stringify(opts.body);
    const req = http.request(
      {
        host: "127.0.0.1",
        port,
        method,
        path: urlPath,
        timeout: 5000,
        agent: false,
        headers: { ...(opts.headers ?? {}), ...(payload ? { "content-type": "application/json", "content-length": Buffer.byteLength(payload) } : {}) },
      },
      (res) => {
        let text = "";
        res.setEncoding("utf8");
        res.on("data", (c: string) => (text += c));
        res.on("end", () => {
          let body: unknown = text;
          try {
            body = JSON.parse(text);
          } catch {
            /* not JSON */
          }
          resolve({ status: res.statusCode ?? 0, headers: res.headers, body });
        });
      },
    );
    req.on("timeout", () => req.destroy(new Error("timeout")));
    req.on("error", reject);
    if (payload) req.write(payload);
    req.end();
  });
}

export async function poll<T>(fn: () => Promise<T | undefined>, timeoutMs: number, intervalMs = 50): Promise<T | undefined> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    try {
      const v = await fn();
      if (v !== undefined) return v;
    } catch {
      /* retry */
    }
    if (Date.now() >= deadline) return undefined;
    await new Promise((r) => setTimeout(r, intervalMs));
  }
}

export function readPid(file: string): number | undefined {
  try {
    const n = Number(fs.readFileSync(file, "utf8").split("\n")[0]?.trim());
    return Number.isInteger(n) && n > 1 ? n : undefined;
  } catch {
    return undefined;
  }
}

/** Every pid in pidfiles below `root` (postmaster.pid, *.pid). */
export function pidsUnder(root: string): number[] {
  const out: number[] = [];
  const walk = (dir: string): void => {
    let entries: fs.Dirent[];
    try {
      entries = fs.readdirSync(dir, { withFileTypes: true });
    } catch {
      return;
    }
    for (const e of entries) {
      const p = path.join(dir, e.name);
      if (e.isDirectory()) walk(p);
      else if (e.name.endsWith(".pid")) {
        const pid = readPid(p);
        if (pid !== undefined) out.push(pid);
      }
    }
  };
  walk(root);
  return out;
}
