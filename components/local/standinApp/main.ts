/**
 * STAND-IN for the Aragora server, used only by the `local` target. It is not Aragora: it exists
 * so a local region runs real processes that honour the app's environment contract, and so the
 * drills and tests can prove routing and replication end to end.
 *
 * Environment (the runbook's contract, see domain/fleet/topology.ts appEnv):
 *   ARAGORA_REGION, ARAGORA_PRIMARY_REGION ("true"/"false"), ARAGORA_PRIMARY_REGION_NAME,
 *   ARAGORA_PEER_REGIONS, DATABASE_URL (local: the replica in replica regions),
 *   DATABASE_URL_PRIMARY (writes), REDIS_URL (local Redis); PORT, HOST.
 *
 * Endpoints:
 *   GET  /health          200 when the local database and Redis answer, else 503; reports both
 *   POST /debates         {"topic": "...", "body": "..."} → 201, written through DATABASE_URL_PRIMARY
 *   GET  /debates/:id     read through DATABASE_URL (404 when not (yet) replicated here)
 *   GET  /debates         the latest 20, through DATABASE_URL
 * Every response carries `X-Aragora-Region`.
 */
import * as http from "node:http";
import { Pool } from "pg";
import Redis from "ioredis";

const env = (name: string, fallback?: string): string => {
  const v = process.env[name] ?? fallback;
  if (v === undefined) {
    console.error(`missing environment variable ${name}`);
    process.exit(2);
  }
  return v;
};

const region = env("ARAGORA_REGION");
const isPrimary = env("ARAGORA_PRIMARY_REGION", "false") === "true";
const primaryName = env("ARAGORA_PRIMARY_REGION_NAME", "");
const peers = env("ARAGORA_PEER_REGIONS", "").split(",").filter(Boolean);
const port = Number(env("PORT"));
const host = env("HOST", "127.0.0.1");

const poolOpts = { max: 4, connectionTimeoutMillis: 1000, idleTimeoutMillis: 10_000 };
const readPool = new Pool({ connectionString: env("DATABASE_URL"), ...poolOpts });
const writePool = new Pool({ connectionString: env("DATABASE_URL_PRIMARY"), ...poolOpts });
readPool.on("error", () => undefined);
writePool.on("error", () => undefined);
const redis = new Redis(env("REDIS_URL"), {
  lazyConnect: true,
  enableOfflineQueue: false,
  maxRetriesPerRequest: 1,
  connectTimeout: 1000,
  retryStrategy: (times: number) => Math.min(times * 200, 2000),
});
redis.on("error", () => undefined);
void redis.connect().catch(() => undefined);

async function timed<T>(p: Promise<T>, ms: number): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  try {
    return await Promise.race([p, new Promise<T>((_, rej) => (timer = setTimeout(() => { rej(new Error("timeout")); }, ms)))]);
  } finally {
    clearTimeout(timer);
  }
}

async function health(): Promise<{ ok: boolean; body: Record<string, unknown> }> {
  const database: Record<string, unknown> = { ok: false };
  try {
    const r = await timed(readPool.query<{ in_recovery: boolean }>("SELECT pg_is_in_recovery() AS in_recovery"), 1500);
    database["ok"] = true;
    database["inRecovery"] = r.rows[0]?.in_recovery ?? null;
  } catch (err) {
    database["error"] = (err as Error).message;
  }
  const cache: Record<string, unknown> = { ok: false };
  try {
    const pong: string = await timed(redis.ping(), 1500);
    cache["ok"] = pong.toUpperCase() === "PONG";
  } catch (err) {
    cache["error"] = (err as Error).message;
  }
  const ok = database["ok"] === true && cache["ok"] === true;
  return {
    ok,
    body: { status: ok ? "ok" : "degraded", app: "aragora-standin", region, primary: isPrimary, primaryRegion: primaryName, peers, pid: process.pid, port, database, redis: cache },
  };
}

function send(res: http.ServerResponse, status: number, body: unknown): void {
  const text = JSON.stringify(body);
  res.writeHead(status, { "content-type": "application/json", "x-aragora-region": region, "content-length": Buffer.byteLength(text) });
  res.end(text);
}

function readBody(req: http.IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    let data = "";
    req.setEncoding("utf8");
    req.on("data", (c: string) => {
      data += c;
      if (data.length > 65_536) reject(new Error("body too large"));
    });
    req.on("end", () => { resolve(data); });
    req.on("error", reject);
  });
}

const server = http.createServer((req, res) => {
  void (async () => {
    const url = new URL(req.url ?? "/", "http://local");
    try {
      if (req.method === "GET" && url.pathname === "/health") {
        const h = await health();
        send(res, h.ok ? 200 : 503, h.body);
      } else if (req.method === "POST" && url.pathname === "/debates") {
        const raw = await readBody(req);
        const input = (raw ? JSON.parse(raw) : {}) as { topic?: unknown; body?: unknown };
        if (typeof input.topic !== "string" || input.topic.length === 0 || input.topic.length > 500) {
          send(res, 400, { error: { code: "invalid_body", message: "topic must be a non-empty string (at most 500 characters)" } });
          return;
        }
        const body = typeof input.body === "string" ? input.body : "";
        const r = await writePool.query("INSERT INTO debates (topic, body, origin_region) VALUES ($1, $2, $3) RETURNING id, created_at, topic, body, origin_region", [input.topic, body, region]);
        send(res, 201, { servedBy: region, debate: r.rows[0] as unknown });
      } else if (req.method === "GET" && /^\/debates\/[0-9]{1,18}$/.test(url.pathname)) {
        const id = url.pathname.split("/")[2];
        const r = await readPool.query("SELECT id, created_at, topic, body, origin_region FROM debates WHERE id = $1", [id]);
        if (r.rowCount === 0) send(res, 404, { servedBy: region, error: { code: "not_found", message: `debate ${id ?? ""} not found in ${region}` } });
        else send(res, 200, { servedBy: region, debate: r.rows[0] as unknown });
      } else if (req.method === "GET" && url.pathname === "/debates") {
        const r = await readPool.query("SELECT id, created_at, topic, origin_region FROM debates ORDER BY id DESC LIMIT 20");
        send(res, 200, { servedBy: region, debates: r.rows });
      } else if (req.method === "GET" && url.pathname === "/") {
        send(res, 200, { app: "aragora-standin", region, primary: isPrimary });
      } else {
        send(res, 404, { error: { code: "not_found", message: `${req.method ?? "?"} ${url.pathname}` } });
      }
    } catch (err) {
      send(res, 503, { servedBy: region, error: { code: "unavailable", message: (err as Error).message } });
    }
  })();
});

server.listen(port, host, () => { console.log(`aragora stand-in app for ${region} listening on ${host}:${port}`); });

function shutdown(): void {
  server.close();
  void Promise.allSettled([readPool.end(), writePool.end(), redis.quit()]).then(() => process.exit(0));
  setTimeout(() => process.exit(0), 3000).unref();
}
process.on("SIGTERM", shutdown);
process.on("SIGINT", shutdown);
