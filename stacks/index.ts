/**
 * Pulumi.yaml's `main`: what a manual `pulumi up -s <stack>` runs. It picks the program by stack
 * name (`global`, else a region id), reads that stack's config the same way the service writes it
 * (`aragora:region`, `aragora:fleet`) and runs the same program factory the service runs inline.
 *
 * The module exports an async function: Pulumi's Node.js runtime calls an exported function inside
 * the root stack and turns its resolved value into the stack's outputs.
 */
import * as pulumi from "@pulumi/pulumi";
import { readGlobalStackConfig, readRegionStackConfig } from "./config";
import { globalProgram } from "./global";
import { regionProgram } from "./region";
import { GLOBAL_STACK } from "../domain/spec/regionSpec";

async function main(): Promise<Record<string, unknown> | undefined> {
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

export = main;
