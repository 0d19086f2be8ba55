/**
 * Builds the whole service from a configuration: the only place concrete objects are made
 * (main.ts adds the process concerns: env, signals, exit). Integration tests call it in-process.
 */
import * as fs from "node:fs";
import * as http from "node:http";
import type { AddressInfo } from "node:net";
import * as path from "node:path";
import { fleetSettings } from "../domain/spec/fleetSettings";
import { createApp } from "./app";
import { ensureBootstrapToken, parseTokens, type TokenEntry } from "./auth/tokens";
import { prepareStateDir, type ServiceConfig } from "./config";
import { resolveLocalRoot } from "./localRoot";
import type { FleetDomain } from "./domain";
import { asDrillProbe } from "./drills";
import { storeUnavailable } from "./errors";
import { createEngineHostRunner } from "./engine/engineHostRunner";
import { killEngineLeftovers } from "./engine/orphans";
import { ownPlugins } from "../stacks/plugins";
import type { StackRunner } from "./engine/stackRunner";
import { findPulumiBinDir, projectDir } from "./engine/toolchain";
import { createFleetDomain } from "./fleetDomain";
import { createLogger, type Logger } from "./logger";
import { ServiceMetrics, type LagProbe } from "./metrics";
import { createActionHandlers, type ActionHandlers } from "./orchestrator/actions";
import { EventBus } from "./orchestrator/eventBus";
import { FleetService } from "./orchestrator/fleetService";
import { Orchestrator } from "./orchestrator/orchestrator";
import { createChildProcessPlanner, type OfflinePlanner } from "./plan/offlinePlanner";
import { acquireStateDirLock, type StateDirLock } from "./stateDirLock";
import { SqliteStore } from "./store/sqliteStore";
import type { Store } from "./store/store";
import { guardStore, StoreHealth } from "./store/storeHealth";
import type { FailoverProbe } from "./orchestrator/failoverAssessment";

/** How often the service samples its event loop for /metrics (a tool reading the figures needs it). */
export { EVENT_LOOP_RESOLUTION_MS } from "./metrics";

export interface ServiceOverrides {
  runner?: StackRunner;
  domain?: FleetDomain;
  store?: Store;
  logger?: Logger;
  handlers?: Partial<ActionHandlers>;
  lagProbe?: LagProbe;
  /** The failover split-brain check; default: the drills' check over the lag probe. */
  failoverProbe?: FailoverProbe;
  offlinePlanner?: OfflinePlanner;
  /** Called with where the bootstrap admin token is (when no tokens are configured). */
  onBootstrapToken?: (file: string, created: boolean) => void;
  /** The state dir's lock, when the caller took it already (main.ts, before it starts the engine); released by stop. */
  stateDirLock?: StateDirLock;
}

export interface RunningService {
  url: string;
  port: number;
  server: http.Server;
  /** The store as the service uses it (guarded: see storeHealth.ts). */
  store: Store;
  /** Whether the store can be written (GET /health). */
  storeHealth: StoreHealth;
  orchestrator: Orchestrator;
  /** Recovered (interrupted) operations at start. */
  recovered: { operations: string[]; stacks: string[] };
  /** Graceful stop: no new work, abort running steps (recorded interrupted), close connections and the store, release the state dir. */
  stop(): Promise<void>;
}

function version(): string {
  try {
    return (JSON.parse(fs.readFileSync(path.join(projectDir(), "package.json"), "utf8")) as { version: string }).version;
  } catch {
    return "0.0.0";
  }
}

/**
 * The engine as the service runs it: a pool of engine host processes over the configured backend,
 * passphrase and state dir. `engineEnv` is what prepareStateDir returned.
 */
export function createServiceRunner(config: ServiceConfig, engineEnv: Record<string, string>): StackRunner & { close(): Promise<void> } {
  const dir = findPulumiBinDir();
  return createEngineHostRunner({
    stateDir: config.stateDir,
    backendUrl: config.backendUrl,
    ...(config.passphrase !== undefined ? { passphrase: config.passphrase } : { passphraseFile: config.passphraseFile }),
    ...(dir !== undefined ? { pulumiBinDir: dir } : {}),
    env: engineEnv,
    projectDir: projectDir(),
    plugins: ownPlugins(),
    sharedProviders: config.engineSharedProviders,
  }, { maxHosts: config.maxParallel });
}

/**
 * Starts the service on the configured state dir. Refuses (StateDirInUseError) when another
 * process holds the dir: the lock comes before the token file, the database and recovery.
 */
export async function startService(config: ServiceConfig, o: ServiceOverrides = {}): Promise<RunningService> {
  const engineEnv = prepareStateDir(config);
  const lock = o.stateDirLock ?? acquireStateDirLock(config.stateDir);
  try {
    return await startLocked(config, o, engineEnv, lock);
  } catch (err) {
    lock.release();
    throw err;
  }
}

