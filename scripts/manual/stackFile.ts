/**
 * A stack's run request from the config file the service wrote (`<state dir>/stacks/Pulumi.<stack>.yaml`):
 * its config values exactly as in the file, validated up front as the stack program
 * (stacks/program.ts) validates them when it runs, so a bad file is refused before the engine starts.
 */
import * as fs from "node:fs";
import { parse as parseYaml } from "yaml";
import { z } from "zod";
import { CONFIG_NAMESPACE } from "../../domain/stackConfigEncoding";
import { GLOBAL_STACK } from "../../domain/spec/regionSpec";
import { globalStackConfig, regionStackConfig } from "../../domain/spec/stackConfig";
import { ManualRunError } from "./args";
import type { StackConfig, StackRunRequest } from "./engine";

const configFileShape = z.object({ config: z.record(z.string(), z.unknown()).optional() });

/**
 * Reads a stack config file the service wrote, validates it as the stack program will, and gives
 * the config values to hand the engine: every key exactly as in the file, so the engine finds the
 * file already up to date and leaves it untouched.
 */
export function loadStackRequest(file: string, stack: string): StackRunRequest {
  let text: string;
  try {
    text = fs.readFileSync(file, "utf8");
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === "ENOENT") {
      throw new ManualRunError(
        `no service config for stack ${stack} at ${file}. The service writes it on its first step for that stack ` +
          "(POST /regions, or POST /regions/{name}/preview). If the service uses another state dir, export ARAGORA_STATE_DIR.",
      );
    }
    throw err;
  }
  let doc: unknown;
  try {
    doc = parseYaml(text);
  } catch (err) {
    throw new ManualRunError(`${file} is not valid YAML: ${err instanceof Error ? err.message : String(err)}`);
  }
  const shape = configFileShape.safeParse(doc ?? {});
  if (!shape.success) throw new ManualRunError(`${file} is not a Pulumi stack config file (expected a mapping with a \`config\` mapping)`);
  const raw = shape.data.config ?? {};

  const config: StackConfig = {};
  for (const [key, value] of Object.entries(raw)) {
    if (typeof value === "string") config[key] = { value };
    else if (typeof value === "number" || typeof value === "boolean") config[key] = { value: String(value) };
    else {
      const what = value !== null && typeof value === "object" && "secure" in value ? "a secret" : "a structured value";
      throw new ManualRunError(
        `${file}: ${key} is ${what}; the inline fallback passes plain values only (the service writes ` +
          `${CONFIG_NAMESPACE}:region and ${CONFIG_NAMESPACE}:fleet as plain JSON strings). Use an official Pulumi install for this file.`,
      );
    }
  }

  const json = (key: string): unknown => {
    const entry = config[`${CONFIG_NAMESPACE}:${key}`];
    if (entry === undefined) throw new ManualRunError(`${file}: missing required configuration variable '${CONFIG_NAMESPACE}:${key}'`);
    try {
      return JSON.parse(entry.value);
    } catch {
      throw new ManualRunError(`${file}: ${CONFIG_NAMESPACE}:${key} is not valid JSON`);
    }
  };
  const invalid = (error: z.ZodError): ManualRunError =>
    new ManualRunError(
      `${file} does not hold a valid config for stack ${stack}:\n` +
        error.issues.map((i) => `  ${CONFIG_NAMESPACE}:${i.path.map(String).join(".")}: ${i.message}`).join("\n"),
    );

  if (stack === GLOBAL_STACK) {
    const parsed = globalStackConfig.safeParse({ fleet: json("fleet") });
    if (!parsed.success) throw invalid(parsed.error);
    return { stack, config };
  }
  const parsed = regionStackConfig.safeParse({ region: json("region"), fleet: json("fleet") });
  if (!parsed.success) throw invalid(parsed.error);
  if (parsed.data.region.name !== stack) {
    throw new ManualRunError(
      `${file} holds the config of region ${JSON.stringify(parsed.data.region.name)}, not of stack ${JSON.stringify(stack)}`,
    );
  }
  return { stack, config };
}
