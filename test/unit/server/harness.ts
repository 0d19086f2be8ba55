/**
 * Test harness: the real app, store (in memory), domain and orchestrator, with a fake StackRunner
 * that records every call (stack, action, start/end) and can be slowed down, failed or blocked.
 */
import * as http from "node:http";
import type { AddressInfo } from "node:net";
import { Writable } from "node:stream";
import { createApp } from "../../../server/app";
import { parseTokens } from "../../../server/auth/tokens";
import {
  StepCancelledError,
  StepFailedError,
  type StackOutputs,
  type StackRunner,
  type StackRunRequest,
  type RunOptions,
  type StepAction,
  type StepResult,
} from "../../../server/engine/stackRunner";
import type { FleetDomain } from "../../../server/domain";
import { createFleetDomain } from "../../../server/fleetDomain";
import { createLogger } from "../../../server/logger";
import { createActionHandlers, type ActionHandlers } from "../../../server/orchestrator/actions";
import { EventBus } from "../../../server/orchestrator/eventBus";
import type { FailoverProbe } from "../../../server/orchestrator/failoverAssessment";
import { FleetService } from "../../../server/orchestrator/fleetService";
import { Orchestrator } from "../../../server/orchestrator/orchestrator";
import type { OfflinePlanner } from "../../../server/plan/offlinePlanner";
import { SqliteStore } from "../../../server/store/sqliteStore";
import { fleetSettings } from "../../../domain/spec/fleetSettings";

export const TOKENS = {
  viewer: "viewer-secret-0123456789",
  operator: "operator-secret-0123456789",
  admin: "admin-secret-0123456789abc",
};
export const TOKEN_ENV = `vera:viewer:${TOKENS.viewer},otto:operator:${TOKENS.operator},ada:admin:${TOKENS.admin}`;

export interface RunnerCall {
  stack: string;
  action: StepAction;
  start: number;
  end?: number;
  config: StackRunRequest["config"];
  /** The RunOptions the call got (their names). */
  options: string[];
}

export class FakeRunner implements StackRunner {
  calls: RunnerCall[] = [];
  recovered: string[] = [];
  /** ms each call takes. */
  delayMs = 30;
  /** ms between the engine's summary event and the call returning (the SDK's read-backs). */
  afterSummaryMs = 0;
  /** `${action}:${stack}` → message: that call fails (once each entry is consumed when `failOnce`). */
  failures = new Map<string, string>();
  failOnce = true;
  /** `${action}:${stack}` → promise the call waits for before finishing. */
  gates = new Map<string, Promise<void>>();
  outputsByStack = new Map<string, StackOutputs>();
  private active = new Set<string>();
  overlapsOnOneStack = 0;
  /** prepare() hints, with the stacks of the calls made before each came. */
  prepared: { parallel: number; called: string[] }[] = [];

  prepare(parallel: number): void {
    this.prepared.push({ parallel, called: this.calls.map((c) => c.stack) });
  }

