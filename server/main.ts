/**
 * `npm start`: the composition root. Reads the environment (server/config.ts), takes the state
 * dir's lock (a second service on the same dir exits here, naming the first), starts the service,
 * and stops it gracefully on SIGTERM/SIGINT (no new work, running steps aborted and recorded
 * `interrupted`, connections and the database closed).
 */
import * as path from "node:path";
import { loadConfig, prepareStateDir } from "./config";
import { createLocalDrills } from "./drills";
import { DEFAULT_CUTOFF_AGE_SECONDS } from "./drills/validate";
import { createServiceRunner, startService } from "./service";
import { acquireStateDirLock } from "./stateDirLock";
import { killEngineLeftovers } from "./engine/orphans";

/** ARAGORA_VALIDATE_CUTOFF_SECONDS: validate leaves out debates younger than this (default: the runbook's hour). */
function cutoffAgeSeconds(): number {
  const raw = process.env["ARAGORA_VALIDATE_CUTOFF_SECONDS"];
  if (raw === undefined || raw === "") return DEFAULT_CUTOFF_AGE_SECONDS;
  const n = Number(raw);
  if (!Number.isInteger(n) || n < 0) throw new Error(`invalid configuration:\n  ARAGORA_VALIDATE_CUTOFF_SECONDS: must be a whole number of seconds (got ${JSON.stringify(raw)})`);
  return n;
}

async function main(): Promise<void> {
  const config = loadConfig();
  const engineEnv = prepareStateDir(config);
  // Before the engine exists: a second process on this state dir must not touch engines,
  // checkpoints or the database. startService releases it when the service stops.
  const stateDirLock = acquireStateDirLock(config.stateDir);
  const leftovers = killEngineLeftovers(path.join(config.stateDir, "workspaces"));
  if (leftovers > 0) process.stderr.write(`stopped ${String(leftovers)} engine process(es) a previous service on this state dir left running\n`);
  // The engine is built here so the drills (failover checks, validate, replication status) read
  // stack outputs through the same runner, and its per-stack queue, as the orchestrator.
  const runner = createServiceRunner(config, engineEnv);
  const drills = createLocalDrills({ outputs: (stack) => runner.outputs(stack), cutoffAgeSeconds: cutoffAgeSeconds() });
  const service = await startService(config, {
    stateDirLock,
    runner,
    handlers: drills.handlers,
    lagProbe: drills.lagProbe,
    onBootstrapToken: (file, created) => {
      process.stderr.write(
        `\nARAGORA_API_TOKENS is not set: ${created ? "created an" : "using the"} admin token in ${file}\n` +
          `  use it with: curl -H "Authorization: Bearer $(cat ${file})" ${"http://" + config.host + ":" + String(config.port)}/regions\n\n`,
      );
    },
  });
  let signals = 0;
  const onSignal = (signal: NodeJS.Signals): void => {
    signals++;
    if (signals > 1) {
      process.stderr.write(`${signal} again: exiting now\n`);
      process.exit(1);
    }
    service.stop().then(
      () => process.exit(0),
      (err: unknown) => {
        process.stderr.write(`shutdown failed: ${String(err)}\n`);
        process.exit(1);
      },
    );
  };
  process.on("SIGTERM", onSignal);
  process.on("SIGINT", onSignal);
}

main().catch((err: unknown) => {
  process.stderr.write(`aragora-regions failed to start: ${err instanceof Error ? err.message : String(err)}\n`);
  process.exit(1);
});
