/** Helpers of the drill tests: the service in-process with the real engine, API calls, a writer, process kills. */
import { randomUUID } from "node:crypto";
import * as fs from "node:fs";
import * as http from "node:http";
import * as path from "node:path";
import { Client } from "pg";
import { loadConfig, prepareStateDir } from "../../../server/config";
import { createLocalDrills } from "../../../server/drills";
import { createAutomationRunner } from "../../../server/engine/automationRunner";
import { stackProgram } from "../../../stacks/program";
import { ownPlugins } from "../../../stacks/plugins";
import type { StackOutputs, StackRunner } from "../../../server/engine/stackRunner";
import { findPulumiBinDir, projectDir } from "../../../server/engine/toolchain";
import { createFleetDomain } from "../../../server/fleetDomain";
import type { RunningService } from "../../../server/service";
import { fleetSettings } from "../../../domain/spec/fleetSettings";
import type { RegionSpec } from "../../../domain/spec/regionSpec";
import { TOKENS, waitForOperation } from "../../support/http";
import { startTestService } from "../../support/serviceDriver";
import type { SseEvent } from "../../support/sse";

export const ADMIN_TOKEN = TOKENS.admin;
export const DRILL_PASSPHRASE = "drill-test-passphrase";

export interface DrillService {
  service: RunningService;
  runner: StackRunner;
  api(method: string, urlPath: string, body?: unknown): Promise<{ status: number; body: any }>;
  waitOperation(id: string, timeoutMs?: number): Promise<any>;
  /** An operation's stored events, read over SSE to the end (recorded in `seen`). */
  events(id: string): Promise<SseEvent[]>;
  outputs(stack: string): Promise<StackOutputs>;
  /** The service's own state dir (SQLite database, backend, workspaces). */
  stateDir: string;
  /** Every response body `api` read, and whatever the test adds (SSE streams), for the secret scan. */
  seen: string[];
  /** The service's log lines (info and up, as it logs by default). */
  logs: string[];
}

/** The service in process (test/support/serviceDriver) with the real engine and the local drills, under `<stateDir>/service`. */
export async function startDrillService(stateDir: string, o: { portRange: string; glbPort: number; localRoot: string; cutoffAgeSeconds: number }): Promise<DrillService> {
  const env = {
    ARAGORA_LOCAL_PORT_RANGE: o.portRange,
    ARAGORA_GLB_PORT: String(o.glbPort),
    ARAGORA_LOCAL_ROOT: o.localRoot,
    ARAGORA_MAX_PARALLEL: "4",
    PULUMI_CONFIG_PASSPHRASE: DRILL_PASSPHRASE,
  };
  const serviceDir = path.join(stateDir, "service");
  // The engine is built first, as main.ts builds it, so the drills read outputs through it.
  const config = loadConfig({ ARAGORA_STATE_DIR: serviceDir, ...env });
  const engineEnv = prepareStateDir(config);
  const bin = findPulumiBinDir();
  const runner = createAutomationRunner({
    program: stackProgram,
    plugins: ownPlugins(),
    stateDir: config.stateDir,
    backendUrl: config.backendUrl,
    passphrase: DRILL_PASSPHRASE,
    ...(bin ? { pulumiBinDir: bin } : {}),
    env: engineEnv,
    projectDir: projectDir(),
  });
  const drills = createLocalDrills({ outputs: (s) => runner.outputs(s), cutoffAgeSeconds: o.cutoffAgeSeconds });
  const t = await startTestService({ stateDir: serviceDir, env, runner, handlers: drills.handlers, lagProbe: drills.lagProbe });
  const outputs = async (stack: string): Promise<StackOutputs> => {
    const out = await runner.outputs(stack);
    if (!out) throw new Error(`no outputs for ${stack}`);
    return out;
  };
  return {
    service: t.svc,
    runner,
    api: (method, urlPath, body) => t.req(method, urlPath, body !== undefined ? { body } : {}),
    waitOperation: (id, timeoutMs = 180_000) => waitForOperation(t.req, id, timeoutMs, 100),
    events: async (id) => (await t.sse(id, { timeoutMs: 60_000 })).events,
    outputs,
    stateDir: serviceDir,
    seen: t.seen,
    logs: t.logs.lines,
  };
}

