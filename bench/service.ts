/**
 * A service under bench: `node dist/server/main.js` (test/support/serviceProcess) with its own state
 * dir and ports, the peak RSS of it and of its engine processes sampled from /proc
 * (test/support/processTree), and the API calls the sections make (test/support/http).
 */
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { round } from "./stats";
import { apiFor, type Api } from "../test/support/http";
import { freePort } from "../test/support/ports";
import { descendants, killAll, processesMentioning, statusKb } from "../test/support/processTree";
import { spawnService, stopService, waitHealthy, type ServiceChild } from "../test/support/serviceProcess";
import { EVENT_LOOP_RESOLUTION_MS } from "../server/service";

export const TOKEN = "bench-admin-" + Math.random().toString(36).slice(2);

export interface StepView { id: string; stack: string; action: string; status: string; dependsOn?: string[]; startedAt?: string; finishedAt?: string; durationMs?: number }
export interface OperationView { id: string; kind: string; status: string; createdAt: string; startedAt?: string; finishedAt?: string; steps: StepView[]; error?: { message: string } }

export const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

export class BenchService {
  private proc?: ServiceChild;
  readonly url: string;
  readonly api: Api;
  private rssPeak = 0;
  private enginePeak = 0;
  private sampler?: NodeJS.Timeout;

  /** `sampleRss` false: no /proc scan every 250 ms (a few ms of CPU each, at the API's priority). */
  constructor(readonly stateDir: string, readonly port: number, readonly env: Record<string, string>, private readonly sampleRss = true) {
    this.url = `http://127.0.0.1:${String(port)}`;
    this.api = apiFor(this.url);
  }

  /** A service on a fresh state dir (see benchStateDir) and a free port, with `env` on top of the bench's. */
  static async create(prefix: string, env: Record<string, string>, sampleRss = true): Promise<BenchService> {
    return new BenchService(benchStateDir(prefix), await freePort(), env, sampleRss);
  }

  async start(): Promise<void> {
    this.proc = spawnService(
      { PORT: String(this.port), HOST: "127.0.0.1", ARAGORA_STATE_DIR: this.stateDir, ARAGORA_API_TOKENS: `bench:admin:${TOKEN}`, ARAGORA_LOG_LEVEL: "warn", ...this.env },
      // In the bench's process group (a ^C stops it too); a user's ARAGORA_ settings pass on.
      { detached: false, keepSettings: true },
    );
    await waitHealthy(this.proc, this.port, 60_000);
    if (this.sampleRss) this.sampler = setInterval(() => { this.sample(); }, 250);
  }

  /** Peak RSS of the service (VmHWM) and of its descendants (engine hosts, CLIs, provider servers, local daemons). */
  private sample(): void {
    const pid = this.proc?.child.pid;
    if (pid === undefined) return;
    this.rssPeak = Math.max(this.rssPeak, statusKb(pid, "VmHWM"));
    const total = descendants(pid).reduce((sum, p) => sum + statusKb(p.pid, "VmRSS"), 0);
    this.enginePeak = Math.max(this.enginePeak, total);
  }

  resetPeaks(): void {
    this.enginePeak = 0;
  }

  peaks(): { serviceMb: number; engineMb: number } {
    this.sample();
    return { serviceMb: round(this.rssPeak / 1024), engineMb: round(this.enginePeak / 1024) };
  }

  /** The service's own event-loop delay (ms) since the previous call: `/metrics` resets it per scrape. */
  async loopDelay(): Promise<{ p99Ms: number; maxMs: number }> {
    const text = (await this.api("GET", "/metrics", { token: TOKEN })).text;
    // prom-client reports the intervals of a timer due every EVENT_LOOP_RESOLUTION_MS: how late it fired is the interval less that.
    const read = (name: string) => round(Math.max(0, Number(new RegExp(`^${name} (\\S+)$`, "m").exec(text)?.[1] ?? NaN) * 1000 - EVENT_LOOP_RESOLUTION_MS), 1);
    return { p99Ms: read("nodejs_eventloop_lag_p99_seconds"), maxMs: read("nodejs_eventloop_lag_max_seconds") };
  }

  async submit(method: string, p: string, body?: unknown): Promise<string> {
    const r = await this.api(method, p, { token: TOKEN, ...(body !== undefined ? { body } : {}) });
    if (r.status !== 202 || !r.body.operation) throw new Error(`${method} ${p} → ${String(r.status)} ${r.text}`);
    return String(r.body.operation.id);
  }

  /** Waits for an operation to end; throws unless it succeeded. */
  async wait(id: string, timeoutMs = 900_000): Promise<OperationView> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const r = await this.api("GET", `/operations/${id}`, { token: TOKEN });
      const op = r.body as OperationView;
      if (["succeeded", "failed", "cancelled", "interrupted"].includes(op.status)) {
        if (op.status !== "succeeded") throw new Error(`operation ${id} ${op.status}: ${JSON.stringify(op.error ?? op.steps.filter((s) => s.status === "failed"))}`);
        return op;
      }
      if (Date.now() > deadline) throw new Error(`operation ${id} still ${op.status}`);
      await sleep(250);
    }
  }

  async stop(): Promise<void> {
    if (this.sampler) clearInterval(this.sampler);
    if (this.proc) await stopService(this.proc);
  }

  /**
   * Stops the service, stops every process it left under its state dir (the local regions'
   * daemons, the global load balancer) and removes the dir: nothing of a bench run outlives it.
   */
  async teardown(): Promise<void> {
    try {
      await this.stop();
    } catch (err) {
      console.error("teardown:", err instanceof Error ? err.message : err);
    } finally {
      killAll(processesMentioning(this.stateDir).map((p) => p.pid));
      fs.rmSync(this.stateDir, { recursive: true, force: true });
    }
  }
}

/** A fresh state dir the local daemons (the daemon user when the bench runs as root) can traverse, so the data stays in it. */
export function benchStateDir(prefix: string): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), prefix));
  fs.chmodSync(dir, 0o755);
  return dir;
}
