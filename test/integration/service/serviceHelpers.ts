/**
 * Helpers of the service integration tests: a service on loopback with its own state dir and a
 * free local port block in 16000-19999, HTTP calls with tokens, SSE reading, and cleanup that
 * destroys whatever stacks exist and kills any process left under the state dir.
 */
import { spawn, type ChildProcess } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { loadConfig, type ServiceConfig } from "../../../server/config";
import { createAutomationRunner } from "../../../server/engine/automationRunner";
import { stackProgram } from "../../../stacks/program";
import { ownPlugins } from "../../../stacks/plugins";
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
  return createAutomationRunner({ stateDir, passphrase: PASSPHRASE, projectDir: projectDir(), program: stackProgram, plugins: ownPlugins(), ...(bin ? { pulumiBinDir: bin } : {}) });
}

/** Destroys every stack left in the state dir's backend (global first), kills leftovers, removes the dir. */
export async function cleanup(stateDir: string): Promise<void> {
  const runner = directRunner(stateDir);
  const stacks = await runner.listStacks().catch(() => [] as string[]);
  const ordered = [...stacks.filter((s) => s === "global"), ...stacks.filter((s) => s !== "global").reverse()];
  for (const stack of ordered) {
    await runner.recover(stack).catch(() => undefined);
    await runner.destroy({ stack, config: {} }).catch(() => undefined);
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

export interface ServiceChild {
  child: ChildProcess;
  /** The last 20 000 characters of its stdout and stderr, interleaved. */
  output(): string;
}

/**
 * The environment of a service child: this process's, without the state dir, backend, Pulumi home
 * and passphrase `scripts/with-env.sh` exports for the repo's own `.aragora` (a child would
 * otherwise use the repo's backend, not its test state dir), plus `env`.
 */
export function childEnv(env: Record<string, string>): Record<string, string> {
  const inherited = Object.entries(process.env).filter(
    (e): e is [string, string] => e[1] !== undefined && !/^(ARAGORA_|PULUMI_BACKEND_URL$|PULUMI_HOME$|PULUMI_CONFIG_PASSPHRASE)/.test(e[0]),
  );
  return { ...Object.fromEntries(inherited), PULUMI_NODEJS_TRANSPILE_ONLY: "true", ...env };
}

/**
 * Starts the service as a user does (`server/main.ts` in a child process, its own process group)
 * with `env` on top of this process's environment. `waitHealthy` then waits for `GET /health`.
 */
export function spawnService(env: Record<string, string>, opts: { uid?: number } = {}): ServiceChild {
  let out = "";
  const child = spawn(process.execPath, ["-r", "ts-node/register/transpile-only", "server/main.ts"], {
    cwd: projectDir(),
    env: childEnv(env),
    detached: true,
    stdio: ["ignore", "pipe", "pipe"],
    ...(opts.uid !== undefined ? { uid: opts.uid, gid: opts.uid } : {}),
  });
  child.stdout.on("data", (d: Buffer) => (out = (out + d.toString()).slice(-20000)));
  child.stderr.on("data", (d: Buffer) => (out = (out + d.toString()).slice(-20000)));
  return { child, output: () => out };
}

export async function waitHealthy(s: ServiceChild, port: number, timeoutMs = 120_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (s.child.exitCode !== null) throw new Error(`service exited ${s.child.exitCode}: ${s.output().slice(-3000)}`);
    const ok = await fetch(`http://127.0.0.1:${port}/health`).then((r) => r.ok, () => false);
    if (ok) return;
    if (Date.now() > deadline) throw new Error(`service did not start: ${s.output().slice(-3000)}`);
    await new Promise((r) => setTimeout(r, 200));
  }
}

/** Resolves with the exit code (or the signal name) once the child has exited. */
export function exitOf(child: ChildProcess): Promise<number | string | null> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve(child.exitCode ?? child.signalCode);
  return new Promise((resolve) => child.once("exit", (code, signal) => { resolve(code ?? signal); }));
}

/** Live descendants of `pid` (children, grandchildren, …) with their argv, from /proc. */
export function descendants(pid: number): { pid: number; ppid: number; argv: string[] }[] {
  const all: { pid: number; ppid: number; argv: string[] }[] = [];
  for (const d of fs.readdirSync("/proc")) {
    if (!/^[0-9]+$/.test(d)) continue;
    try {
      const stat = fs.readFileSync(`/proc/${d}/stat`, "utf8");
      const rest = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
      if (rest[0] === "Z" || rest[0] === "X") continue;
      const argv = fs.readFileSync(`/proc/${d}/cmdline`, "utf8").split("\0").filter((a) => a !== "");
      all.push({ pid: Number(d), ppid: Number(rest[1]), argv });
    } catch {
      /* gone */
    }
  }
  const out: { pid: number; ppid: number; argv: string[] }[] = [];
  const parents = new Set([pid]);
  for (let grew = true; grew; ) {
    grew = false;
    for (const p of all) {
      if (parents.has(p.ppid) && !parents.has(p.pid)) {
        parents.add(p.pid);
        out.push(p);
        grew = true;
      }
    }
  }
  return out;
}

/** The kinds (and ids) of an operation's stored events, read over SSE for at most `ms`. */
export async function storedEvents(baseUrl: string, operationId: string, ms = 1500): Promise<{ id?: number; event: string; data?: any }[]> {
  const ctl = new AbortController();
  const timer = setTimeout(() => { ctl.abort(); }, ms);
  let buf = "";
  try {
    const res = await fetch(`${baseUrl}/operations/${operationId}/events`, { headers: { authorization: `Bearer ${TOKENS.viewer}` }, signal: ctl.signal });
    const reader = res.body!.getReader();
    const decoder = new TextDecoder();
    for (;;) {
      const { value, done } = await reader.read();
      if (done) break;
      buf += decoder.decode(value, { stream: true });
    }
  } catch {
    /* aborted: a live operation's stream does not end by itself */
  } finally {
    clearTimeout(timer);
  }
  const events: { id?: number; event: string; data?: any }[] = [];
  for (const block of buf.split("\n\n")) {
    const id = /^id: (\d+)$/m.exec(block)?.[1];
    const event = /^event: (.+)$/m.exec(block)?.[1];
    const data = /^data: (.+)$/m.exec(block)?.[1];
    if (event) events.push({ ...(id ? { id: Number(id) } : {}), event, ...(data ? { data: JSON.parse(data) as unknown } : {}) });
  }
  return events;
}
