/**
 * Dynamic-provider servers kept between engine runs (server/engine/dynamicProviderServer.ts).
 *
 * Each engine run leases one server for its whole run, so no two runs share a provider at once;
 * when the run ends well the server goes back to the pool, otherwise (the run failed, was
 * cancelled, or its CLI was killed) it is killed, since it may still be working for that run, and
 * the next lease starts a fresh one. A server is also retired after `maxRuns` runs, so what the
 * SDK caches per process (each distinct serialized provider, deserialized once) cannot grow
 * without bound.
 */
import { fork, type ChildProcess } from "node:child_process";
import { childEntry } from "./childEntry";

export interface ProviderLease {
  /** The port the engine attaches to (`PULUMI_DEBUG_PROVIDERS=pulumi-nodejs:<port>`). */
  port: number;
  pid: number;
  /** The run is over: `reuse` false kills the server instead of pooling it. */
  release(reuse: boolean): void;
}

export interface ProviderPoolOptions {
  /** Environment of the servers: what the engine's plugins would get (NODE_PATH, PULUMI_HOME, …). */
  env: NodeJS.ProcessEnv;
  /** Their working directory (relative paths in providers resolve from it, as in a stack's workspace). */
  cwd: string;
  /** Runs a server serves before it is retired. Default 50. */
  maxRuns?: number;
  /** How long a server may take to listen. Default 60 s. */
  startTimeoutMs?: number;
}

/** The `pulumi-nodejs` entry for PULUMI_DEBUG_PROVIDERS. */
export function attachSetting(port: number): string {
  return `pulumi-nodejs:${String(port)}`;
}

class ProviderServer {
  readonly proc: ChildProcess;
  readonly port: Promise<number>;
  runs = 0;
  exited = false;

  constructor(options: ProviderPoolOptions) {
    const { file, nodeArgs, env } = childEntry("dynamicProviderServer");
    this.proc = fork(file, [], {
      cwd: options.cwd,
      env: { ...options.env, ...env },
      execArgv: nodeArgs,
      // stdout: the port line, then whatever providers print (drained); stderr is not shown either:
      // a launched provider's output went to the engine, which kept it out of the service's log.
      stdio: ["ignore", "pipe", "ignore", "ipc"],
    });
    const timeout = options.startTimeoutMs ?? 60_000;
    this.port = new Promise<number>((resolve, reject) => {
      let text = "";
      const timer = setTimeout(() => {
        reject(new Error(`the dynamic provider did not start listening within ${String(timeout)} ms`));
        this.kill();
      }, timeout);
      timer.unref();
      const stdout = this.proc.stdout;
      stdout?.setEncoding("utf8");
      const onData = (chunk: string): void => {
        text += chunk;
        const line = /^(\d+)\r?\n/.exec(text);
        if (!line) return;
        clearTimeout(timer);
        stdout?.off("data", onData);
        stdout?.resume(); // keep draining
        resolve(Number(line[1]));
      };
      stdout?.on("data", onData);
      this.proc.on("exit", (code, signal) => {
        this.exited = true;
        clearTimeout(timer);
        reject(new Error(`the dynamic provider exited before it listened (${signal ?? `exit ${String(code)}`})`));
      });
      this.proc.on("error", (err) => {
        clearTimeout(timer);
        reject(err);
      });
    });
    this.port.catch(() => undefined);
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
    const handles: ({ ref(): void; unref(): void } | null | undefined)[] = [this.proc, this.proc.channel, this.proc.stdout as unknown as { ref(): void; unref(): void } | null];
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

  /** Starts one server ahead of the first run (its start is then off every run's path). */
  warm(): void {
    if (this.closed || this.spare.some((s) => !s.exited)) return;
    const server = this.start();
    server.idle();
    this.spare.push(server);
  }

  async lease(): Promise<ProviderLease> {
    if (this.closed) throw new Error("the provider pool is closed");
    let server: ProviderServer | undefined;
    while ((server = this.spare.pop()) !== undefined && server.exited) this.all.delete(server);
    server ??= this.start();
    server.hold();
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

  close(): void {
    this.closed = true;
    for (const s of this.all) s.kill();
    this.all.clear();
    this.spare.length = 0;
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
