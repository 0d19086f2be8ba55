/**
 * The real Pulumi engine, offline: a program with resources of the project's own provider
 * (`aragora-local`) goes up, reports outputs, refreshes and is destroyed on a file:// backend in a
 * temporary directory; a second stack reads the first through a StackReference; secret config
 * comes back as a secret output. Runs attach to a provider server kept between them.
 */
import { execFileSync } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import * as pulumi from "@pulumi/pulumi";
import type { PulumiFn } from "@pulumi/pulumi/automation";
import { createAutomationRunner } from "../../../server/engine/automationRunner";
import { findPulumiBinDir, projectDir } from "../../../server/engine/toolchain";
import { pluginsIn } from "../../../server/engine/orphans";
import type { EngineEvent, StackConfig } from "../../../server/engine/stackRunner";
import { ownPlugins } from "../../../stacks/plugins";
import { GeneratedSecret, OwnedDir } from "../../../components/local/resources";
import { alive } from "../../support/processTree";

/** Waits up to 10 s for `cond`. */
async function until(cond: () => boolean): Promise<void> {
  const deadline = Date.now() + 10_000;
  while (!cond()) {
    if (Date.now() > deadline) throw new Error("timed out");
    await new Promise((r) => setTimeout(r, 50));
  }
}

jest.setTimeout(180_000);

let stateDir: string;
let root: string;
let runner: ReturnType<typeof createAutomationRunner>;

/** Each test's program, by stack: the runner runs one program, which picks by stack name (as stacks/program.ts does). */
const programs = new Map<string, PulumiFn>();
const program: PulumiFn = async () => {
  const own = programs.get(pulumi.getStack());
  if (!own) throw new Error(`no test program for stack ${pulumi.getStack()}`);
  return own();
};
function req(stack: string, fn: PulumiFn, config: StackConfig = {}): { stack: string; config: StackConfig } {
  programs.set(stack, fn);
  return { stack, config };
}
const empty: PulumiFn = async () => { await Promise.resolve(); };

function runnerWith(extra: { sharedProviders?: boolean; pulumiBinDir?: string } = {}) {
  const bin = findPulumiBinDir();
  return createAutomationRunner({ stateDir, passphrase: "test-passphrase", projectDir: projectDir(), program, plugins: ownPlugins(), ...(bin ? { pulumiBinDir: bin } : {}), ...extra });
}

beforeAll(() => {
  stateDir = fs.mkdtempSync(path.join(os.tmpdir(), "aragora-engine-"));
  fs.chmodSync(stateDir, 0o755);
  root = path.join(stateDir, "local");
  runner = runnerWith();
});

afterAll(async () => {
  await runner.close();
  fs.rmSync(stateDir, { recursive: true, force: true });
});

/** An owned directory (a real aragora-local resource) and the stack's config read back. */
function dirProgram(name: string): PulumiFn {
  return async () => {
    await Promise.resolve();
    const dir = new OwnedDir("dir", { root, path: path.join(root, name) });
    const cfg = new pulumi.Config("aragora");
    return { path: dir.path, token: cfg.requireSecret("token"), plain: cfg.require("plain") };
  };
}

