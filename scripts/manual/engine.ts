/**
 * The inline fallback's one seam to the engine (server/engine/*): the StackRunner port's types and
 * errors, and an in-process runner for one command, running the stack program (stacks/program.ts)
 * as the service's engine hosts do. The service's own runner (server/service.ts) runs in engine host
 * processes and keeps provider servers: too much for one command. This file is what changes when
 * the engine's public surface does.
 */
import { findPulumiBinDir, projectDir, type StackRunner } from "../../server/engine";
import type { Settings } from "./args";
import { ownPlugins } from "../../stacks/plugins";

export * from "../../server/engine";

/**
 * The service's engine adapter, in this process, on the service's backend, passphrase and Pulumi
 * home. Loaded only when called: the Pulumi SDK takes seconds to load, and every refusal before
 * it is instant.
 */
export async function createInlineRunner(settings: Settings, env: NodeJS.ProcessEnv): Promise<StackRunner> {
  const { createAutomationRunner } = await import("../../server/engine");
  const { stackProgram } = await import("../../stacks/program");
  const bin = findPulumiBinDir(env);
  return createAutomationRunner({
    program: stackProgram,
    plugins: ownPlugins(),
    stateDir: settings.stateDir,
    backendUrl: settings.backendUrl,
    ...settings.passphrase,
    ...(bin !== undefined ? { pulumiBinDir: bin } : {}),
    ...(settings.pulumiHome !== undefined ? { env: { PULUMI_HOME: settings.pulumiHome } } : {}),
    projectDir: projectDir(),
    // One command per invocation: the engine launches the provider plugin, as a plain `pulumi up` does.
    sharedProviders: false,
  });
}
