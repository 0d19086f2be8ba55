/**
 * The service in-process, as server/service.ts builds it (startService), on loopback port 0 with a
 * temp state dir: by default with the fake engine (FakeRunner), a no-op offline planner, the log
 * captured, tokens from http.ts and no rate limit. Helpers for authenticated
 * calls, waiting for operations and reading their SSE stream; `close` stops it and removes the state dir.
 */
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { Writable } from "node:stream";
import { loadConfig } from "../../server/config";
import type { StackRunner } from "../../server/engine/stackRunner";
import { createLogger } from "../../server/logger";
import type { OfflinePlanner } from "../../server/plan/offlinePlanner";
import { startService, type RunningService, type ServiceOverrides } from "../../server/service";
import { FakeRunner } from "./fakeRunner";
import { apiFor, TOKEN_ENV, TOKENS, waitForOperation, type Api } from "./http";
import { readSse, type ReadSseOptions, type SseStream } from "./sse";

/** A Writable that keeps what the service logs, one line each. */
export class LogSink extends Writable {
  readonly lines: string[] = [];
  override _write(chunk: Buffer, _enc: BufferEncoding, cb: () => void): void {
    this.lines.push(...chunk.toString().split("\n").filter((l) => l !== ""));
    cb();
  }
}

/** Answers every dry run with no resources (no child processes). */
export const noPlanner: OfflinePlanner = { resources: () => Promise.resolve([]) };

export const PASSPHRASE = "test-passphrase-Xq81Lm0s";

export interface TestServiceOptions<R extends StackRunner> extends Omit<ServiceOverrides, "runner" | "logger"> {
  /** Environment on top of the driver's (ARAGORA_MAX_PARALLEL, ARAGORA_BODY_LIMIT, …). */
  env?: Record<string, string>;
  /** Default: a new FakeRunner. */
  runner?: R;
  /** Default: info. */
  logLevel?: string;
  /** Default: a new temp dir (removed by stop). */
  stateDir?: string;
}

export interface TestService<R extends StackRunner> {
  svc: RunningService;
  url: string;
  store: RunningService["store"];
  orchestrator: RunningService["orchestrator"];
  runner: R;
  logs: LogSink;
  stateDir: string;
  /** Every response body `req` and `sse` read (for secret scans). */
  seen: string[];
  req: Api;
  /** Waits (polling every 10 ms) for an operation to end; returns its view. */
  waitFor(id: string, timeoutMs?: number): Promise<any>;
  /** Reads an operation's SSE stream (as a viewer) to its end. */
  sse(id: string, o?: ReadSseOptions): Promise<SseStream>;
  /** Stops the service (svc.stop) and removes the temp state dir. */
  close(): Promise<void>;
}

/** The service with the default fake engine. */
export type FakeService = TestService<FakeRunner>;

export async function startTestService<R extends StackRunner = FakeRunner>(o: TestServiceOptions<R> = {}): Promise<TestService<R>> {
  const { env = {}, runner: given, logLevel = "info", stateDir: dir, ...overrides } = o;
  const stateDir = dir ?? fs.mkdtempSync(path.join(os.tmpdir(), "aragora-svc-"));
  const runner = (given ?? new FakeRunner()) as R;
  const logs = new LogSink();
  const config = loadConfig({
    PORT: "0",
    HOST: "127.0.0.1",
    ARAGORA_STATE_DIR: stateDir,
    ARAGORA_API_TOKENS: TOKEN_ENV,
    PULUMI_CONFIG_PASSPHRASE: PASSPHRASE,
    ARAGORA_LOG_LEVEL: logLevel,
    ARAGORA_RATE_LIMIT_PER_MIN: "0",
    ...env,
  });
  const svc = await startService(config, {
    offlinePlanner: noPlanner,
    ...overrides,
    runner,
    logger: createLogger({ level: logLevel, destination: logs }),
  });
  const seen: string[] = [];
  const req = apiFor(svc.url, seen);
  return {
    svc, url: svc.url, store: svc.store, orchestrator: svc.orchestrator, runner, logs, stateDir, seen, req,
    waitFor: (id, timeoutMs = 10_000) => waitForOperation(req, id, timeoutMs, 10),
    async sse(id, so = {}) {
      const stream = await readSse(`${svc.url}/operations/${id}/events`, { token: TOKENS.viewer, ...so });
      seen.push(stream.text);
      return stream;
    },
    async close() {
      await svc.stop();
      if (dir === undefined) fs.rmSync(stateDir, { recursive: true, force: true });
    },
  };
}
