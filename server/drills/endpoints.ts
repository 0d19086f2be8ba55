/**
 * Where a local region's servers are and how to log in, read from its stack's outputs
 * (stacks/targets/localRegion.ts, "Outputs contract"). Passwords stay inside `Secret` values that
 * print and serialize as "[secret]", so an endpoint can be logged or put in an error by mistake
 * without leaking anything.
 *
 * Reading outputs goes through the engine (one CLI call per stack, queued behind a running step
 * on that stack), so endpoints are cached: the handlers read fresh ones, probes for `/metrics` and
 * the region view accept ones up to `ttlMs` old.
 */
import { inspect } from "node:util";
import type { StackOutputs } from "../engine/stackRunner";
import { MASK } from "../mask";

export class Secret {
  readonly #value: string;
  constructor(value: string) {
    this.#value = value;
  }
  reveal(): string {
    return this.#value;
  }
  toString(): string {
    return MASK;
  }
  toJSON(): string {
    return MASK;
  }
  [inspect.custom](): string {
    return MASK;
  }
}

export interface LocalEndpoint {
  region: string;
  role: "primary" | "replica";
  primaryRegion: string;
  host: string;
  postgresPort: number;
  redisPort: number;
  sentinelPort: number;
  sentinelMasterName: string;
  appPorts: number[];
  replicationSlot: string;
  pidFiles: { postgres: string; redis: string; sentinel: string; apps: string[] };
  superuser: string;
  monitorUser: string;
  appUser: string;
  database: string;
  secrets: { superuser: Secret; monitor: Secret; app: Secret; redis: Secret };
}

export type OutputsSource = (stack: string) => Promise<StackOutputs | undefined>;

function req(o: StackOutputs, key: string, check: (v: unknown) => boolean): unknown {
  const v = o[key]?.value;
  if (!check(v)) throw new Error(`stack output ${key} is missing or malformed`);
  return v;
}
const isNum = (v: unknown): boolean => typeof v === "number" && Number.isInteger(v);
const isStr = (v: unknown): boolean => typeof v === "string";

/** Reads the local outputs contract; undefined when the stack has no local outputs (not deployed, or another target). */
export function endpointFromOutputs(region: string, o: StackOutputs | undefined): LocalEndpoint | undefined {
  if (o?.["postgresPort"] === undefined || o["postgresSuperuserPassword"] === undefined) return undefined;
  const pid = req(o, "pidFiles", (v) => typeof v === "object" && v !== null) as { postgres: string; redis: string; sentinel: string; apps: string[] };
  return {
    region,
    role: (req(o, "role", isStr) as string) === "primary" ? "primary" : "replica",
    primaryRegion: req(o, "primaryRegion", isStr) as string,
    host: req(o, "postgresHost", isStr) as string,
    postgresPort: req(o, "postgresPort", isNum) as number,
    redisPort: req(o, "redisPort", isNum) as number,
    sentinelPort: req(o, "sentinelPort", isNum) as number,
    sentinelMasterName: req(o, "sentinelMasterName", isStr) as string,
    appPorts: req(o, "appPorts", (v) => Array.isArray(v) && v.every(isNum)) as number[],
    replicationSlot: req(o, "replicationSlot", isStr) as string,
    pidFiles: { postgres: pid.postgres, redis: pid.redis, sentinel: pid.sentinel, apps: pid.apps },
    superuser: req(o, "postgresSuperuser", isStr) as string,
    monitorUser: req(o, "postgresMonitorUser", isStr) as string,
    appUser: req(o, "postgresAppUser", isStr) as string,
    database: req(o, "postgresDatabase", isStr) as string,
    secrets: {
      superuser: new Secret(req(o, "postgresSuperuserPassword", isStr) as string),
      monitor: new Secret(req(o, "postgresMonitorPassword", isStr) as string),
      app: new Secret(req(o, "postgresAppPassword", isStr) as string),
      redis: new Secret(req(o, "redisPassword", isStr) as string),
    },
  };
}

/** Endpoints by region, cached; `fresh` bypasses the cache. A refresh of a cached entry is bounded by `timeoutMs` (stale beats nothing). */
export class EndpointCache {
  private readonly cache = new Map<string, { at: number; ep: LocalEndpoint | undefined }>();
  private readonly inflight = new Map<string, Promise<LocalEndpoint | undefined>>();

  constructor(
    private readonly source: OutputsSource,
    private readonly ttlMs = 30_000,
    private readonly timeoutMs = 5_000,
  ) {}

  async get(region: string, opts: { fresh?: boolean } = {}): Promise<LocalEndpoint | undefined> {
    const hit = this.cache.get(region);
    if (hit && !opts.fresh && Date.now() - hit.at < this.ttlMs) return hit.ep;
    let p = this.inflight.get(region);
    if (!p) {
      p = this.source(region)
        .then((o) => {
          const ep = endpointFromOutputs(region, o);
          this.cache.set(region, { at: Date.now(), ep });
          return ep;
        })
        .finally(() => this.inflight.delete(region));
      this.inflight.set(region, p);
    }
    if (opts.fresh || !hit) return p;
    let timer: NodeJS.Timeout | undefined;
    try {
      return await Promise.race([p, new Promise<LocalEndpoint | undefined>((resolve) => (timer = setTimeout(() => { resolve(hit.ep); }, this.timeoutMs)))]);
    } finally {
      clearTimeout(timer);
    }
  }

  /** Forget one region (or all): their outputs changed. */
  invalidate(region?: string): void {
    if (region === undefined) this.cache.clear();
    else this.cache.delete(region);
  }
}