/** One HTTP request with a short timeout; network errors become status 0. */
export function httpCall(port: number, method: string, urlPath: string, headers: Record<string, string>, body?: unknown, timeoutMs = 2000): Promise<{ status: number; body: any }> {
  return new Promise((resolve) => {
    const payload = body === undefined ? undefined : JSON.stringify(body);
    const req = http.request(
      { host: "127.0.0.1", port, method, path: urlPath, timeout: timeoutMs, agent: false, headers: { ...headers, ...(payload ? { "content-type": "application/json", "content-length": Buffer.byteLength(payload) } : {}) } },
      (res) => {
        let text = "";
        res.setEncoding("utf8");
        res.on("data", (c: string) => (text += c));
        res.on("end", () => {
          let parsed: unknown = text;
          try {
            parsed = JSON.parse(text);
          } catch {
            /* text */
          }
          resolve({ status: res.statusCode ?? 0, body: parsed });
        });
      },
    );
    req.on("timeout", () => req.destroy(new Error("timeout")));
    req.on("error", () => {
      resolve({ status: 0, body: undefined });
    });
    if (payload) req.write(payload);
    req.end();
  });
}

export interface WriteRecord {
  id: number | undefined;
  status: number;
  sentAt: number;
  ackAt: number;
  servedBy?: string;
}

/** Writes debates through the GLB in a loop until stopped; every attempt is recorded. */
export class Writer {
  readonly records: WriteRecord[] = [];
  private running = false;
  private loop: Promise<void> | undefined;
  constructor(private readonly glbPort: number, private readonly geo: string) {}

  start(): void {
    this.running = true;
    this.loop = (async () => {
      let n = 0;
      while (this.running) {
        const sentAt = Date.now();
        const r = await httpCall(this.glbPort, "POST", "/debates", { "X-Geo-Region": this.geo }, { topic: `drill write ${n++}` }, 2000);
        const rec: WriteRecord = { id: r.status === 201 ? Number(r.body.debate.id) : undefined, status: r.status, sentAt, ackAt: Date.now() };
        if (r.status === 201) rec.servedBy = String(r.body.servedBy);
        this.records.push(rec);
        await new Promise((res) => setTimeout(res, r.status === 201 ? 20 : 50));
      }
    })();
  }

  async stop(): Promise<void> {
    this.running = false;
    await this.loop;
  }

  acked(): WriteRecord[] {
    return this.records.filter((r) => r.status === 201);
  }
}

export function pidOf(file: string): number {
  const n = Number(fs.readFileSync(file, "utf8").split("\n")[0]?.trim());
  if (!Number.isInteger(n) || n <= 1) throw new Error(`no pid in ${file}`);
  return n;
}

export function secret(outputs: StackOutputs, key: string): string {
  const v = outputs[key]?.value;
  if (typeof v !== "string") throw new Error(`no ${key}`);
  return v;
}

export async function pgQuery<T>(outputs: StackOutputs, user: "postgres" | "aragora_app" | "monitor", sql: string, params: unknown[] = [], database = "aragora"): Promise<T[]> {
  const pw = { postgres: "postgresSuperuserPassword", aragora_app: "postgresAppPassword", monitor: "postgresMonitorPassword" }[user];
  const c = new Client({ host: "127.0.0.1", port: outputs["postgresPort"]?.value as number, user, password: secret(outputs, pw), database, connectionTimeoutMillis: 3000 });
  await c.connect();
  try {
    return (await c.query(sql, params)).rows as T[];
  } finally {
    await c.end();
  }
}

/**
 * Test fixture: records the region specs in the store as if they had been added, resolved exactly
 * as POST /regions resolves them. One `POST /fleet/reconcile` then applies them in three waves
 * (primary, replicas in parallel, global) instead of the nine stack updates three adds would run.
 */
export async function seedFleet(d: DrillService, bodies: unknown[], o: { portRange: { start: number; end: number }; glbPort: number; localRoot: string }): Promise<string[]> {
  const domain = createFleetDomain();
  const specs: RegionSpec[] = [];
  for (const body of bodies) {
    const res = domain.resolveRegionSpec(body, specs, "create", { defaultProvider: "local", localPortRange: o.portRange });
    if (!res.ok) throw new Error(`fixture spec rejected: ${JSON.stringify(res.issues)}`);
    specs.push(res.spec);
  }
  const state = { specs, settings: fleetSettings.parse({ local: { glbPort: o.glbPort } }), localRoot: o.localRoot };
  const at = new Date().toISOString();
  await d.service.store.createOperation(
    {
      id: randomUUID(), kind: "add", status: "succeeded", subjects: specs.map((s) => s.name), stacks: [], request: { fixture: "seeded by the drill test" },
      before: { ...state, specs: [] }, after: state, skipped: [], actor: "drill-test", attempt: 1, createdAt: at, startedAt: at, finishedAt: at,
    },
    [],
    { upsert: specs.map((spec) => ({ spec, status: "ready" as const })), remove: [], status: [] },
  );
  return specs.map((s) => s.name);
}
