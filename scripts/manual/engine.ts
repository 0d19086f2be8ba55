/**
 * The inline fallback's one seam to the engine (server/engine/*): the StackRunner port's types and
 * errors, and an in-process runner for one command. No public entry point (server/service.ts,
 * server/config.ts) offers a runner that takes an inline program in this process: the service's
 * own runner rebuilds programs from fleet state in an engine host. This file is what changes when
 * the engine's public surface does.
 */
import { findPulumiBinDir, projectDir } from "../../server/engine/toolchain";
import type { StackRunner } from "../../server/engine/stackRunner";
import type { Settings } from "./args";

export {
  StackBusyError,
  StepCancelledError,
  StepFailedError,
  type EngineEvent,
  type RunOptions,
  type StackConfig,
  type StackOutputs,
  type StackRunner,
  type StackRunRequest,
  type StepResult,
} from "../../server/engine/stackRunner";

/**
 * The service's engine adapter, in this process, on the service's backend, passphrase and Pulumi
 * home. Loaded only when called: the Pulumi SDK takes seconds to load, and every refusal before
 * it is instant.
 */
export async function createInlineRunner(settings: Settings, env: NodeJS.ProcessEnv): Promise<StackRunner> {
  const { createAutomationRunner } = await import("../../server/engine/automationRunner");
  const bin = findPulumiBinDir(env);
  return createAutomationRunner({
    stateDir: settings.stateDir,
    backendUrl: settings.backendUrl,
    ...settings.passphrase,
    ...(bin !== undefined ? { pulumiBinDir: bin } : {}),
    ...(settings.pulumiHome !== undefined ? { env: { PULUMI_HOME: settings.pulumiHome } } : {}),
    projectDir: projectDir(),
    // One command per invocation: each run starts its provider, as a plain `pulumi up` does.
    sharedProviders: false,
  });
}
