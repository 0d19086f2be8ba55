/**
 * The engine's public entry, for tools outside the service (the bench's engine floor, the manual
 * run's inline fallback): the StackRunner port and its errors, the in-process Automation API runner,
 * and where the toolchain's Pulumi CLI is. The service itself builds its runner in service.ts.
 */
export {
  StackBusyError,
  StepCancelledError,
  StepFailedError,
  type EngineEvent,
  type PendingDecision,
  type PendingOperation,
  type PendingResolution,
  type RunOptions,
  type StackConfig,
  type StackOutputs,
  type StackRunner,
  type StackRunRequest,
  type StepResult,
} from "./stackRunner";
export { createAutomationRunner, type AutomationRunner, type AutomationRunnerOptions } from "./automationRunner";
export { findPulumiBinDir, projectDir } from "./toolchain";
export { defaultBackendUrl } from "./fileBackend";
