/**
 * haproxy.cfg of the local global load balancer, as pure text: the local stand-in for the
 * runbook's Cloudflare load balancer (Phase 5.1).
 *
 * - one backend per region, listing that region's app processes, health-checked on the health path;
 * - geo steering: the request header (default `X-Geo-Region`) carries a Cloudflare region code;
 *   the codes a region serves select its backend while it has a usable server;
 * - fallback: requests with no header, an unmapped code, or a code whose region has no usable
 *   server go to the fallback region (the write primary); every other backend also lists the
 *   fallback region's apps as `backup` servers with `option redispatch`, so a request in flight
 *   when the last server of a region dies is redispatched instead of failing with a 503.
 */

export interface HaproxyRegion {
  name: string;
  appPorts: number[];
  /** Cloudflare region codes routed to this region. */
  geo: string[];
}

export interface HaproxyConfArgs {
  dir: string;
  port: number;
  geoHeader: string;
  healthPath: string;
  /** Regions in fleet order. */
  regions: HaproxyRegion[];
  fallbackRegion: string;
  /** Health-check interval (ms); a server is down after 2 failed checks. */
  checkIntervalMs?: number;
}

/** Longest unix socket path Linux accepts (sun_path is 108 bytes). */
const MAX_SOCKET_PATH = 107;

export function haproxyBackendName(region: string): string {
  return `be_${region}`;
}

export function renderHaproxyConf(a: HaproxyConfArgs): string {
  const fallback = a.regions.find((r) => r.name === a.fallbackRegion);
  if (fallback === undefined) throw new Error(`fallback region ${a.fallbackRegion} is not among the GLB's regions`);
  const inter = a.checkIntervalMs ?? 1000;
  const check = `check inter ${inter} fall 2 rise 2`;
  const socket = `${a.dir}/admin.sock`;
  const out: string[] = [
    "# Managed by Aragora Regions (local target): the global load balancer. Rewritten on every update.",
    "global",
    "    maxconn 4096",
  ];
  if (socket.length <= MAX_SOCKET_PATH) out.push(`    stats socket ${socket} mode 600 level admin expose-fd listeners`);
  out.push(
    "",
    "defaults",
    "    mode http",
    "    timeout connect 2s",
    "    timeout client 30s",
    "    timeout server 30s",
    "    timeout check 2s",
    "    retries 2",
    "    option redispatch",
    "",
    "frontend fe_glb",
    `    bind 127.0.0.1:${a.port}`,
  );
  for (const r of a.regions) {
    if (r.geo.length === 0) continue;
    out.push(`    acl geo_${r.name} req.hdr(${a.geoHeader}) -m str -i ${r.geo.join(" ")}`);
    out.push(`    acl up_${r.name} nbsrv(${haproxyBackendName(r.name)}) gt 0`);
  }
  for (const r of a.regions) {
    if (r.geo.length === 0) continue;
    out.push(`    use_backend ${haproxyBackendName(r.name)} if geo_${r.name} up_${r.name}`);
  }
  out.push(
    `    default_backend ${haproxyBackendName(fallback.name)}`,
    "    http-response set-header X-Aragora-Backend %[be_name]",
    "    http-response set-header X-Aragora-Server %[srv_name]",
  );
  for (const r of a.regions) {
    out.push(
      "",
      `backend ${haproxyBackendName(r.name)}`,
      "    balance roundrobin",
      `    option httpchk GET ${a.healthPath}`,
      "    http-check expect status 200",
    );
    r.appPorts.forEach((p, i) => out.push(`    server ${r.name}-app-${i} 127.0.0.1:${p} ${check}`));
    if (r.name !== fallback.name) {
      fallback.appPorts.forEach((p, i) => out.push(`    server fallback-${fallback.name}-app-${i} 127.0.0.1:${p} ${check} backup`));
    }
  }
  return out.join("\n") + "\n";
}
