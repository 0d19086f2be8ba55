/**
 * The `aragora-local` provider plugin as the engine runs it: its launcher (the executable
 * `pulumi-resource-aragora-local` beside the sources, which the engine finds on PATH or through
 * Pulumi.yaml's `plugins`), and the module a long-lived server of it runs.
 */
import * as path from "node:path";
import { LOCAL_PACKAGE } from "./types";

export { LOCAL_PACKAGE, LOCAL_PROVIDER_VERSION, LOCAL_TYPES } from "./types";

/** Compiled, this file is dist/components/local/provider/index.js; the launcher stays with the sources. */
const SOURCE_DIR = __filename.endsWith(".ts") ? __dirname : path.resolve(__dirname, "..", "..", "..", "..", "components", "local", "provider");

/**
 * `createsAdopt`: every create of this provider ensures its resource (makes what is missing, adopts
 * a data dir or a daemon already there), so the engine may re-run a create a killed run left pending.
 */
export function localProviderPlugin(): { name: string; launcherDir: string; main: string; createsAdopt: boolean } {
  return { name: LOCAL_PACKAGE, launcherDir: SOURCE_DIR, main: path.join(__dirname, "main"), createsAdopt: true };
}