async function startLocked(config: ServiceConfig, o: ServiceOverrides, engineEnv: Record<string, string>, lock: StateDirLock): Promise<RunningService> {
  const logger = o.logger ?? createLogger({ level: config.logLevel });

  let tokens: TokenEntry[] = parseTokens(config.apiTokens);
  if (tokens.length === 0) {
    const boot = ensureBootstrapToken(config.stateDir);
    tokens = [boot.entry];
    (o.onBootstrapToken ?? (() => undefined))(boot.file, boot.created);
    logger.warn({ file: boot.file }, "ARAGORA_API_TOKENS is empty: using the admin token kept in the state dir");
  }

  const raw = o.store ?? openStore(path.join(config.stateDir, "aragora.db"));
  const storeHealth = new StoreHealth({ probe: () => raw.checkWritable(), logger });
  const store = guardStore(raw, storeHealth);
  if (!o.runner) {
    // A service that died left its engine's processes behind (main.ts does this before it builds its engine).
    const leftovers = killEngineLeftovers(path.join(config.stateDir, "workspaces"));
    if (leftovers > 0) logger.warn({ leftovers }, "stopped engine processes a previous service on this state dir left running");
  }
  const runner = o.runner ?? createServiceRunner(config, engineEnv);
  const domain = o.domain ?? createFleetDomain();
  const bus = new EventBus();
  const orchestrator = new Orchestrator({
    store,
    runner,
    domain,
    bus,
    logger,
    handlers: createActionHandlers(o.handlers),
    maxParallel: config.maxParallel,
    maxQueued: config.maxQueuedOperations,
    storeWritable: () => storeHealth.whenWritable(),
  });
  const local = resolveLocalRoot(config.stateDir, config.localRoot);
  if (local.moved !== undefined) logger.info({ localRoot: local.localRoot, reason: local.moved }, "local target data lives outside the state dir");
  const fleet = new FleetService({
    store,
    domain,
    orchestrator,
    settings: fleetSettings.parse({ local: { glbPort: config.localGlbPort } }),
    localRoot: local.localRoot,
    defaultProvider: config.defaultProvider,
    localPortRange: config.localPortRange,
    failoverProbe: o.failoverProbe ?? asDrillProbe(o.lagProbe),
  });
  const recovered = await orchestrator.recover();
  const metrics = new ServiceMetrics({ store, queue: () => orchestrator.stats(), lagProbe: o.lagProbe });

  const app = createApp({
    store,
    fleet,
    orchestrator,
    bus,
    tokens,
    logger,
    bodyLimit: config.bodyLimit,
    rateLimitPerMin: config.rateLimitPerMin,
    version: version(),
    offlinePlanner: o.offlinePlanner ?? createChildProcessPlanner({ cwd: projectDir() }),
    lagProbe: o.lagProbe,
    metrics,
    storeHealth,
  });
  const server = http.createServer(app);
  // Longer than clients' keep-alive (undici: 4 s idle) so a reused connection is never reset under it.
  server.keepAliveTimeout = 65_000;
  server.headersTimeout = 66_000;
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(config.port, config.host, () => {
      server.off("error", reject);
      resolve();
    });
  });
  const port = (server.address() as AddressInfo).port;
  const url = `http://${config.host.includes(":") ? `[${config.host}]` : config.host}:${port}`;
  logger.info({ url, stateDir: config.stateDir, maxParallel: config.maxParallel, recovered: recovered.operations.length }, "aragora-regions listening");

  let stopping: Promise<void> | undefined;
  const stop = (): Promise<void> => {
    stopping ??= (async () => {
      logger.info("shutting down: no new work, aborting running steps");
      const closed = new Promise<void>((resolve) => server.close(() => {
        resolve();
      }));
      server.closeIdleConnections();
      await orchestrator.shutdown();
      server.closeAllConnections();
      await closed;
      await runner.close?.();
      storeHealth.close();
      try {
        await store.close();
      } catch (err) {
        // A database that cannot take its last checkpoint keeps it in its WAL for the next start.
        logger.warn({ err: String(err) }, "could not close the database cleanly");
      }
      metrics.close();
      lock.release();
      logger.info("stopped");
    })();
    return stopping;
  };
  return { url, port, server, store, storeHealth, orchestrator, recovered, stop };
}

/** The SQLite store in the state dir; a database that cannot be opened fails the start naming the cause. */
function openStore(file: string): SqliteStore {
  try {
    return new SqliteStore(file);
  } catch (err) {
    throw storeUnavailable(err) ?? err;
  }
}
