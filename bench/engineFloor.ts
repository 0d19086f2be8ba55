/**
 * What one engine run costs below the service: an inline `up` of an empty program, and a no-change
 * `up` of a local region stack with the provider server an engine host keeps and with a provider
 * started by each run (ARAGORA_ENGINE_SHARED_PROVIDERS=false).
 *
 * The one bench file that reaches into the engine (server/engine/*): no public entry point runs a
 * single inline program or chooses the provider mode per run. Kept apart so the engine rewrite
 * has one place to change (see the bench's README section).
 */
import * as fs from "node:fs";
import * as path from "node:path";
import { addFleet } from "./sections";
import { BenchService } from "./service";
import { median } from "./stats";
import { createAutomationRunner } from "../server/engine/automationRunner";
import { findPulumiBinDir } from "../server/engine/toolchain";
import { regionStackConfigValues } from "../stacks/configEncoding";
import { regionProgram } from "../stacks/region";
import { regionStackConfig } from "../stacks/spec/stackConfig";
import { projectRoot } from "../test/support/serviceProcess";

export async function engineFloor(portBase: number): Promise<Record<string, number>> {
  const svc = await BenchService.create("aragora-bench-engine-", {
    ARAGORA_LOCAL_PORT_RANGE: `${String(portBase)}-${String(portBase + 999)}`,
    ARAGORA_GLB_PORT: String(portBase + 1000),
  });
  const out: Record<string, number> = {};
  try {
    await svc.start();
    await addFleet(svc, 1);
    await svc.stop();
    const stateDir = svc.stateDir;
    const bin = findPulumiBinDir();
    const runnerWith = (sharedProviders: boolean) => createAutomationRunner({
      stateDir,
      projectDir: projectRoot(),
      passphraseFile: path.join(stateDir, "passphrase"),
      sharedProviders,
      ...(bin ? { pulumiBinDir: bin } : {}),
    });
    const runner = runnerWith(true);
    runner.warm(); // as an engine host does when it starts
    const runs: number[] = [];
    for (let i = 0; i < 3; i++) {
      const t0 = Date.now();
      await runner.up({ stack: "bench-empty", program: () => Promise.resolve({}), config: {} });
      runs.push(Date.now() - t0);
    }
    out["emptyUpMs"] = median(runs);
    await runner.destroy({ stack: "bench-empty", program: () => Promise.resolve({}), config: {} });
    // A no-change up of the local region stack, from exactly the config the service applied.
    const cfgText = fs.readFileSync(path.join(stateDir, "stacks", "Pulumi.us-east-1.yaml"), "utf8");
    const cfg = regionStackConfig.parse({ region: JSON.parse(yamlValue(cfgText, "aragora:region")), fleet: JSON.parse(yamlValue(cfgText, "aragora:fleet")) });
    // Alternating: with the provider server the engine host keeps, and with a provider started by each run.
    const launched = runnerWith(false);
    const shared: number[] = [];
    const own: number[] = [];
    let changed = 0;
    for (let i = 0; i < 3; i++) {
      for (const [r, into] of [[runner, shared], [launched, own]] as const) {
        const t0 = Date.now();
        const res = await r.up({ stack: "us-east-1", program: regionProgram(cfg), config: regionStackConfigValues(cfg) });
        into.push(Date.now() - t0);
        changed += Object.entries(res.summary).filter(([k]) => k !== "same").reduce((a, [, n]) => a + n, 0);
      }
    }
    out["noChangeRegionUpMs"] = median(shared);
    out["noChangeRegionUpLaunchedProviderMs"] = median(own);
    out["noChangeRegionUpChanged"] = changed;
    await runner.close();
    await launched.close();
    return out;
  } finally {
    await svc.teardown();
  }
}

/** A top-level value of a stack config file the service wrote (`key: 'json'`). */
function yamlValue(text: string, key: string): string {
  const line = text.split("\n").find((l) => l.trim().startsWith(`${key}:`));
  if (!line) throw new Error(`no ${key} in stack config`);
  const raw = line.slice(line.indexOf(":", line.indexOf(key) + key.length) + 1).trim();
  return raw.startsWith("'") ? raw.slice(1, -1).replace(/''/g, "'") : raw.startsWith('"') ? (JSON.parse(raw) as string) : raw;
}
