/**
 * `npm run pulumi -- preview|up|refresh|destroy -s <stack>` without the Node.js language host.
 *
 * scripts/pulumi.sh runs this when `pulumi-language-nodejs` is not on PATH (the project's own CLI
 * is built without it). It runs the same program the service runs, inline through the service's
 * own engine adapter (createAutomationRunner): same workspace dir per stack, same backend,
 * passphrase and stack config file, so the stack lock, config and state are shared with the
 * service. The config comes from exactly the file the service wrote
 * (`<state dir>/stacks/Pulumi.<stack>.yaml`), validated as stacks/index.ts validates it.
 *
 * Settings come from the environment scripts/env.sh prepares: ARAGORA_STATE_DIR,
 * PULUMI_BACKEND_URL, PULUMI_CONFIG_PASSPHRASE or PULUMI_CONFIG_PASSPHRASE_FILE, PULUMI_HOME.
 * Exit status: 0 success, 1 failure (including refusals). See docs/manual-pulumi.md.
 */
import * as fs from "node:fs";
import * as path from "node:path";
import * as readline from "node:readline";
import { parse as parseYaml } from "yaml";
import { z } from "zod";
import { CONFIG_NAMESPACE } from "../domain/stackConfigEncoding";
import {
  StackBusyError,
  StepCancelledError,
  StepFailedError,
  type EngineEvent,
  type RunOptions,
  type StackConfig,
  type StackOutputs,
  type StackRunRequest,
  type StackRunner,
  type StepResult,
} from "../server/engine/stackRunner";
import { findPulumiBinDir, projectDir } from "../server/engine/toolchain";
import { globalProgram } from "../stacks/global";
import { regionProgram } from "../stacks/region";
import { GLOBAL_STACK, regionName } from "../domain/spec/regionSpec";
import { globalStackConfig, regionStackConfig } from "../domain/spec/stackConfig";

export const MANUAL_COMMANDS = ["preview", "up", "refresh", "destroy"] as const;
export type ManualCommand = (typeof MANUAL_COMMANDS)[number];

export interface ManualArgs {
  command: ManualCommand;
  stack: string | undefined;
  yes: boolean;
  diff: boolean;
  skipPreview: boolean;
  nonInteractive: boolean;
}

/** A refusal or failure with the message the user sees (exit status 1). */
export class ManualRunError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "ManualRunError";
  }
}

const PREFIX = "[pulumi.sh]";
const FALLBACK_HINT = "the inline fallback supports: -s/--stack, -y/--yes, --diff, --skip-preview (up), --non-interactive";

/** Parses `<command> [flags]` as the CLI would, for the subset the inline fallback supports. */
export function parseArgs(argv: readonly string[]): ManualArgs {
  let command: ManualCommand | undefined;
  const out = { stack: undefined as string | undefined, yes: false, diff: false, skipPreview: false, nonInteractive: false };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i] ?? "";
    if (a === "-s" || a === "--stack") {
      const v = argv[i + 1];
      if (v === undefined || v === "") throw new ManualRunError(`${a} needs a stack name`);
      out.stack = v;
      i++;
    } else if (a.startsWith("--stack=")) {
      out.stack = a.slice("--stack=".length);
    } else if (a === "-y" || a === "--yes" || a === "--yes=true") {
      out.yes = true;
    } else if (a === "--diff" || a === "--diff=true") {
      out.diff = true;
    } else if (a === "-f" || a === "--skip-preview" || a === "--skip-preview=true") {
      out.skipPreview = true;
    } else if (a === "--non-interactive" || a === "--non-interactive=true") {
      out.nonInteractive = true;
    } else if (a === "--config-file" || a.startsWith("--config-file=")) {
      throw new ManualRunError(
        "--config-file is not supported without the Node.js language host: the inline run reads the service's own file " +
          "(<state dir>/stacks/Pulumi.<stack>.yaml) and must leave it as it is. To try a variation, use an official Pulumi install.",
      );
    } else if (a.startsWith("-")) {
      throw new ManualRunError(
        `option ${JSON.stringify(a)} is not supported without the Node.js language host; ${FALLBACK_HINT}. ` +
          "For anything else, use an official Pulumi install (it bundles pulumi-language-nodejs).",
      );
    } else if (command === undefined) {
      if (a === "update") command = "up";
      else if ((MANUAL_COMMANDS as readonly string[]).includes(a)) command = a as ManualCommand;
      else throw new ManualRunError(`command ${JSON.stringify(a)} is not one the inline fallback runs (${MANUAL_COMMANDS.join(", ")})`);
    } else {
      throw new ManualRunError(`unexpected argument ${JSON.stringify(a)}`);
    }
  }
  if (command === undefined) throw new ManualRunError(`no command: expected one of ${MANUAL_COMMANDS.join(", ")}`);
  if (out.skipPreview && command !== "up") throw new ManualRunError(`--skip-preview applies to up only, not ${command}`);
  return { command, ...out };
}

