/**
 * Helpers of the service integration tests (real engine): a state dir of its own and a free local
 * port block in 16000-19999, and a cleanup that destroys whatever stacks exist and kills any
 * process left under the state dir. HTTP, SSE, process and child-service helpers are in test/support.
 */
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { loadConfig, type ServiceConfig } from "../../../server/config";
import { createAutomationRunner } from "../../../server/engine/automationRunner";
import { stackProgram } from "../../../stacks/program";
import { ownPlugins } from "../../../stacks/plugins";
import type { StackRunner } from "../../../server/engine/stackRunner";
import { findPulumiBinDir, projectDir } from "../../../server/engine/toolchain";
import { TOKEN_ENV } from "../../support/http";
import { freePortBlock } from "../../support/ports";
import { killAll, processesMentioning } from "../../support/processTree";
import { PASSPHRASE } from "../../support/serviceDriver";

export interface TestEnv {
  stateDir: string;
  portBase: number;
  /** A free port for a service run as a child process. */
  servicePort: number;
  env: Record<string, string>;
  config(extra?: Record<string, string>): ServiceConfig;
}

/** A fresh state dir and a free block of ports (3 regions × 20 + the GLB) in 16000-19999. */
export async function testEnv(regions = 3): Promise<TestEnv> {
  const stateDir = fs.mkdtempSync(path.join(os.tmpdir(), "aragora-svc-"));
  fs.chmodSync(stateDir, 0o755);
  const count = regions * 20 + 1;
  const portBase = await freePortBlock(count + 1, 16000, 19999);
  const env: Record<string, string> = {
    PORT: "0",
    HOST: "127.0.0.1",
    ARAGORA_STATE_DIR: stateDir,
    ARAGORA_API_TOKENS: TOKEN_ENV,
    ARAGORA_LOCAL_PORT_RANGE: `${portBase}-${portBase + regions * 20 - 1}`,
    ARAGORA_GLB_PORT: String(portBase + regions * 20),
    PULUMI_CONFIG_PASSPHRASE: PASSPHRASE,
    ARAGORA_LOG_LEVEL: "info",
  };
  return { stateDir, portBase, servicePort: portBase + count, env, config: (extra = {}) => loadConfig({ ...env, ...extra }) };
}

export function directRunner(stateDir: string): StackRunner {
  const bin = findPulumiBinDir();
  return createAutomationRunner({ stateDir, passphrase: PASSPHRASE, projectDir: projectDir(), program: stackProgram, plugins: ownPlugins(), ...(bin ? { pulumiBinDir: bin } : {}) });
}

/** Destroys every stack left in the state dir's backend (global first), kills leftovers, removes the dir. */
export async function cleanup(stateDir: string): Promise<void> {
  const runner = directRunner(stateDir);
  const stacks = await runner.listStacks().catch(() => [] as string[]);
  const ordered = [...stacks.filter((s) => s === "global"), ...stacks.filter((s) => s !== "global").reverse()];
  for (const stack of ordered) {
    await runner.recover(stack).catch(() => undefined);
    await runner.destroy({ stack, config: {} }).catch(() => undefined);
  }
  killAll(processesMentioning(stateDir).map((p) => p.pid));
  fs.rmSync(stateDir, { recursive: true, force: true });
}
