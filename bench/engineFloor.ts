/**
 * What one engine run costs below the service: an inline `up` of an empty program, and a no-change
 * `up` of a local region stack with the provider server an engine host keeps and with a provider
 * started by each run (ARAGORA_ENGINE_SHARED_PROVIDERS=false).
 *
 * The one bench file that uses the engine directly, through its public entry (server/engine):
 * the service's own entry points run whole operations, not single engine runs.
 */
import * as fs from "node:fs";
import * as path from "node:path";
import { addFleet } from "./sections";
import { BenchService } from "./service";
import { median } from "./stats";
import * as pulumi from "@pulumi/pulumi";
import { createAutomationRunner, findPulumiBinDir } from "../server/engine";
import { regionStackConfigValues } from "../domain/stackConfigEncoding";
import { regionStackConfig } from "../domain/spec/stackConfig";
import { ownPlugins } from "../stacks/plugins";
import { stackProgram } from "../stacks/program";
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
    // The stack program, except for the empty stack.
    const program = () => (pulumi.getStack() === "bench-empty" ? Promise.resolve({}) : stackProgram());
    const runnerWith = (sharedProviders: boolean) => createAutomationRunner({
      stateDir,
      projectDir: projectRoot(),
      passphraseFile: path.join(stateDir, "passphrase"),
      program,
      plugins: ownPlugins(),
      sharedProviders,
      ...(bin ? { pulumiBinDir: bin } : {}),
    });
    const runner = runnerWith(true);
    runner.warm(); // as an engine host does when it starts
    const runs: number[] = [];
    for (let i = 0; i < 3; i++) {
      const t0 = Date.now();
      await runner.up({ stack: "bench-empty", config: {} });
      runs.push(Date.now() - t0);
    }
    out["emptyUpMs"] = median(runs);
    await runner.destroy({ stack: "bench-empty", config: {} });
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
        const res = await r.up({ stack: "us-east-1", config: regionStackConfigValues(cfg) });
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