/** `global` or a valid region name; anything else is refused before a path is built from it. */
export function checkStackName(stack: string | undefined): string {
  if (stack === undefined || stack === "") {
    throw new ManualRunError("no stack: pass -s <stack> (a region name or global), or select one with `npm run pulumi -- stack select <stack>`");
  }
  if (stack === GLOBAL_STACK) return stack;
  const parsed = regionName.safeParse(stack);
  if (!parsed.success) {
    const why = parsed.error.issues.map((i) => i.message).join("; ");
    throw new ManualRunError(`${JSON.stringify(stack)} is not a stack of this project: a stack is ${GLOBAL_STACK} or a region name, and a region name ${why}`);
  }
  return stack;
}

/** Does this command change the stack, and so need a yes from the user? */
function needsConfirmation(args: ManualArgs): boolean {
  if (args.command === "preview" || args.yes) return false;
  // Like the CLI: `up --skip-preview` has no preview to confirm.
  return !(args.command === "up" && args.skipPreview);
}

export interface Settings {
  stateDir: string;
  backendUrl: string;
  passphrase: { passphrase: string } | { passphraseFile: string };
  pulumiHome: string | undefined;
}

/** The service's engine settings, from the environment scripts/env.sh prepares. Reads nothing from disk. */
export function settingsFromEnv(env: NodeJS.ProcessEnv): Settings {
  const stateDirRaw = env["ARAGORA_STATE_DIR"];
  if (!stateDirRaw) throw new ManualRunError("ARAGORA_STATE_DIR is not set: run through `npm run pulumi` (scripts/pulumi.sh), which sets it");
  const stateDir = path.resolve(stateDirRaw);
  const backendUrl = env["PULUMI_BACKEND_URL"] || `file://${path.join(stateDir, "backend")}`;
  const phrase = env["PULUMI_CONFIG_PASSPHRASE"];
  const phraseFile = env["PULUMI_CONFIG_PASSPHRASE_FILE"];
  let passphrase: Settings["passphrase"];
  if (phrase !== undefined && phrase !== "") passphrase = { passphrase: phrase };
  else if (phraseFile) passphrase = { passphraseFile: path.resolve(phraseFile) };
  else passphrase = { passphraseFile: path.join(stateDir, "passphrase") };
  return { stateDir, backendUrl, passphrase, pulumiHome: env["PULUMI_HOME"] || undefined };
}

export function stackConfigFile(stateDir: string, stack: string): string {
  return path.join(stateDir, "stacks", `Pulumi.${stack}.yaml`);
}

const configFileShape = z.object({ config: z.record(z.string(), z.unknown()).optional() });

