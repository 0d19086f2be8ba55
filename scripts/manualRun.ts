/**
 * `npm run pulumi -- preview|up|refresh|destroy -s <stack>` without the Node.js language host.
 *
 * scripts/pulumi.sh runs this when `pulumi-language-nodejs` is not on PATH (the project's own CLI
 * is built without it). It runs the same program the service runs, inline through the service's
 * own engine adapter (scripts/manual/engine.ts): same workspace dir per stack, same backend,
 * passphrase and stack config file, so the stack lock, config and state are shared with the
 * service. The config comes from exactly the file the service wrote
 * (`<state dir>/stacks/Pulumi.<stack>.yaml`), validated as stacks/index.ts validates it.
 *
 * Settings come from the environment scripts/env.sh prepares: ARAGORA_STATE_DIR,
 * PULUMI_BACKEND_URL, PULUMI_CONFIG_PASSPHRASE or PULUMI_CONFIG_PASSPHRASE_FILE, PULUMI_HOME.
 * Exit status: 0 success, 1 failure (including refusals). See docs/manual-pulumi.md.
 */
import * as fs from "node:fs";
import * as readline from "node:readline";
import { checkStackName, ManualRunError, needsConfirmation, parseArgs, PREFIX, settingsFromEnv, stackConfigFile, type ManualArgs, type ManualCommand } from "./manual/args";
import { createInlineRunner, StackBusyError, StepCancelledError, StepFailedError, type EngineEvent, type RunOptions, type StackOutputs, type StackRunner, type StackRunRequest, type StepResult } from "./manual/engine";
import { formatEvent, formatOutputs } from "./manual/format";
import { loadStackRequest } from "./manual/stackFile";

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
  const runner = await createInlineRunner(settings, env);

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
