/**
 * Helpers of the crash matrix (crashMatrix.test.ts): the service as a child process on a state dir
 * of its own, watching an operation's events live until a phase is reached, killing the service or
 * the engine at that moment, and reading what is real (processes, listening ports, data dirs,
 * replication slots) to compare with what the stacks' state records.
 */
import { execFileSync } from "node:child_process";
import * as fs from "node:fs";
import * as path from "node:path";
import { findPulumiBinDir } from "../../server/engine/toolchain";
import { apiFor, TOKENS, until, type Api } from "../support/http";
import { descendants, listProcesses, type ProcessInfo } from "../support/processTree";
import { PASSPHRASE } from "../support/serviceDriver";
import { exitOf, spawnService, waitHealthy, type ServiceChild } from "../support/serviceProcess";
import { followSse, type SseEvent } from "../support/sse";

/** A service child on a fixed state dir and port, restartable. */
export class CrashService {
  child: ServiceChild | undefined;
  readonly api: Api;
  readonly base: string;
  constructor(readonly env: Record<string, string>, readonly port: number) {
    this.base = `http://127.0.0.1:${String(port)}`;
    this.api = apiFor(this.base);
  }

  /** Whether the service process is alive (a SIGKILLed child has a signalCode, not an exitCode). */
  get running(): boolean {
    const c = this.child?.child;
    return c !== undefined && c.exitCode === null && c.signalCode === null;
  }

  get pid(): number {
    const pid = this.child?.child.pid;
    if (pid === undefined) throw new Error("the service is not running");
    return pid;
  }

  async start(): Promise<number> {
    const t0 = Date.now();
    this.child = spawnService({ ...this.env, PORT: String(this.port) });
    await waitHealthy(this.child, this.port);
    return Date.now() - t0;
  }

  /** SIGKILL of the service process alone (its engine hosts notice and go, as after a real crash). */
  async kill(): Promise<void> {
    const c = this.child;
    if (!c || !this.running) return;
    c.child.kill("SIGKILL");
    await exitOf(c.child);
  }

  /** Stops the service and everything it started (its process group). */
  async stop(): Promise<void> {
    const c = this.child;
    if (!c || !this.running || c.child.pid === undefined) return;
    try {
      process.kill(-c.child.pid, "SIGTERM");
    } catch {
      /* gone */
    }
    const exited = await Promise.race([exitOf(c.child).then(() => true), new Promise<boolean>((r) => setTimeout(() => { r(false); }, 30_000))]);
    if (!exited) {
      try { process.kill(-c.child.pid, "SIGKILL"); } catch { /* gone */ }
      await exitOf(c.child);
    }
  }

  output(): string {
    return this.child?.output() ?? "";
  }
}

/**
 * Follows an operation's events live (SSE) until `check` says the phase is reached; `reached` is
 * false when the operation finished first.
 */
export function watchUntil(base: string, opId: string, check: (events: SseEvent[]) => boolean, timeoutMs = 300_000): Promise<{ reached: boolean; events: SseEvent[] }> {
  return followSse(`${base}/operations/${opId}/events`, { token: TOKENS.viewer, timeoutMs }, check);
}

/** Events of one step (by the step id the events carry). */
export function stepEvents(events: readonly SseEvent[], stepId: string): SseEvent[] {
  return events.filter((e) => (e.data as { stepId?: string } | undefined)?.stepId === stepId);
}

/** Resources a step has finished (resOutputs of real resources, not the stack or a provider). */
export function resourcesDone(events: readonly SseEvent[], stepId: string): number {
  return stepEvents(events, stepId).filter((e) => e.event === "resOutputs" && !/pulumi:pulumi:Stack|pulumi:providers:/.test((e.data as { urn?: string }).urn ?? "")).length;
}

const isCli = (p: ProcessInfo): boolean => (p.argv[0] ?? "").split("/").pop() === "pulumi";
const isHost = (p: ProcessInfo): boolean => p.argv.some((a) => /engineHost\.(ts|js)$/.test(a));

/**
 * Kills "the engine" of the service: the `pulumi` CLI processes running its steps (the engine
 * proper), or when none runs (between runs), its engine host processes. Returns what was killed.
 */
export function killEngine(servicePid: number): string[] {
  const tree = descendants(servicePid);
  const clis = tree.filter(isCli);
  const victims = clis.length > 0 ? clis : tree.filter(isHost);
  for (const p of victims) {
    try { process.kill(p.pid, "SIGKILL"); } catch { /* gone */ }
  }
  return victims.map((p) => p.argv.slice(0, 2).map((a) => a.split("/").pop()).join(" "));
}