/**
 * Reads a stack config file the service wrote, builds the stack's program from it (validated as
 * stacks/index.ts validates it) and the config values to hand the engine: every key exactly as in
 * the file, so the engine finds the file already up to date and leaves it untouched.
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
    return { stack, program: globalProgram(parsed.data), config };
  }
  const parsed = regionStackConfig.safeParse({ region: json("region"), fleet: json("fleet") });
  if (!parsed.success) throw invalid(parsed.error);
  if (parsed.data.region.name !== stack) {
    throw new ManualRunError(
      `${file} holds the config of region ${JSON.stringify(parsed.data.region.name)}, not of stack ${JSON.stringify(stack)}`,
    );
  }
  return { stack, program: regionProgram(parsed.data), config };
}

// ---- output ------------------------------------------------------------------------------------

const OP_SIGNS: Record<string, string> = {
  create: "+",
  update: "~",
  delete: "-",
  replace: "+-",
  "create-replacement": "++",
  "delete-replaced": "--",
  read: ">",
  refresh: "~",
  same: " ",
  import: "=",
  discard: "-",
};

const DONE: Record<string, string> = {
  create: "created",
  update: "updated",
  delete: "deleted",
  replace: "replaced",
  "create-replacement": "created replacement",
  "delete-replaced": "deleted original",
  read: "read",
  refresh: "refreshed",
  same: "unchanged",
  import: "imported",
  discard: "discarded",
};

/** `type` and `name` of a resource from its URN (`urn:pulumi:<stack>::<project>::<parent$…$type>::<name>`). */
export function urnParts(urn: string): { type: string; name: string } {
  const parts = urn.split("::");
  const types = (parts[2] ?? "").split("$");
  return { type: types[types.length - 1] ?? "", name: parts.slice(3).join("::") };
}

/**
 * The Node SDK's own debug messages. The engine sends them as diagnostics of severity "debug",
 * which the service's event mapping (mapEvent) currently reports as "info"; the CLI hides them.
 */
const SDK_DEBUG =
  /^(Registering resource: |Reading resource: |Getting resource: |registering |skip re-registering |Serialize property |Resource RPC serialization |RegisterResource RPC |RegisterResourceOutputs RPC |ReadResource RPC |Invoke RPC |getResource Invoke RPC |Call RPC |Found free variables|Found typescript version|Found ts-node version|Using vendored |Ignoring error in loadCompilerOptions|failed to unref the callback server)/;

/** One engine event as a readable line, or undefined to skip it. */
export function formatEvent(e: EngineEvent, command: ManualCommand, diff: boolean): string | undefined {
  switch (e.kind) {
    case "resourcePre": {
      if (!e.urn || !e.op) return `  ${e.message}`;
      if (e.op === "same" && !diff && command !== "preview") return undefined;
      const { type, name } = urnParts(e.urn);
      return `  ${(OP_SIGNS[e.op] ?? "*").padEnd(2)} ${e.op.padEnd(8)} ${type}  ${name}`;
    }
    case "resOutputs": {
      // Preview: the plan line said it all, unless property names changed (shown with --diff).
      const changed = /\(changed: (.*)\)$/.exec(e.message)?.[1];
      if (command === "preview" || (e.op === "same" && !changed)) {
        return diff && changed && e.urn ? `       ${urnParts(e.urn).name}: changed ${changed}` : undefined;
      }
      if (!e.urn || !e.op) return `  ${e.message}`;
      const { type, name } = urnParts(e.urn);
      return `  ${(OP_SIGNS[e.op] ?? "*").padEnd(2)} ${(DONE[e.op] ?? `${e.op} done`).padEnd(8)} ${type}  ${name}${changed ? ` (changed: ${changed})` : ""}`;
    }
    case "resOpFailed":
      return `  ** ${e.message}`;
    case "diagnostic": {
      if (e.severity === "debug" || (e.severity === "info" && SDK_DEBUG.test(e.message))) return undefined;
      const where = e.urn ? ` ${urnParts(e.urn).name}` : "";
      const sev = e.severity === "error" ? "error" : e.severity === "warning" ? "warning" : "info";
      return e.message
        .split("\n")
        .map((l, i) => (i === 0 ? `  ${sev}${where}: ${l}` : `    ${l}`))
        .join("\n");
    }
    case "summary":
      return e.message.replace(/^summary: /, "Resources: ");
    default:
      // "cancel" ends every failed run too; an interrupt is reported by its own message.
      return undefined;
  }
}

/** Outputs as `key: value` lines, secrets as `[secret]`, keys sorted. */
export function formatOutputs(outputs: StackOutputs): string[] {
  return Object.keys(outputs)
    .sort()
    .map((k) => {
      const o = outputs[k];
      if (o === undefined) return `  ${k}: `;
      if (o.secret) return `  ${k}: [secret]`;
      return `  ${k}: ${typeof o.value === "string" ? o.value : JSON.stringify(o.value)}`;
    });
}

// ---- run ---------------------------------------------------------------------------------------

