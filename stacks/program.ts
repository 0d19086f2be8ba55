/**
 * The one program every stack runs, inline through the Automation API (the service) or through the
 * Node.js language host (a manual `pulumi up`): it picks the program by stack name (`global`, else a
 * region id), reads that stack's config (`aragora:region`, `aragora:fleet`, as the service wrote
 * it) and runs the program factory of the stack's target. The engine knows stacks by name and
 * config only; what a stack is comes from here.
 */
import * as pulumi from "@pulumi/pulumi";
import { readGlobalStackConfig, readRegionStackConfig } from "./config";
import { globalProgram } from "./global";
import { regionProgram } from "./region";
import { GLOBAL_STACK } from "../domain/spec/regionSpec";

export async function stackProgram(): Promise<Record<string, unknown> | undefined> {
  const stack = pulumi.getStack();
  if (stack === GLOBAL_STACK) {
    return (await globalProgram(readGlobalStackConfig())()) ?? undefined;
  }
  const config = readRegionStackConfig();
  if (config.region.name !== stack) {
    throw new Error(
      `stack ${JSON.stringify(stack)} holds the config of region ${JSON.stringify(config.region.name)}: ` +
        `select the stack named after the region, or pass its own config file (npm run pulumi -- <cmd> -s ${stack})`,
    );
  }
  return (await regionProgram(config)()) ?? undefined;
}
