/**
 * The service's configuration, read from the environment once, in main.ts. Defaults match
 * scripts/env.sh (state dir, backend, passphrase file, PULUMI_HOME): keep the two in sync, so
 * `npm run pulumi` sees the same stacks as the service.
 */
import * as crypto from "node:crypto";
import * as fs from "node:fs";
import * as path from "node:path";
import { z } from "zod";
import { PROVIDERS, type Provider } from "../domain/spec/regionSpec";
import { defaultBackendUrl, fileBackendDir } from "./engine/fileBackend";

export interface ServiceConfig {
  port: number;
  host: string;
  stateDir: string;
  /** Raw `name:role:secret,…`; empty when unset. */
  apiTokens: string;
  maxParallel: number;
  /** Engine runs attach to dynamic-provider servers kept between runs (docs/performance.md). */
  engineSharedProviders: boolean;
  defaultProvider: Provider;
  backendUrl: string;
  /** Passphrase given directly (env), if any. */
  passphrase?: string | undefined;
  /** Passphrase file: given, or `<stateDir>/passphrase` (generated on first start). */
  passphraseFile: string;
  pulumiHome: string;
  /** Loopback port block for local regions. */
  localPortRange: { start: number; end: number };
  /** Loopback port of the local global load balancer. */
  localGlbPort: number;
  /** Directory under which local regions keep their data. */
  localRoot: string;
  logLevel: string;
  /** Largest JSON body accepted. */
  bodyLimit: string;
  /** Changes per token per minute (429 past it); 0: no limit. */
  rateLimitPerMin: number;
  /** Operations queued or running at once (503 queue_full past it). */
  maxQueuedOperations: number;
}

const port = z.coerce.number().int().min(0).max(65535);

const envSchema = z.object({
  PORT: port.default(8080),
  HOST: z.string().min(1).default("127.0.0.1"),
  ARAGORA_STATE_DIR: z.string().min(1).default(".aragora"),
  ARAGORA_API_TOKENS: z.string().default(""),
  ARAGORA_MAX_PARALLEL: z.coerce.number().int().min(1).max(64).default(4),
  ARAGORA_ENGINE_SHARED_PROVIDERS: z.enum(["true", "false"], { message: 'must be "true" or "false"' }).default("true"),
  ARAGORA_DEFAULT_PROVIDER: z.enum(PROVIDERS).default("local"),
  PULUMI_BACKEND_URL: z.string().min(1).optional(),
  PULUMI_CONFIG_PASSPHRASE: z.string().optional(),
  PULUMI_CONFIG_PASSPHRASE_FILE: z.string().min(1).optional(),
  PULUMI_HOME: z.string().min(1).optional(),
  ARAGORA_LOCAL_PORT_RANGE: z
    .string()
    .regex(/^\d{4,5}-\d{4,5}$/, { message: 'must look like "21000-29999"' })
    .default("21000-29999"),
  ARAGORA_GLB_PORT: port.default(18080),
  ARAGORA_LOCAL_ROOT: z.string().min(1).optional(),
  ARAGORA_LOG_LEVEL: z.enum(["fatal", "error", "warn", "info", "debug", "trace", "silent"]).default("info"),
  ARAGORA_BODY_LIMIT: z.string().regex(/^\d+(b|kb|mb)$/).default("100kb"),
  ARAGORA_RATE_LIMIT_PER_MIN: z.coerce.number().int().min(0).default(120),
  ARAGORA_MAX_QUEUED_OPERATIONS: z.coerce.number().int().min(1).default(100),
});

/**
 * Settings that left the service: process priority and CPU placement belong to the deployment
 * (README, "Running in production"), and early start went. A deployment that still sets them is
 * told so at start, rather than silently running without what it asked for.
 */
const REMOVED: Record<string, string> = {
  ARAGORA_EARLY_START: "removed: a step starts when the steps it depends on are done (docs/architecture.md)",
  ARAGORA_ENGINE_NICE: "removed: set the service's priority in its deployment (systemd Nice=/CPUWeight=, container CPU shares; README, Running in production)",
  ARAGORA_ENGINE_CPUS: "removed: set the service's CPUs in its deployment (systemd CPUAffinity=, docker --cpuset-cpus; README, Running in production)",
};

/**
 * Reads the configuration from an environment; throws one error naming every bad variable.
 */