describe("the automation runner on a file backend", () => {
  it("when a program with an aragora-local resource goes up, refreshes and is destroyed, then the engine really creates, notices drift and deletes", async () => {
    const events: EngineEvent[] = [];
    const first = req("first", dirProgram("first"), { "aragora:token": { value: "s3cr3t-token", secret: true }, "aragora:plain": { value: "hello" } });
    const up = await runner.up(first, { onEvent: (e) => events.push(e) });
    const dir = path.join(root, "first");
    expect(fs.statSync(dir).isDirectory()).toBe(true);
    expect(up.summary).toEqual({ create: 2 }); // the stack and the directory (provider resources are not counted)
    expect(up.outputs["path"]).toEqual({ value: dir, secret: false });
    expect(up.outputs["plain"]).toEqual({ value: "hello", secret: false });
    expect(up.outputs["token"]?.secret).toBe(true);
    expect(events.some((e) => e.kind === "summary")).toBe(true);
    expect(JSON.stringify(events)).not.toContain("s3cr3t-token");
    // The up's outputs come from the program itself (no CLI read-back): exactly what the CLI reads.
    expect(up.outputs).toEqual(await runner.outputs("first"));

    // The config file sits in the shared stack config dir, with the secret encrypted.
    const cfgFile = fs.readFileSync(path.join(stateDir, "stacks", "Pulumi.first.yaml"), "utf8");
    expect(cfgFile).toContain("aragora:plain: hello");
    expect(cfgFile).not.toContain("s3cr3t-token");

    // A second up with nothing changed changes nothing.
    const again = await runner.up(first);
    expect(again.summary).toEqual({ same: 2 });
    expect(again.outputs).toEqual(up.outputs);

    // Drift: the directory disappears behind the engine's back; refresh sees it, up repairs it.
    fs.rmSync(dir, { recursive: true });
    const refresh = await runner.refresh(first);
    expect(refresh.changes).toEqual([{ urn: expect.stringContaining("aragora-local:index:Dir::dir"), op: "update", keys: ["present"] }]);
    expect((await runner.up(first)).summary).toEqual({ same: 1, update: 1 });
    expect(fs.existsSync(dir)).toBe(true);

    const outputs = await runner.outputs("first");
    expect(outputs?.["token"]).toEqual({ value: "s3cr3t-token", secret: true });

    const destroyed = await runner.destroy(first);
    expect(destroyed.summary).toEqual({ delete: 2 });
    expect(fs.existsSync(dir)).toBe(false);
    expect(await runner.listStacks()).not.toContain("first");
    expect(await runner.outputs("first")).toBeUndefined();
  });

  it("when a second stack references the first through organization/aragora/<stack>, then it reads its outputs, secrets staying secret", async () => {
    await runner.up(req("source", async () => {
      await Promise.resolve();
      return { cidr: "10.0.0.0/16", password: pulumi.secret("pw-123456") };
    }));
    const res = await runner.up(req("reader", async () => {
      await Promise.resolve();
      const ref = new pulumi.StackReference("organization/aragora/source");
      return { peerCidr: ref.getOutput("cidr"), peerPassword: ref.getOutput("password") };
    }));
    expect(res.outputs["peerCidr"]).toEqual({ value: "10.0.0.0/16", secret: false });
    expect(res.outputs["peerPassword"]).toEqual({ value: "pw-123456", secret: true });
    expect(res.outputs).toEqual(await runner.outputs("reader"));
    for (const stack of ["reader", "source"]) {
      await runner.destroy(req(stack, empty));
    }
    expect(await runner.listStacks()).toEqual([]);
  });

  it("when runs follow each other, then they attach to one provider server kept between them; a failed run's server is killed and the next run gets a new one", async () => {
    const secretProgram = (n: number, bytes = 24): PulumiFn => async () => {
      await Promise.resolve();
      // A new resource per n: each run creates one (and deletes the last).
      return { value: new GeneratedSecret(`secret-${String(n)}`, { bytes }).value };
    };
    await runner.up(req("pool", secretProgram(1)));
    const [first] = runner.providerPids();
    expect(runner.providerPids()).toEqual([first]);
    expect(alive(first ?? -1)).toBe(true);
    await runner.up(req("pool", secretProgram(2)));
    expect(runner.providerPids()).toEqual([first]);

    // The provider refuses the input (bytes out of range): the run fails, its server is killed.
    await expect(runner.up(req("pool", secretProgram(3, 3)))).rejects.toThrow(/bytes/);
    await until(() => !alive(first ?? -1));
    expect(runner.providerPids()).toEqual([]);
    const out = await runner.up(req("pool", secretProgram(4)));
    expect(out.outputs["value"]?.secret).toBe(true);
    const [second] = runner.providerPids();
    expect(second).not.toBe(first);
    expect(runner.providerPids()).toEqual([second]);
    await runner.destroy(req("pool", secretProgram(4)));
  });

  it("when shared providers are turned off, then the engine launches the aragora-local plugin itself for the run, from PATH, and it exits with the run", async () => {
    const own = runnerWith({ sharedProviders: false });
    const stack = req("own", dirProgram("own"), { "aragora:token": { value: "t0ken-own", secret: true }, "aragora:plain": { value: "p" } });
    try {
      const res = await own.up(stack);
      expect(res.summary).toEqual({ create: 2 });
      expect(fs.existsSync(path.join(root, "own"))).toBe(true);
      expect(own.providerPids()).toEqual([]);
      expect(pluginsIn(path.join(stateDir, "workspaces", "own"))).toEqual([]);
      await own.destroy(stack);
      expect(fs.existsSync(path.join(root, "own"))).toBe(false);
    } finally {
      await own.close();
    }
  });

  it("when a new stack runs and its config changes, then it is created and configured without read-backs; a hand edit of its config is read back", async () => {
    // A `pulumi` that logs its arguments and runs the real one.
    const real = path.join(findPulumiBinDir() ?? path.dirname(execFileSync("which", ["pulumi"], { encoding: "utf8" }).trim()), "pulumi");
    const shim = path.join(stateDir, "shim", "bin");
    fs.mkdirSync(shim, { recursive: true });
    const log = path.join(stateDir, "shim", "calls.log");
    fs.writeFileSync(path.join(shim, "pulumi"), `#!/bin/sh\necho "$*" >> '${log}'\nexec '${real}' "$@"\n`, { mode: 0o755 });
    const counted = runnerWith({ pulumiBinDir: shim });
    const calls = (): string[] => {
      const lines = fs.existsSync(log) ? fs.readFileSync(log, "utf8").split("\n").filter((l) => l !== "" && !l.startsWith("version")) : [];
      fs.rmSync(log, { force: true });
      return lines.map((l) => l.split(" ").slice(0, 2).join(" "));
    };
    const one: PulumiFn = async () => {
      await Promise.resolve();
      return { n: 1 };
    };
    try {
      await counted.up(req("counted", one, { "aragora:a": { value: "1" }, "aragora:b": { value: "x" } }));
      expect(calls()).toEqual(["stack init", "config set-all", "up --yes", "stack history"]);
      await counted.up(req("counted", one, { "aragora:a": { value: "2" } }));
      expect(calls()).toEqual(["config rm-all", "config set-all", "up --yes", "stack history"]);
      await counted.up(req("counted", one, { "aragora:a": { value: "2" } }));
      expect(calls()).toEqual(["up --yes", "stack history"]);
      // By hand: the runner no longer knows what the file holds, and reads it.
      const file = path.join(stateDir, "stacks", "Pulumi.counted.yaml");
      fs.appendFileSync(file, "  aragora:extra: by-hand\n");
      await counted.up(req("counted", one, { "aragora:a": { value: "2" } }));
      expect(calls()).toEqual(["config --show-secrets", "config rm-all", "config set-all", "up --yes", "stack history"]);
      expect(fs.readFileSync(file, "utf8")).not.toContain("by-hand");
      await counted.destroy(req("counted", one));
    } finally {
      await counted.close();
    }
  });

  it("when a stack name could escape its directory, then the runner refuses it before touching disk", async () => {
    await expect(runner.up(req("../evil", empty))).rejects.toThrow(/invalid stack name/);
    expect(fs.existsSync(path.join(stateDir, "evil"))).toBe(false);
  });
});
