/**
 * Helpers of the reliability tests: the real service (startService) on loopback port 0 with the real
 * SQLite store in a temp state dir, a fake StackRunner that records calls and can leak known secret
 * strings in its events and outputs, captured log lines, HTTP calls that keep every body they read,
 * and a dump of the SQLite tables.
 */
import Database from "better-sqlite3";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { Writable } from "node:stream";
import { loadConfig } from "../../../server/config";
import {
  StepCancelledError,
  StepFailedError,
  type RunOptions,
  type StackOutputs,
  type StackRunner,
  type StackRunRequest,
  type StepAction,
  type StepResult,
} from "../../../server/engine/stackRunner";
import { createLogger } from "../../../server/logger";
import type { OfflinePlanner } from "../../../server/plan/offlinePlanner";
import { startService, type RunningService } from "../../../server/service";

export const TOKENS = {
  viewer: "viewer-reliability-tok-7Qm2xK9p",
  operator: "operator-reliability-tok-Zr4vN8wL",
  admin: "admin-reliability-tok-Hc6yT1bD",
};
export type Who = keyof typeof TOKENS;
export const TOKEN_ENV = `vera:viewer:${TOKENS.viewer},otto:operator:${TOKENS.operator},ada:admin:${TOKENS.admin}`;
export const PASSPHRASE = "reliability-passphrase-Xq81Lm0s";

/** The "generated password" of a stack (what a real program's RandomPassword would produce). */
export const passwordOf = (stack: string): string => `GenPw-${stack}-k3J9sQ0vR2`;

export interface Call {
  stack: string;
  action: StepAction;
  start: number;
  end?: number;
}

/**
 * A StackRunner without an engine. Each step emits events that print the stack's generated password
 * (in a URL, as `password=`, bare, and as Pulumi's serialized secret), and returns it as a secret output.
 */
export class LeakyRunner implements StackRunner {
  calls: Call[] = [];
  delayMs = 20;
  recovered: string[] = [];
  overlaps = 0;
  /** Stacks that have a "lock" (a step running); must be empty when all work is done. */
  readonly locks = new Set<string>();
  /** `${action}:${stack}` → promise the step waits for. */
  gates = new Map<string, Promise<void>>();
  /** Stacks whose secret outputs a step has already returned. */
  readonly returnedSecrets = new Set<string>();
  /** `${action}:${stack}` → the step fails (once) with this engine message. */
  failures = new Map<string, string>();

  private async run(action: StepAction, req: StackRunRequest, opts: RunOptions = {}): Promise<StepResult> {
    if (this.locks.has(req.stack)) this.overlaps++;
    this.locks.add(req.stack);
    const call: Call = { stack: req.stack, action, start: Date.now() };
    this.calls.push(call);
    const pw = passwordOf(req.stack);
    try {
      const emit = (message: string): void => opts.onEvent?.({ kind: "diagnostic", message, severity: "info" });
      opts.onEvent?.({ kind: "resourcePre", message: `creating ${req.stack}-db`, urn: `urn:pulumi:${req.stack}::aragora::db`, op: "create" });
      emit(`connecting to postgres://aragora:${pw}@127.0.0.1:5432/aragora`);
      emit(`initdb: password=${pw} PGPASSWORD=${pw}`);
      emit(`{"4dabf18193072939515e22adb298388d":"1b47061264138c4ac30d75fd1eb44270","value":"${pw}"}`);
      for (const [k, v] of Object.entries(req.config)) if (v.secret) emit(`config ${k} = ${v.value}`);
      await new Promise<void>((resolve, reject) => {
        const timer = setTimeout(resolve, this.delayMs);
        opts.signal?.addEventListener("abort", () => {
          clearTimeout(timer);
          reject(new StepCancelledError(req.stack, action));
        });
      });
      const gate = this.gates.get(`${action}:${req.stack}`);
      if (gate) await gate;
      const failure = this.failures.get(`${action}:${req.stack}`);
      if (failure !== undefined) {
        this.failures.delete(`${action}:${req.stack}`);
        throw new StepFailedError(req.stack, action, failure);
      }
      // Printed bare only once a step of this stack has returned it as a secret output: before that, the
      // service cannot know the value (see docs/reliability.md, "what the scrubber cannot catch").
      if (this.returnedSecrets.has(req.stack)) emit(`replication user ready, secret ${pw}`);
      const outputs: StackOutputs =
        action === "destroy"
          ? {}
          : {
              region: { value: req.stack, secret: false },
              postgresPassword: { value: pw, secret: true },
              databaseUrl: { value: `postgres://aragora:${pw}@127.0.0.1:5432/aragora`, secret: true },
              redisUrl: { value: `redis://:${pw}@127.0.0.1:6379`, secret: true },
              appUrl: { value: "http://127.0.0.1:21010", secret: false },
            };
      if (action !== "destroy") this.returnedSecrets.add(req.stack);
      return { action, stack: req.stack, summary: action === "destroy" ? { delete: 3 } : { create: 3 }, outputs, changes: [], durationMs: Date.now() - call.start };
    } finally {
      call.end = Date.now();
      this.locks.delete(req.stack);
    }
  }

  up(req: StackRunRequest, opts?: RunOptions): Promise<StepResult> { return this.run("up", req, opts); }
  preview(req: StackRunRequest, opts?: RunOptions): Promise<StepResult> { return this.run("preview", req, opts); }
  refresh(req: StackRunRequest, opts?: RunOptions): Promise<StepResult> { return this.run("refresh", req, opts); }
  destroy(req: StackRunRequest, opts?: RunOptions): Promise<StepResult> { return this.run("destroy", req, opts); }
  outputs(): Promise<StackOutputs | undefined> { return Promise.resolve(undefined); }
  recover(stack: string): Promise<void> { this.recovered.push(stack); return Promise.resolve(); }
  listStacks(): Promise<string[]> { return Promise.resolve([]); }
}