export function loadConfig(env: NodeJS.ProcessEnv = process.env, cwd = process.cwd()): ServiceConfig {
  // An empty variable counts as unset (`FOO= npm start`).
  const given = Object.fromEntries(Object.entries(env).filter(([, v]) => v !== undefined && v !== ""));
  const parsed = envSchema.safeParse(given);
  const removed = Object.keys(REMOVED).filter((k) => k in given).map((k) => `${k}: ${REMOVED[k] ?? "removed"}`);
  if (!parsed.success || removed.length > 0) {
    const lines = [...(parsed.success ? [] : parsed.error.issues.map((i) => `${i.path.join(".")}: ${i.message}`)), ...removed];
    throw new Error(`invalid configuration:\n  ${lines.join("\n  ")}`);
  }
  const e = parsed.data;
  const [start, end] = e.ARAGORA_LOCAL_PORT_RANGE.split("-").map(Number) as [number, number];
  if (start >= end || end > 65535 || start < 1024) {
    throw new Error("invalid configuration:\n  ARAGORA_LOCAL_PORT_RANGE: must be an increasing range within 1024-65535");
  }
  const stateDir = path.resolve(cwd, e.ARAGORA_STATE_DIR);
  return {
    port: e.PORT,
    host: e.HOST,
    stateDir,
    apiTokens: e.ARAGORA_API_TOKENS.trim(),
    maxParallel: e.ARAGORA_MAX_PARALLEL,
    engineSharedProviders: e.ARAGORA_ENGINE_SHARED_PROVIDERS === "true",
    defaultProvider: e.ARAGORA_DEFAULT_PROVIDER,
    backendUrl: e.PULUMI_BACKEND_URL ?? defaultBackendUrl(stateDir),
    passphrase: e.PULUMI_CONFIG_PASSPHRASE,
    passphraseFile: e.PULUMI_CONFIG_PASSPHRASE_FILE ?? path.join(stateDir, "passphrase"),
    pulumiHome: e.PULUMI_HOME ?? path.join(stateDir, "pulumi-home"),
    localPortRange: { start, end },
    localGlbPort: e.ARAGORA_GLB_PORT,
    localRoot: path.resolve(cwd, e.ARAGORA_LOCAL_ROOT ?? path.join(stateDir, "local")),
    logLevel: e.ARAGORA_LOG_LEVEL,
    bodyLimit: e.ARAGORA_BODY_LIMIT,
    rateLimitPerMin: e.ARAGORA_RATE_LIMIT_PER_MIN,
    maxQueuedOperations: e.ARAGORA_MAX_QUEUED_OPERATIONS,
  };
}

/**
 * Makes sure the state dir exists and a passphrase is available: when neither
 * PULUMI_CONFIG_PASSPHRASE nor an existing passphrase file is there, generates one (mode 0600).
 * Returns the environment the engine should run with.
 */
export function prepareStateDir(config: ServiceConfig): Record<string, string> {
  try {
    // 0711: as root, the local daemons run as the daemon user, which must traverse into <stateDir>/local
    // nothing in the state dir can be listed by others, and secrets files are 0600.
    fs.mkdirSync(config.stateDir, { recursive: true, mode: 0o711 });
    // Before anything is written (the SQLite database above all): a state dir that is read-only,
    // full or not ours fails here, whole, instead of half-way through creating the database.
    probeWritable(config.stateDir);
    const backendDir = fileBackendDir(config.backendUrl);
    if (backendDir !== undefined) fs.mkdirSync(backendDir, { recursive: true });
    fs.mkdirSync(config.pulumiHome, { recursive: true });
  } catch (err) {
    throw new Error(`state dir ${config.stateDir} is not writable: ${(err instanceof Error ? err.message : String(err)).split("\n")[0] ?? ""}`);
  }
  const env: Record<string, string> = {
    PULUMI_BACKEND_URL: config.backendUrl,
    PULUMI_HOME: config.pulumiHome,
    PULUMI_SKIP_UPDATE_CHECK: "true",
    PULUMI_DISABLE_AUTOMATIC_PLUGIN_ACQUISITION: "true",
  };
  if (config.passphrase !== undefined) {
    env["PULUMI_CONFIG_PASSPHRASE"] = config.passphrase;
    return env;
  }
  if (!fs.existsSync(config.passphraseFile)) {
    fs.mkdirSync(path.dirname(config.passphraseFile), { recursive: true });
    fs.writeFileSync(config.passphraseFile, crypto.randomBytes(32).toString("base64url") + "\n", { mode: 0o600, flag: "wx" });
  }
  env["PULUMI_CONFIG_PASSPHRASE_FILE"] = config.passphraseFile;
  return env;
}

/** Creates, fills (one page), syncs and removes a file in `dir`; throws what the file system said. */
function probeWritable(dir: string): void {
  const probe = path.join(dir, `.write-probe-${process.pid}`);
  try {
    const fd = fs.openSync(probe, "wx", 0o600);
    try {
      fs.writeSync(fd, Buffer.alloc(4096));
      fs.fsyncSync(fd);
    } finally {
      fs.closeSync(fd);
    }
  } finally {
    fs.rmSync(probe, { force: true });
  }
}