  private async run(action: StepAction, req: StackRunRequest, opts: RunOptions = {}): Promise<StepResult> {
    if (this.active.has(req.stack)) this.overlapsOnOneStack++;
    this.active.add(req.stack);
    // Like the engine: it reports the stack resource as soon as it has booted, before the program runs.
    opts.onEvent?.({ kind: "resourcePre", message: `create pulumi:pulumi:Stack aragora-${req.stack}`, urn: `urn:pulumi:${req.stack}::aragora::pulumi:pulumi:Stack::aragora-${req.stack}`, op: "create" });
    const call: RunnerCall = { stack: req.stack, action, start: Date.now(), config: req.config, options: Object.keys(opts).sort() };
    this.calls.push(call);
    try {
      opts.onEvent?.({ kind: "resourcePre", message: `creating aragora:local:Thing ${req.stack}-thing`, urn: `urn:pulumi:${req.stack}::aragora::thing`, op: "create" });
      opts.onEvent?.({ kind: "diagnostic", message: "connecting to postgres://app:hunter2-secret@127.0.0.1:5432/aragora", severity: "info" });
      await new Promise<void>((resolve, reject) => {
        const timer = setTimeout(resolve, this.delayMs);
        opts.signal?.addEventListener("abort", () => {
          clearTimeout(timer);
          reject(new StepCancelledError(req.stack, action));
        });
      });
      const gate = this.gates.get(`${action}:${req.stack}`);
      if (gate) {
        await Promise.race([
          gate,
          new Promise<void>((_, reject) => opts.signal?.addEventListener("abort", () => {
            reject(new StepCancelledError(req.stack, action));
          })),
        ]);
      }
      const key = `${action}:${req.stack}`;
      const failure = this.failures.get(key);
      if (failure !== undefined) {
        if (this.failOnce) this.failures.delete(key);
        throw new StepFailedError(req.stack, action, failure);
      }
      // Like the engine: the update's summary, then the SDK reads outputs and history back.
      opts.onEvent?.({ kind: "summary", message: "summary: create=3", severity: "info" });
      if (this.afterSummaryMs > 0) await new Promise((r) => setTimeout(r, this.afterSummaryMs));
      const outputs: StackOutputs = action === "destroy" ? {} : (this.outputsByStack.get(req.stack) ?? {
        region: { value: req.stack, secret: false },
        databaseUrl: { value: `postgres://app:pw-${req.stack}@127.0.0.1/aragora`, secret: true },
        appUrl: { value: "http://127.0.0.1:21010", secret: false },
      });
      return { action, stack: req.stack, summary: action === "destroy" ? { delete: 3 } : { create: 3 }, outputs, changes: [], durationMs: Date.now() - call.start };
    } finally {
      call.end = Date.now();
      this.active.delete(req.stack);
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

export interface Harness {
  url: string;
  store: SqliteStore;
  runner: FakeRunner;
  orchestrator: Orchestrator;
  logs: LogSink;
  close(): Promise<void>;
  req(method: string, path: string, opts?: { token?: string | null; body?: unknown; headers?: Record<string, string> }): Promise<{ status: number; body: any; headers: Headers }>;
  waitFor(operationId: string, timeoutMs?: number): Promise<any>;
}

export async function startHarness(o: { maxParallel?: number; runner?: FakeRunner; store?: SqliteStore; handlers?: Partial<ActionHandlers>; offlinePlanner?: OfflinePlanner; bodyLimit?: string; failoverProbe?: FailoverProbe; domain?: FleetDomain } = {}): Promise<Harness> {
  const store = o.store ?? new SqliteStore(":memory:");
  const runner = o.runner ?? new FakeRunner();
  const logs = new LogSink();
  const logger = createLogger({ level: "info", destination: logs });
  const domain = o.domain ?? createFleetDomain();
  const bus = new EventBus();
  const orchestrator = new Orchestrator({ store, runner, domain, bus, logger, handlers: createActionHandlers(o.handlers), maxParallel: o.maxParallel ?? 4, shutdownGraceMs: 2000 });
  const fleet = new FleetService({
    store, domain, orchestrator,
    settings: fleetSettings.parse({ local: { glbPort: 39080 } }),
    localRoot: "/tmp/aragora-unit-local",
    defaultProvider: "local",
    localPortRange: { start: 36000, end: 36999 },
    failoverProbe: o.failoverProbe,
  });
  await orchestrator.recover();
  const app = createApp({ store, fleet, orchestrator, bus, tokens: parseTokens(TOKEN_ENV), logger, version: "test", offlinePlanner: o.offlinePlanner, bodyLimit: o.bodyLimit, sseHeartbeatMs: 50 });
  const server = http.createServer(app);
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;

  const req: Harness["req"] = async (method, path, opts = {}) => {
    const token = opts.token === undefined ? "admin" : opts.token;
    const headers: Record<string, string> = { ...(opts.headers ?? {}) };
    if (token !== null) headers["authorization"] = `Bearer ${token in TOKENS ? TOKENS[token as keyof typeof TOKENS] : token}`;
    if (opts.body !== undefined) headers["content-type"] = "application/json";
    const res = await fetch(url + path, { method, headers, ...(opts.body !== undefined ? { body: typeof opts.body === "string" ? opts.body : JSON.stringify(opts.body) } : {}) });
    const text = await res.text();
    let body: unknown = text;
    try { body = JSON.parse(text); } catch { /* text */ }
    return { status: res.status, body, headers: res.headers };
  };

  const waitFor: Harness["waitFor"] = async (id, timeoutMs = 5000) => {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const r = await req("GET", `/operations/${id}`);
      if (!["queued", "running"].includes(r.body.status)) return r.body;
      if (Date.now() > deadline) throw new Error(`operation ${id} still ${r.body.status}`);
      await new Promise((res) => setTimeout(res, 10));
    }
  };

  return {
    url, store, runner, orchestrator, logs, req, waitFor,
    async close() {
      await orchestrator.shutdown();
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => { resolve(); }));
      await store.close();
    },
  };
}

export const primary = { name: "us-east-1", primary: true, app: { replicas: 1 } };
export const replica = (name: string) => ({ name, app: { replicas: 1 } });