export class LogSink extends Writable {
  lines: string[] = [];
  override _write(chunk: Buffer, _enc: BufferEncoding, cb: () => void): void {
    this.lines.push(...chunk.toString().split("\n").filter((l) => l !== ""));
    cb();
  }
}

const noPlanner: OfflinePlanner = { resources: () => Promise.resolve([]) };

export interface Reply {
  status: number;
  text: string;
  body: any;
  headers: Headers;
}

export interface Rig {
  svc: RunningService;
  runner: LeakyRunner;
  logs: LogSink;
  stateDir: string;
  dbFile: string;
  /** Every response body read so far (to scan for secrets). */
  seen: string[];
  req(method: string, urlPath: string, opts?: { as?: Who | null; token?: string; body?: unknown; raw?: string | Uint8Array; headers?: Record<string, string> }): Promise<Reply>;
  waitFor(id: string, timeoutMs?: number): Promise<any>;
  /** Reads an operation's SSE stream to its `end` event; returns the raw text. */
  sse(id: string, timeoutMs?: number): Promise<string>;
  /** Every table but the audit log, rows in a stable order. */
  dump(opts?: { withAudit?: boolean }): Record<string, unknown[]>;
  close(): Promise<void>;
}

export async function startRig(env: Record<string, string> = {}): Promise<Rig> {
  const stateDir = fs.mkdtempSync(path.join(os.tmpdir(), "aragora-rel-"));
  const runner = new LeakyRunner();
  const logs = new LogSink();
  const config = loadConfig({
    PORT: "0",
    HOST: "127.0.0.1",
    ARAGORA_STATE_DIR: stateDir,
    ARAGORA_API_TOKENS: TOKEN_ENV,
    PULUMI_CONFIG_PASSPHRASE: PASSPHRASE,
    ARAGORA_LOG_LEVEL: "debug",
    ...env,
  });
  const svc = await startService(config, { runner, logger: createLogger({ level: "debug", destination: logs }), offlinePlanner: noPlanner });
  const dbFile = path.join(stateDir, "aragora.db");
  const seen: string[] = [];

  const req: Rig["req"] = async (method, urlPath, opts = {}) => {
    const headers: Record<string, string> = { ...(opts.headers ?? {}) };
    const as = opts.as === undefined ? "admin" : opts.as;
    if (opts.token !== undefined) headers["authorization"] = `Bearer ${opts.token}`;
    else if (as !== null) headers["authorization"] = `Bearer ${TOKENS[as]}`;
    let body: string | Uint8Array | undefined;
    if (opts.raw !== undefined) body = opts.raw;
    else if (opts.body !== undefined) {
      body = JSON.stringify(opts.body);
      headers["content-type"] ??= "application/json";
    }
    const res = await fetch(svc.url + urlPath, { method, headers, ...(body !== undefined ? { body } : {}) });
    const text = await res.text();
    seen.push(text);
    let parsed: unknown = text;
    try { parsed = JSON.parse(text); } catch { /* not JSON */ }
    return { status: res.status, text, body: parsed, headers: res.headers };
  };

  const waitFor: Rig["waitFor"] = async (id, timeoutMs = 10_000) => {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const r = await req("GET", `/operations/${id}`, { as: "viewer" });
      if (!["queued", "running"].includes(r.body.status)) return r.body;
      if (Date.now() > deadline) throw new Error(`operation ${id} still ${r.body.status}`);
      await new Promise((res) => setTimeout(res, 10));
    }
  };

  const sse: Rig["sse"] = async (id, timeoutMs = 10_000) => {
    const ctl = new AbortController();
    const timer = setTimeout(() => { ctl.abort(); }, timeoutMs);
    try {
      const res = await fetch(`${svc.url}/operations/${id}/events`, { headers: { authorization: `Bearer ${TOKENS.viewer}` }, signal: ctl.signal });
      const text = await res.text();
      seen.push(text);
      return text;
    } finally {
      clearTimeout(timer);
    }
  };

  const dump: Rig["dump"] = (opts = {}) => {
    const db = new Database(dbFile, { readonly: true, fileMustExist: true });
    try {
      const tables = (db.prepare("SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name").all() as { name: string }[]).map((t) => t.name);
      const out: Record<string, unknown[]> = {};
      for (const t of tables) {
        if (t === "audit" && !opts.withAudit) continue;
        const rows = db.prepare(`SELECT * FROM "${t}" ORDER BY rowid`).all() as Record<string, unknown>[];
        // The audit log's autoincrement counter moves with it.
        out[t] = t === "sqlite_sequence" && !opts.withAudit ? rows.filter((r) => r["name"] !== "audit") : rows;
      }
      return out;
    } finally {
      db.close();
    }
  };

  return {
    svc, runner, logs, stateDir, dbFile, seen, req, waitFor, sse, dump,
    async close() {
      await svc.stop();
      fs.rmSync(stateDir, { recursive: true, force: true });
    },
  };
}

export const primary = { name: "us-east-1", primary: true, app: { replicas: 1 } };
export const replica = (name: string): Record<string, unknown> => ({ name, app: { replicas: 1 } });

/** Counts occurrences of each needle in a haystack (for the secret scan). */
export function hits(haystack: string, needles: readonly string[]): Record<string, number> {
  const out: Record<string, number> = {};
  for (const n of needles) out[n] = haystack.split(n).length - 1;
  return out;
}
