/**
 * The inline fallback's command line and settings: `<command> [flags]` parsed as the CLI would for
 * the subset it supports, the stack name checked, and the service's engine settings read from the
 * environment scripts/env.sh prepares. Nothing here touches the disk or the engine.
 */
import { defaultBackendUrl } from "../../server/engine";
import * as path from "node:path";
import { GLOBAL_STACK, regionName } from "../../domain/spec/regionSpec";

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

export const PREFIX = "[pulumi.sh]";
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
export function needsConfirmation(args: ManualArgs): boolean {
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
  const backendUrl = env["PULUMI_BACKEND_URL"] || defaultBackendUrl(stateDir);
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
