/**
 * Helpers of the service integration tests: a service on loopback with its own state dir and a
 * free local port block in 16000-19999, HTTP calls with tokens, SSE reading, and cleanup that
 * destroys whatever stacks exist and kills any process left under the state dir.
 */
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { loadConfig, type ServiceConfig } from "../../../server/config";
import { createAutomationRunner } from "../../../server/engine/automationRunner";
import type { StackRunner } from "../../../server/engine/stackRunner";
import { findPulumiBinDir, projectDir } from "../../../server/engine/toolchain";
import { freePortBlock, killAll, processesMentioning } from "../local/helpers";

export const TOKENS = {
  viewer: "viewer-integration-secret-1",
  operator: "operator-integration-secret-1",
  admin: "admin-integration-secret-1",
};
export const TOKEN_ENV = `vera:viewer:${TOKENS.viewer},otto:operator:${TOKENS.operator},ada:admin:${TOKENS.admin}`;
export const PASSPHRASE = "service-integration-passphrase";

export const EXAMPLE_FLEET = [
  { name: "us-east-1", primary: true, app: { replicas: 2 } },
  { name: "eu-west-1", app: { replicas: 2 } },
  { name: "ap-south-1", app: { replicas: 2 } },
];

export interface TestEnv {
  stateDir: string;
  portBase: number;
  /** A free port for a service run as a child process. */
  servicePort: number;
  env: Record<string, string>;
  config(extra?: Record<string, string>): ServiceConfig;
}

/** A fresh state dir and a free block of ports (3 regions × 20 + the GLB) in 16000-19999. */
export async function testEnv(regions = 3): Promise<TestEnv> {
  const stateDir = fs.mkdtempSync(path.join(os.tmpdir(), "aragora-svc-"));
  fs.chmodSync(stateDir, 0o755);
  const count = regions * 20 + 1;
  const portBase = await freePortBlock(count + 1, 16000, 19999);
  const env: Record<string, string> = {
    PORT: "0",
    HOST: "127.0.0.1",
    ARAGORA_STATE_DIR: stateDir,
    ARAGORA_API_TOKENS: TOKEN_ENV,
    ARAGORA_LOCAL_PORT_RANGE: `${portBase}-${portBase + regions * 20 - 1}`,
    ARAGORA_GLB_PORT: String(portBase + regions * 20),
    PULUMI_CONFIG_PASSPHRASE: PASSPHRASE,
    ARAGORA_LOG_LEVEL: "info",
  };
  return { stateDir, portBase, servicePort: portBase + count, env, config: (extra = {}) => loadConfig({ ...env, ...extra }) };
}

export function directRunner(stateDir: string): StackRunner {
  const bin = findPulumiBinDir();
  return createAutomationRunner({ stateDir, passphrase: PASSPHRASE, projectDir: projectDir(), ...(bin ? { pulumiBinDir: bin } : {}) });
}

/** Destroys every stack left in the state dir's backend (global first), kills leftovers, removes the dir. */
export async function cleanup(stateDir: string): Promise<void> {
  const runner = directRunner(stateDir);
  const stacks = await runner.listStacks().catch(() => [] as string[]);
  const ordered = [...stacks.filter((s) => s === "global"), ...stacks.filter((s) => s !== "global").reverse()];
  for (const stack of ordered) {
    await runner.recover(stack).catch(() => undefined);
    await runner.destroy({ stack, program: () => Promise.resolve(), config: {} }).catch(() => undefined);
  }
  killAll(processesMentioning(stateDir).map((p) => p.pid));
  fs.rmSync(stateDir, { recursive: true, force: true });
}

export interface Api {
  (method: string, urlPath: string, opts?: { token?: keyof typeof TOKENS | null; body?: unknown; headers?: Record<string, string> }): Promise<{ status: number; body: any; headers: Headers }>;
}

export function apiFor(baseUrl: string): Api {
  return async (method, urlPath, opts = {}) => {
    const token = opts.token === undefined ? "admin" : opts.token;
    const headers: Record<string, string> = { ...(opts.headers ?? {}) };
    if (token !== null) headers["authorization"] = `Bearer ${TOKENS[token]}`;
    if (opts.body !== undefined) headers["content-type"] = "application/json";
    const send = () => fetch(baseUrl + urlPath, { method, headers, ...(opts.body !== undefined ? { body: JSON.stringify(opts.body) } : {}) });
    // A GET may be retried once if a kept-alive connection was reset; a change never is.
    const res = await send().catch((err: unknown) => (method === "GET" ? send() : Promise.reject(err instanceof Error ? err : new Error(String(err)))));
    const text = await res.text();
    let body: unknown = text;
    try {
      body = JSON.parse(text);
    } catch {
      /* not JSON */
    }
    return { status: res.status, body, headers: res.headers };
  };
}

export async function waitForOperation(api: Api, id: string, timeoutMs = 600_000): Promise<any> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const r = await api("GET", `/operations/${id}`, { token: "viewer" });
    if (r.status !== 200) throw new Error(`GET /operations/${id}: ${r.status} ${JSON.stringify(r.body)}`);
    if (!["queued", "running"].includes(r.body.status)) return r.body;
    if (Date.now() > deadline) throw new Error(`operation ${id} still ${r.body.status}`);
    await new Promise((res) => setTimeout(res, 250));
  }
}

export interface SseEvent {
  id?: number;
  event: string;
  data: any;
}

/** Follows an SSE stream until its `end` event (or the timeout). */
export async function readSse(url: string, token: string, headers: Record<string, string> = {}, timeoutMs = 600_000): Promise<SseEvent[]> {
  const ctl = new AbortController();
  const timer = setTimeout(() => {
    ctl.abort();
  }, timeoutMs);
  const events: SseEvent[] = [];
  try {
    const res = await fetch(url, { headers: { authorization: `Bearer ${token}`, ...headers }, signal: ctl.signal });
    if (res.status !== 200 || !res.body) throw new Error(`SSE ${url}: ${res.status}`);
    const reader = res.body.getReader();
    const decoder = new TextDecoder();
    let buf = "";
    for (;;) {
      const { value, done } = await reader.read();
      if (done) break;
      buf += decoder.decode(value, { stream: true });
      let i: number;
      while ((i = buf.indexOf("\n\n")) >= 0) {
        const block = buf.slice(0, i);
        buf = buf.slice(i + 2);
        if (block.startsWith(":")) continue;
        const ev: SseEvent = { event: "message", data: undefined };
        for (const line of block.split("\n")) {
          const at = line.indexOf(": ");
          const k = line.slice(0, at);
          const v = line.slice(at + 2);
          if (k === "id") ev.id = Number(v);
          if (k === "event") ev.event = v;
          if (k === "data") ev.data = JSON.parse(v);
        }
        events.push(ev);
      }
    }
  } finally {
    clearTimeout(timer);
  }
  return events;
}

/** Every string value inside a value (to look for leaked secrets). */
export function secretStrings(outputs: Record<string, { value: unknown; secret: boolean }>): string[] {
  const out: string[] = [];
  const walk = (v: unknown): void => {
    if (typeof v === "string" && v.length >= 8) out.push(v);
    else if (Array.isArray(v)) v.forEach(walk);
    else if (v !== null && typeof v === "object") Object.values(v).forEach(walk);
  };
  for (const o of Object.values(outputs)) if (o.secret) walk(o.value);
  return out;
}