/** A stack's state as `pulumi stack export` gives it (secrets shown), read with the service's passphrase. */
export function exportStack(stateDir: string, stack: string): { resources: { urn: string; type: string; outputs?: Record<string, unknown> }[]; pending_operations?: unknown[] } {
  const bin = findPulumiBinDir();
  const pulumi = bin ? path.join(bin, "pulumi") : "pulumi";
  const out = execFileSync(pulumi, ["stack", "export", "--stack", stack, "--show-secrets", "--non-interactive"], {
    cwd: path.join(stateDir, "workspaces", stack),
    env: { ...process.env, PULUMI_BACKEND_URL: `file://${path.join(stateDir, "backend")}`, PULUMI_CONFIG_PASSPHRASE: PASSPHRASE, PULUMI_HOME: path.join(stateDir, "pulumi-home"), PULUMI_SKIP_UPDATE_CHECK: "true" },
    encoding: "utf8",
    maxBuffer: 64 * 1024 * 1024,
  });
  return (JSON.parse(out) as { deployment: ReturnType<typeof exportStack> }).deployment;
}

/** What the recorded state says runs: daemon pids, their ports, data/working dirs, replication slots. */
export interface Recorded {
  pids: number[];
  ports: number[];
  dirs: string[];
  slots: { primaryPort: number; slot: string }[];
}

export function recordedIn(stateDir: string, stacks: readonly string[]): Recorded {
  const r: Recorded = { pids: [], ports: [], dirs: [], slots: [] };
  for (const stack of stacks) {
    const dep = exportStack(stateDir, stack);
    if ((dep.pending_operations ?? []).length > 0) throw new Error(`stack ${stack} still holds pending operations: ${JSON.stringify(dep.pending_operations)}`);
    for (const res of dep.resources) {
      const o = res.outputs ?? {};
      if (!res.type.startsWith("aragora-local:")) continue;
      if (typeof o["pid"] === "number" && o["pid"] > 0) r.pids.push(o["pid"]);
      if (o["running"] === true && typeof o["port"] === "number") r.ports.push(o["port"]);
      for (const k of ["dataDir", "dir"]) if (typeof o[k] === "string") r.dirs.push(o[k]);
      if (res.type.endsWith(":ReplicationSlot") && o["present"] === true) r.slots.push({ primaryPort: Number(o["primaryPort"]), slot: String(o["slot"]) });
    }
  }
  r.pids.sort((a, b) => a - b);
  r.ports.sort((a, b) => a - b);
  r.dirs.sort();
  return r;
}

/**
 * Each local process resource of the stacks by URN: its recorded pid, `running` and port, and what
 * runs under that pid now (argv, or "gone").
 */
export function processRecords(stateDir: string, stacks: readonly string[]): Map<string, { pid: unknown; running: unknown; port: unknown; now: string }> {
  const out = new Map<string, { pid: unknown; running: unknown; port: unknown; now: string }>();
  for (const stack of stacks) {
    for (const res of exportStack(stateDir, stack).resources) {
      const o = res.outputs ?? {};
      if (!res.type.startsWith("aragora-local:") || !("pid" in o)) continue;
      let now = "gone";
      try {
        now = fs.readFileSync(`/proc/${String(o["pid"])}/cmdline`, "utf8").split("\0").join(" ").trim();
      } catch { /* gone */ }
      out.set(res.urn, { pid: o["pid"], running: o["running"], port: o["port"], now });
    }
  }
  return out;
}

/**
 * Daemons of the local target under `root`: live processes whose command line names it or whose
 * working directory is in it (Redis rewrites its command line), without their own children
 * (postgres backends, …).
 */
export function daemonsUnder(root: string): (ProcessInfo & { cwd: string })[] {
  const cwdOf = (pid: number): string => {
    try { return fs.readlinkSync(`/proc/${String(pid)}/cwd`); } catch { return ""; }
  };
  const all = listProcesses()
    .filter((p) => p.state !== "Z" && p.state !== "X")
    .map((p) => ({ ...p, cwd: cwdOf(p.pid) }))
    .filter((p) => p.argv.some((a) => a.includes(root)) || p.cwd === root || p.cwd.startsWith(`${root}/`));
  const pids = new Set(all.map((p) => p.pid));
  return all.filter((p) => !pids.has(p.ppid));
}

/** TCP ports listening on this machine within [lo, hi] (IPv4 and IPv6). */
export function listeningPorts(lo: number, hi: number): number[] {
  const ports = new Set<number>();
  for (const file of ["/proc/net/tcp", "/proc/net/tcp6"]) {
    let text = "";
    try { text = fs.readFileSync(file, "utf8"); } catch { continue; }
    for (const line of text.split("\n").slice(1)) {
      const cols = line.trim().split(/\s+/);
      if (cols[3] !== "0A") continue; // LISTEN
      const port = parseInt((cols[1] ?? "").split(":").pop() ?? "", 16);
      if (port >= lo && port <= hi) ports.add(port);
    }
  }
  return [...ports].sort((a, b) => a - b);
}

/** Polls an operation until it has ended, as an operator would (the service may be restarting). */
export async function settled(api: Api, id: string, timeoutMs = 600_000): Promise<any> {
  return until(async () => {
    const r = await api("GET", `/operations/${id}`, { token: "viewer" }).catch(() => undefined);
    if (!r || r.status !== 200) return undefined;
    return ["queued", "running"].includes(r.body.status) ? undefined : r.body;
  }, timeoutMs, `operation ${id} to end`, 200);
}
