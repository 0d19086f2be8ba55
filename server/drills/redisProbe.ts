/**
 * Redis and Sentinel of local regions: replication status, and the failover coordinated with
 * Sentinel (so Sentinel never fights the promotion):
 *   1. every Sentinel forgets the master (`SENTINEL REMOVE`): no automatic failover races ours;
 *   2. the target's Redis: `REPLICAOF NO ONE`;
 *   3. every other Redis that answers: `REPLICAOF <target>`;
 *   4. every Sentinel monitors the target again, with its region's settings and the auth-pass.
 * Sentinel persists steps 1 and 4 to its own config file (it owns that file).
 */
import { parseInfo, redisCommands, type Reply } from "../../components/local/impl/resp";
import { scrubText } from "../mask";
import type { LocalEndpoint } from "./endpoints";

export interface RedisLink {
  reachable: boolean;
  error?: string | undefined;
  role?: string | undefined;
  /** Replica: "up" | "down". */
  masterLinkStatus?: string | undefined;
  masterPort?: number | undefined;
  /** Replica: seconds since the last interaction with the master. */
  masterLastIoSecondsAgo?: number | undefined;
  /** Primary: connected replicas. */
  connectedReplicas?: number | undefined;
  /** The master this region's Sentinel names (port), if it answers. */
  sentinelMasterPort?: number | undefined;
}

function auth(ep: LocalEndpoint): string[] {
  return ["AUTH", ep.secrets.redis.reveal()];
}

function msg(err: unknown): string {
  // The RESP client quotes server error lines; none carries the password, scrub anyway.
  return scrubText(err instanceof Error ? err.message : String(err));
}

export async function redisLink(ep: LocalEndpoint): Promise<RedisLink> {
  let sentinelMasterPort: number | undefined;
  try {
    const [addr] = await redisCommands(ep.sentinelPort, [["SENTINEL", "get-master-addr-by-name", ep.sentinelMasterName]], 1000);
    if (Array.isArray(addr) && addr.length === 2) sentinelMasterPort = Number(addr[1]);
  } catch {
    /* sentinel down: leave unknown */
  }
  try {
    const [, info] = await redisCommands(ep.redisPort, [auth(ep), ["INFO", "replication"]], 1000);
    const i = parseInfo(String(info));
    return {
      reachable: true,
      role: i["role"] === "slave" ? "replica" : i["role"],
      ...(i["master_link_status"] !== undefined ? { masterLinkStatus: i["master_link_status"] } : {}),
      ...(i["master_port"] !== undefined ? { masterPort: Number(i["master_port"]) } : {}),
      ...(i["master_last_io_seconds_ago"] !== undefined ? { masterLastIoSecondsAgo: Number(i["master_last_io_seconds_ago"]) } : {}),
      ...(i["connected_slaves"] !== undefined ? { connectedReplicas: Number(i["connected_slaves"]) } : {}),
      ...(sentinelMasterPort !== undefined ? { sentinelMasterPort } : {}),
    };
  } catch (err) {
    return { reachable: false, error: msg(err), ...(sentinelMasterPort !== undefined ? { sentinelMasterPort } : {}) };
  }
}

export interface SentinelSettings {
  quorum: number;
  downAfterMs: number;
  failoverTimeoutMs: number;
  parallelSyncs: number;
}

export interface RedisFailoverReport {
  /** One line per action, for the operation log (no secrets). */
  lines: string[];
}

async function tryCommands(port: number, cmds: string[][]): Promise<Reply[] | Error> {
  try {
    return await redisCommands(port, cmds, 2000);
  } catch (err) {
    return err instanceof Error ? err : new Error(String(err));
  }
}

/** Makes `target`'s Redis the master of every reachable Redis, coordinated with every reachable Sentinel. */
export async function failoverRedis(
  target: LocalEndpoint,
  all: readonly LocalEndpoint[],
  settings: (region: string) => SentinelSettings,
): Promise<RedisFailoverReport> {
  const lines: string[] = [];
  const name = target.sentinelMasterName;
  const sentinels: LocalEndpoint[] = [];
  for (const ep of all) {
    const r = await tryCommands(ep.sentinelPort, [["SENTINEL", "REMOVE", name]]);
    if (r instanceof Error && !/No such master/i.test(r.message)) {
      lines.push(`sentinel of ${ep.region}: not reachable (${msg(r)}); it will be reconfigured by its region's up`);
      continue;
    }
    sentinels.push(ep);
  }
  lines.push(`sentinels of ${sentinels.map((s) => s.region).join(", ") || "no region"} stopped monitoring ${name}`);

  const promoted = await tryCommands(target.redisPort, [auth(target), ["REPLICAOF", "NO", "ONE"]]);
  lines.push(
    promoted instanceof Error
      ? `redis of ${target.region}: not reachable (${msg(promoted)}); its region's up starts it as the master`
      : `redis of ${target.region} (port ${target.redisPort}): REPLICAOF NO ONE`,
  );
  for (const ep of all) {
    if (ep.region === target.region) continue;
    const r = await tryCommands(ep.redisPort, [auth(ep), ["REPLICAOF", target.host, String(target.redisPort)]]);
    lines.push(
      r instanceof Error
        ? `redis of ${ep.region}: not reachable (${msg(r)}); its region's up makes it a replica of ${target.region}`
        : `redis of ${ep.region}: REPLICAOF ${target.host} ${target.redisPort}`,
    );
  }
  for (const ep of sentinels) {
    const s = settings(ep.region);
    const r = await tryCommands(ep.sentinelPort, [
      ["SENTINEL", "MONITOR", name, target.host, String(target.redisPort), String(s.quorum)],
      [
        "SENTINEL", "SET", name,
        "auth-pass", target.secrets.redis.reveal(),
        "down-after-milliseconds", String(s.downAfterMs),
        "failover-timeout", String(s.failoverTimeoutMs),
        "parallel-syncs", String(s.parallelSyncs),
      ],
    ]);
    lines.push(
      r instanceof Error
        ? `sentinel of ${ep.region}: could not monitor ${target.region} (${msg(r)})`
        : `sentinel of ${ep.region} monitors ${name} at ${target.host}:${target.redisPort} (quorum ${s.quorum})`,
    );
  }
  return { lines };
}
