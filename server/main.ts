/**
 * `npm start`: the composition root. Reads the environment (server/config.ts), starts the service,
 * and stops it gracefully on SIGTERM/SIGINT (no new work, running steps aborted and recorded
 * `interrupted`, connections and the database closed).
 */
import { loadConfig } from "./config";
import { startService } from "./service";

async function main(): Promise<void> {
  const config = loadConfig();
  const service = await startService(config, {
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
