/**
 * Servers of a provider plugin of the project's own (the local target's `aragora-local`), kept
 * between engine runs. A plugin the engine launches itself starts a Node.js process that loads the
 * Pulumi SDK before the first resource can be created, and exits with the run; here the engine
 * attaches to a server that is already listening instead (`PULUMI_DEBUG_PROVIDERS=<name>:<port>`,
 * Pulumi's documented way to attach to a running provider; the SDK's provider server answers
 * `Attach`). docs/performance.md gives what this buys.
 *
 * Each engine run leases one server for its whole run, so no two runs share a provider at once;
 * when the run ends well the server goes back to the pool, otherwise (the run failed, was
 * cancelled, or its CLI was killed) it is killed, since it may still be working for that run, and
 * the next lease starts a fresh one. A server is also retired after `maxRuns` runs, so nothing a
 * long-lived process accumulates can grow without bound.
 */
import { fork, type ChildProcess } from "node:child_process";
import { childEntry } from "./childEntry";
import type { OwnPlugin } from "./stackWorkspaces";

/** A line the leased server printed (stdout or stderr) while the run held it. */
export type ProviderOutputListener = (line: string, stream: "stdout" | "stderr") => void;

/** Longest line passed on; the rest of a longer line is cut (with a note). */
const MAX_LINE = 4096;

export interface ProviderLease {
  /** The port the engine attaches to (`PULUMI_DEBUG_PROVIDERS=<name>:<port>`). */
  port: number;
  pid: number;
  /** The run is over: `reuse` false kills the server instead of pooling it. */
  release(reuse: boolean): void;
}

export interface ProviderPoolOptions {
  /** The plugin the servers run. */
  plugin: Pick<OwnPlugin, "name" | "main">;
  /** Environment of the servers: what the engine's plugins would get (PULUMI_HOME, …). */
  env: NodeJS.ProcessEnv;
  /** Their working directory (relative paths in providers resolve from it, as in a stack's workspace). */
  cwd: string;
  /** Runs a server serves before it is retired. Default 50. */
  maxRuns?: number;
  /** How long a server may take to listen. Default 60 s. */
  startTimeoutMs?: number;
}

/** The entry for PULUMI_DEBUG_PROVIDERS (a comma-separated list of such entries). */
export function attachSetting(name: string, port: number): string {
  return `${name}:${String(port)}`;
}

/**
 * Cuts text arriving in chunks into lines: blank lines are skipped, a trailing \r is dropped, and
 * a line longer than `maxLine` is passed on cut (with a note), so a provider printing without
 * newlines cannot grow a buffer without bound.
 */
export function lineSplitter(onLine: (line: string) => void, maxLine = MAX_LINE): { push(chunk: string): void; end(): void } {
  let line = "";
  let cut = 0; // characters of the current line past maxLine, not kept
  const add = (text: string): void => {
    const room = maxLine - line.length;
    if (text.length <= room) line += text;
    else {
      line += text.slice(0, Math.max(room, 0));
      cut += text.length - Math.max(room, 0);
    }
  };
  const flush = (): void => {
    const text = line.replace(/\r$/, "");
    if (text.trim() !== "" || cut > 0) onLine(cut > 0 ? `${text} … (${String(cut)} more characters cut)` : text);
    line = "";
    cut = 0;
  };
  return {
    push(chunk: string): void {
      const parts = chunk.split("\n");
      for (const [i, part] of parts.entries()) {
        if (i > 0) flush();
        add(part);
      }
    },
    end(): void {
      flush();
    },
  };
}

class ProviderServer {
  readonly proc: ChildProcess;
  readonly port: Promise<number>;
  runs = 0;
  exited = false;
  /** Where its output goes: the run that holds the lease. Between runs, output is dropped. */
  listener: ProviderOutputListener | undefined;

  constructor(options: ProviderPoolOptions) {
    const { file, nodeArgs, env } = childEntry(options.plugin.main);
    this.proc = fork(file, [], {
      cwd: options.cwd,
      env: { ...options.env, ...env },
      execArgv: nodeArgs,
      // stdout: the port line, then whatever providers print; stderr: what they print there, and an
      // uncaught error's trace. Both go to the run holding the lease, as the engine passes a
      // launched provider's output to its run (as diagnostics, kept with the run's events).
      stdio: ["ignore", "pipe", "pipe", "ipc"],
    });
    this.forwardLines(this.proc.stderr, (line) => this.listener?.(line, "stderr"));
    const timeout = options.startTimeoutMs ?? 60_000;
    this.port = new Promise<number>((resolve, reject) => {
      const timer = setTimeout(() => {
        reject(new Error(`the provider did not start listening within ${String(timeout)} ms`));
        this.kill();
      }, timeout);
      timer.unref();
      // Its first line is the port (as the SDK's server prints it); then the providers' output.
      let listening = false;
      this.forwardLines(this.proc.stdout, (line) => {
        if (!listening && /^\d+$/.test(line)) {
          listening = true;
          clearTimeout(timer);
          resolve(Number(line));
        } else this.listener?.(line, "stdout");
      });
      this.proc.on("exit", (code, signal) => {
        this.exited = true;
        clearTimeout(timer);
        reject(new Error(`the provider exited before it listened (${signal ?? `exit ${String(code)}`})`));
      });
      this.proc.on("error", (err) => {
        this.exited = true; // never started (a missing cwd or binary): no lease may take it
        clearTimeout(timer);
        reject(err);
      });
    });
    this.port.catch(() => undefined);
    this.gone = new Promise<void>((resolve) => {
      this.proc.once("exit", () => { resolve(); });
      this.proc.once("error", () => { resolve(); }); // never started
    });
  }