interface Io {
  out: (line: string) => void;
  err: (line: string) => void;
  interactive: boolean;
  ask: (question: string) => Promise<string>;
}

function isTty(stream: object): boolean {
  return (stream as { isTTY?: boolean }).isTTY ?? false;
}

function defaultIo(): Io {
  return {
    out: (l) => process.stdout.write(l + "\n"),
    err: (l) => process.stderr.write(l + "\n"),
    // isTTY is undefined, not false, on pipes and files.
    interactive: isTty(process.stdin) && isTty(process.stdout),
    ask: (question) =>
      new Promise((resolve) => {
        const rl = readline.createInterface({ input: process.stdin, output: process.stdout });
        rl.question(question, (answer) => {
          rl.close();
          resolve(answer);
        });
      }),
  };
}

async function confirm(io: Io, question: string): Promise<boolean> {
  const answer = (await io.ask(`${question} [yes/no] `)).trim().toLowerCase();
  return answer === "yes" || answer === "y";
}

/** Runs one manual command; returns the exit status. Every refusal and failure is printed. */
export async function run(argv: readonly string[], env: NodeJS.ProcessEnv = process.env, io: Io = defaultIo()): Promise<number> {
  const controller = new AbortController();
  let interrupts = 0;
  const onSigint = (): void => {
    interrupts++;
    if (interrupts === 1) {
      io.err(`${PREFIX} interrupt: cancelling the running operation (press ^C again to exit at once; the stack may then stay locked)`);
      controller.abort();
    } else {
      process.exit(1);
    }
  };
  process.on("SIGINT", onSigint);
  try {
    return await runCommand(argv, env, io, controller.signal);
  } catch (err) {
    io.err(`error: ${describeError(err)}`);
    return 1;
  } finally {
    process.off("SIGINT", onSigint);
  }
}

async function runCommand(argv: readonly string[], env: NodeJS.ProcessEnv, io: Io, signal: AbortSignal): Promise<number> {
  // Everything that can be refused without disk comes first.
  const args = parseArgs(argv);
  const stack = checkStackName(args.stack);
  const interactive = io.interactive && !args.nonInteractive;
  if (needsConfirmation(args) && !interactive) {
    throw new ManualRunError(
      `--yes must be passed in to proceed when running in non-interactive mode (${args.command} changes stack ${stack})`,
    );
  }
  const settings = settingsFromEnv(env);

  const file = stackConfigFile(settings.stateDir, stack);
  const req = loadStackRequest(file, stack);
  if ("passphraseFile" in settings.passphrase && !fs.existsSync(settings.passphrase.passphraseFile)) {
    throw new ManualRunError(
      `no secrets passphrase: ${settings.passphrase.passphraseFile} does not exist. Export the PULUMI_CONFIG_PASSPHRASE or ` +
        "PULUMI_CONFIG_PASSPHRASE_FILE the service uses.",
    );
  }

  // Loaded only now: the Pulumi SDK takes seconds to load, and every refusal above is instant.
  const { createAutomationRunner } = await import("../server/engine/automationRunner");
  const bin = findPulumiBinDir(env);
  const runner = createAutomationRunner({
    stateDir: settings.stateDir,
    backendUrl: settings.backendUrl,
    ...settings.passphrase,
    ...(bin !== undefined ? { pulumiBinDir: bin } : {}),
    ...(settings.pulumiHome !== undefined ? { env: { PULUMI_HOME: settings.pulumiHome } } : {}),
    projectDir: projectDir(),
    // One command per invocation: each run starts its provider, as a plain `pulumi up` does.
    sharedProviders: false,
  });

  // Like the CLI, never create a stack here: a missing one usually means other backend settings.
  const stacks = await runner.listStacks();
  if (!stacks.includes(stack)) {
    throw new ManualRunError(
      `no stack named ${stack} in backend ${settings.backendUrl}. The service creates stacks (POST /regions); ` +
        "if it uses another backend, export the same PULUMI_BACKEND_URL.",
    );
  }

  io.out(`${PREFIX} ${args.command} of stack ${stack} inline through the Automation API (no pulumi-language-nodejs on PATH)`);
  io.out(`${PREFIX} config: ${file}`);

  const seen = { errors: 0 };
  let action: ManualCommand = args.command;
  const events = {
    onEvent: (e: EngineEvent) => {
      printEvent(io, e, action, args.diff, seen);
    },
    signal,
  };
  const step = async (name: ManualCommand, fn: (r: StackRunner) => Promise<StepResult>): Promise<StepResult> => {
    const label = { preview: "Previewing update", up: "Updating", refresh: "Refreshing", destroy: "Destroying" }[name];
    io.out(`${label} (${stack}):`);
    action = name;
    return fn(runner);
  };

  try {
    return await runSteps(args, stack, req, step, io, events);
  } catch (err) {
    // The engine's errors were printed as they came: name the failed step only.
    if (err instanceof StepFailedError && seen.errors > 0) {
      throw new ManualRunError(`${err.action} of stack ${stack} failed (the errors are above)`);
    }
    throw err;
  }
}