  /** Settles when the process has exited (or never started). */
  readonly gone: Promise<void>;

  /** Passes a stream's lines to `onLine`. */
  private forwardLines(stream: NodeJS.ReadableStream | null, onLine: (line: string) => void): void {
    if (!stream) return;
    stream.setEncoding("utf8");
    const lines = lineSplitter(onLine);
    stream.on("data", (chunk: string) => { lines.push(chunk); });
    stream.on("end", () => { lines.end(); });
  }

  /**
   * Leased (or being started for a lease): the server holds this process up, like any child a run
   * waits on. A process with nothing else to do (a one-shot CLI run) would otherwise exit while it
   * waits for the server's port.
   */
  hold(): void {
    this.setRef(true);
  }

  /** Idle in the pool: it never keeps this process alive (it exits with it, see the server). */
  idle(): void {
    this.setRef(false);
  }

  private setRef(on: boolean): void {
    const pipe = (p: unknown) => p as { ref(): void; unref(): void } | null;
    const handles: ({ ref(): void; unref(): void } | null | undefined)[] = [this.proc, this.proc.channel, pipe(this.proc.stdout), pipe(this.proc.stderr)];
    for (const h of handles) {
      if (h) {
        if (on) h.ref();
        else h.unref();
      }
    }
  }

  kill(): void {
    if (this.exited) return;
    try {
      this.proc.kill("SIGKILL");
    } catch {
      /* already gone */
    }
  }
}

export class ProviderPool {
  private readonly spare: ProviderServer[] = [];
  private readonly all = new Set<ProviderServer>();
  private readonly maxRuns: number;
  private closed = false;

  constructor(private readonly options: ProviderPoolOptions) {
    this.maxRuns = options.maxRuns ?? 50;
  }

  /** The plugin's package name. */
  get name(): string {
    return this.options.plugin.name;
  }

  /** Starts one server ahead of the first run (its start is then off every run's path). */
  warm(): void {
    if (this.closed || this.spare.some((s) => !s.exited)) return;
    const server = this.start();
    server.idle();
    this.spare.push(server);
  }

  /** `onOutput` gets what the server prints while this lease holds it. */
  async lease(onOutput?: ProviderOutputListener): Promise<ProviderLease> {
    if (this.closed) throw new Error("the provider pool is closed");
    let server: ProviderServer | undefined;
    while ((server = this.spare.pop()) !== undefined && server.exited) this.all.delete(server);
    server ??= this.start();
    server.hold();
    server.listener = onOutput;
    let port: number;
    try {
      port = await server.port;
    } catch (err) {
      this.all.delete(server);
      server.kill();
      throw err;
    }
    const leased = server;
    let released = false;
    return {
      port,
      pid: leased.proc.pid ?? -1,
      release: (reuse: boolean) => {
        if (released) return;
        released = true;
        leased.listener = undefined;
        leased.runs++;
        if (reuse && !leased.exited && !this.closed && leased.runs < this.maxRuns) {
          leased.idle();
          this.spare.push(leased);
        } else {
          this.all.delete(leased);
          leased.kill();
        }
      },
    };
  }

  /** Pids of the live servers (tests, the bench). */
  pids(): number[] {
    return [...this.all].filter((s) => !s.exited).map((s) => s.proc.pid ?? -1);
  }

  /** Kills every server; settles when they have exited (at most 10 s), so nothing of the pool outlives it. */
  async close(): Promise<void> {
    this.closed = true;
    const servers = [...this.all];
    for (const s of servers) {
      // An idle server holds nothing of this process up; while close() waits for its exit, it must,
      // or a caller with nothing else to do would end before the close does.
      s.hold();
      s.kill();
    }
    this.all.clear();
    this.spare.length = 0;
    let timer: NodeJS.Timeout | undefined;
    const bound = new Promise<void>((resolve) => {
      timer = setTimeout(resolve, 10_000);
      timer.unref();
    });
    await Promise.race([Promise.all(servers.map((s) => s.gone)), bound]);
    clearTimeout(timer);
  }

  private start(): ProviderServer {
    const server = new ProviderServer(this.options);
    this.all.add(server);
    server.proc.on("exit", () => {
      this.all.delete(server);
    });
    return server;
  }
}