async function runSteps(
  args: ManualArgs,
  stack: string,
  req: StackRunRequest,
  step: (name: ManualCommand, fn: (r: StackRunner) => Promise<StepResult>) => Promise<StepResult>,
  io: Io,
  events: RunOptions,
): Promise<number> {
  switch (args.command) {
    case "preview": {
      const res = await step("preview", (r) => r.preview(req, events));
      printOutputs(io, "Current outputs (before this change)", res.outputs);
      return 0;
    }
    case "up": {
      if (!args.skipPreview) {
        await step("preview", (r) => r.preview(req, events));
        if (!args.yes && !(await confirm(io, "Do you want to perform this update?"))) {
          io.err("confirmation declined, not proceeding with the update");
          return 1;
        }
      } else if (!args.yes && !(await confirm(io, `Update stack ${stack} without a preview?`))) {
        io.err("confirmation declined, not proceeding with the update");
        return 1;
      }
      const res = await step("up", (r) => r.up(req, events));
      printOutputs(io, "Outputs", res.outputs);
      return 0;
    }
    case "refresh": {
      if (!args.yes && !(await confirm(io, `Refresh stack ${stack}? This re-reads every resource and records what it finds in the state.`))) {
        io.err("confirmation declined, not proceeding with the refresh");
        return 1;
      }
      const res = await step("refresh", (r) => r.refresh(req, events));
      if (res.changes.length === 0) io.out("No drift: every resource matches its recorded state.");
      printOutputs(io, "Outputs", res.outputs);
      return 0;
    }
    case "destroy": {
      if (
        !args.yes &&
        !(await confirm(io, `Destroy every resource of stack ${stack} and remove the stack (as the service's destroy does)?`))
      ) {
        io.err("confirmation declined, not proceeding with the destroy");
        return 1;
      }
      await step("destroy", (r) => r.destroy(req, events));
      io.out(`Stack ${stack} destroyed and removed.`);
      return 0;
    }
  }
}

function printEvent(io: Io, e: EngineEvent, action: ManualCommand, diff: boolean, seen: { errors: number }): void {
  const line = formatEvent(e, action, diff);
  if (line === undefined) return;
  if (e.severity === "error") {
    seen.errors++;
    io.err(line);
  } else io.out(line);
}

function printOutputs(io: Io, title: string, outputs: StackOutputs): void {
  const lines = formatOutputs(outputs);
  if (lines.length === 0) return;
  io.out(`${title}:`);
  for (const l of lines) io.out(l);
}

function describeError(err: unknown): string {
  if (err instanceof StackBusyError) {
    return (
      `${err.message}. Wait for the other update to finish (GET /operations/{id}) and run again. If no process holds it ` +
      `(check the pid in the lock file under the backend's .pulumi/locks/organization/aragora/${err.stackName}/), ` +
      `\`npm run pulumi -- cancel -s ${err.stackName}\` removes the lock.`
    );
  }
  if (err instanceof StepFailedError || err instanceof StepCancelledError || err instanceof ManualRunError) return err.message;
  return err instanceof Error ? err.message : String(err);
}

if (require.main === module) {
  // Exit explicitly once the output is flushed: the engine's helpers must not keep a finished run alive.
  void run(process.argv.slice(2)).then((code) => {
    process.stdout.write("", () => {
      process.exit(code);
    });
  });
}
