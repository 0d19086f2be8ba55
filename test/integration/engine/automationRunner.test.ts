/**
 * The real Pulumi engine, offline: an inline program with a dynamic resource goes up, reports
 * outputs, refreshes and is destroyed on a file:// backend in a temporary directory; a second
 * stack reads the first through a StackReference; secret config comes back as a secret output.
 */
import { execFileSync } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import * as pulumi from "@pulumi/pulumi";
import { createAutomationRunner } from "../../../server/engine/automationRunner";
import { findPulumiBinDir, projectDir } from "../../../server/engine/toolchain";
import { StepFailedError, type EngineEvent } from "../../../server/engine/stackRunner";
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
let runner: ReturnType<typeof createAutomationRunner>;
let markerDir: string;

beforeAll(() => {
  stateDir = fs.mkdtempSync(path.join(os.tmpdir(), "aragora-engine-"));
  markerDir = path.join(stateDir, "markers");
  fs.mkdirSync(markerDir);
  const bin = findPulumiBinDir();
  runner = createAutomationRunner({
    stateDir,
    passphrase: "test-passphrase",
    projectDir: projectDir(),
    ...(bin ? { pulumiBinDir: bin } : {}),
  });
});

afterAll(async () => {
  await runner.close();
  fs.rmSync(stateDir, { recursive: true, force: true });
});

/** A dynamic provider whose resource is a marker file: real create/read/delete on disk. */
function markerProgram(dir: string) {
  return async () => {
    await Promise.resolve();
    const provider: pulumi.dynamic.ResourceProvider = {
      async create(inputs: { dir: string; name: string }) {
        const fsm = await import("node:fs");
        const file = `${inputs.dir}/${inputs.name}`;
        fsm.writeFileSync(file, "present");
        return { id: file, outs: { ...inputs, file, present: true } };
      },
      async read(id: string, props: Record<string, unknown>) {
        const fsm = await import("node:fs");
        return { id, props: { ...props, present: fsm.existsSync(id) } };
      },
      async delete(id: string) {
        const fsm = await import("node:fs");
        fsm.rmSync(id, { force: true });
      },
    };
    class Marker extends pulumi.dynamic.Resource {
      declare readonly file: pulumi.Output<string>;
      constructor(name: string, args: { dir: string; name: string }) {
        super(provider, name, { ...args, file: undefined, present: undefined }, {});
      }
    }
    const marker = new Marker("marker", { dir, name: "first.marker" });
    const cfg = new pulumi.Config("aragora");
    return {
      file: marker.file,
      token: cfg.requireSecret("token"),
      plain: cfg.require("plain"),
    };
  };
}

describe("the automation runner on a file backend", () => {
  it("when a program with a dynamic resource goes up, refreshes and is destroyed, then the engine really creates, notices drift and deletes", async () => {
    const events: EngineEvent[] = [];
    const req = {
      stack: "first",
      program: markerProgram(markerDir),
      config: { "aragora:token": { value: "s3cr3t-token", secret: true }, "aragora:plain": { value: "hello" } },
    };
    const up = await runner.up(req, { onEvent: (e) => events.push(e) });
    const file = path.join(markerDir, "first.marker");
    expect(fs.existsSync(file)).toBe(true);
    expect(up.summary).toEqual({ create: 2 });
    expect(up.outputs["file"]).toEqual({ value: file, secret: false });
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
    const again = await runner.up(req);
    expect(again.summary).toEqual({ same: 2 });
    expect(again.outputs).toEqual(up.outputs);

    // Drift: the file disappears behind the engine's back; refresh sees it.
    fs.rmSync(file);
    const refresh = await runner.refresh(req);
    expect(refresh.changes).toEqual([{ urn: expect.stringContaining("::marker"), op: "same", keys: ["present"] }]);

    const outputs = await runner.outputs("first");
    expect(outputs?.["token"]).toEqual({ value: "s3cr3t-token", secret: true });

    const destroyed = await runner.destroy(req);
    expect(destroyed.summary).toEqual({ delete: 2 });
    expect(await runner.listStacks()).not.toContain("first");
    expect(await runner.outputs("first")).toBeUndefined();
  });

  it("when a second stack references the first through organization/aragora/<stack>, then it reads its outputs, secrets staying secret", async () => {
    await runner.up({
      stack: "source",
      program: async () => {
        await Promise.resolve();
        return { cidr: "10.0.0.0/16", password: pulumi.secret("pw-123456") };
      },
      config: {},
    });
    const res = await runner.up({
      stack: "reader",
      program: async () => {
        await Promise.resolve();
        const ref = new pulumi.StackReference("organization/aragora/source");
        return { peerCidr: ref.getOutput("cidr"), peerPassword: ref.getOutput("password") };
      },
      config: {},
    });
    expect(res.outputs["peerCidr"]).toEqual({ value: "10.0.0.0/16", secret: false });
    expect(res.outputs["peerPassword"]).toEqual({ value: "pw-123456", secret: true });
    expect(res.outputs).toEqual(await runner.outputs("reader"));
    for (const stack of ["reader", "source"]) {
      await runner.destroy({ stack, program: async () => { await Promise.resolve(); }, config: {} });
    }
    expect(await runner.listStacks()).toEqual([]);
  });

  it("when a killed CLI left the checkpoint's metadata sidecar empty, then the failing step removes it and says so, and recover() repairs it before clearing locks", async () => {
    const req = { stack: "sidecar", program: async () => { await Promise.resolve(); return { n: 1 }; }, config: {} };
    expect((await runner.up(req)).outputs["n"]).toEqual({ value: 1, secret: false });
    const sidecar = path.join(stateDir, "backend", ".pulumi", "stacks", "aragora", "sidecar.json.attrs");
    expect(JSON.parse(fs.readFileSync(sidecar, "utf8"))).toHaveProperty("md5");

    // What fileblob leaves when the CLI dies between creating the sidecar and writing it.
    fs.writeFileSync(sidecar, "");
    const failed = runner.up(req);
    await expect(failed).rejects.toBeInstanceOf(StepFailedError);
    await expect(failed).rejects.toThrow(/failed to load checkpoint: EOF[\s\S]*\.pulumi\/stacks\/aragora\/sidecar\.json\.attrs\); they were removed, so the step can be retried/);
    expect(fs.existsSync(sidecar)).toBe(false);
    const again = await runner.up(req);
    expect(again.outputs["n"]).toEqual({ value: 1, secret: false });

    // The same damage met by recover() (start-up, or after the engine was killed): repaired first.
    fs.writeFileSync(sidecar, "");
    await runner.recover("sidecar");
    expect(fs.existsSync(sidecar)).toBe(false);
    expect((await runner.up(req)).outputs["n"]).toEqual({ value: 1, secret: false });
    await runner.destroy(req);
  });

  it("when runs follow each other, then they attach to one dynamic-provider server kept between them; a failed run's server is killed and the next run gets a new one", async () => {
    // The provider reports the process it runs in: the pool's server, not a plugin the CLI started.
    const program = (n: number, fail = false) => async () => {
      await Promise.resolve();
      const provider: pulumi.dynamic.ResourceProvider = {
        async create(inputs: { n: number; fail: boolean }) {
          await Promise.resolve();
          if (inputs.fail) throw new Error("create refused on purpose");
          return { id: `pid-${String(inputs.n)}`, outs: { ...inputs, pid: process.pid } };
        },
      };
      class Pid extends pulumi.dynamic.Resource {
        declare readonly pid: pulumi.Output<number>;
        constructor(name: string, args: { n: number; fail: boolean }) {
          super(provider, name, { ...args, pid: undefined }, {});
        }
      }
      // A new resource per n: each run creates one (and deletes the last, a no-op here).
      return { pid: new Pid(`pid-${String(n)}`, { n, fail }).pid };
    };
    const up = async (n: number) => (await runner.up({ stack: "pool", program: program(n), config: {} })).outputs["pid"]?.value as number;

    const first = await up(1);
    expect(runner.providerPids()).toEqual([first]);
    const second = await up(2);
    expect(second).toBe(first);
    expect(runner.providerPids()).toEqual([first]);

    await expect(runner.up({ stack: "pool", program: program(3, true), config: {} })).rejects.toThrow(/create refused on purpose/);
    await until(() => !alive(first));
    expect(runner.providerPids()).toEqual([]);
    const third = await up(4);
    expect(third).not.toBe(first);
    expect(runner.providerPids()).toEqual([third]);
    await runner.destroy({ stack: "pool", program: program(4), config: {} });
  });

  it("when a provider prints while it works, then its lines join the run's events, in either provider mode", async () => {
    const program = (tag: string) => async () => {
      await Promise.resolve();
      const provider: pulumi.dynamic.ResourceProvider = {
        async create(inputs: { tag: string }) {
          await Promise.resolve();
          console.log(`provider stdout ${inputs.tag}`);
          console.error(`provider stderr ${inputs.tag}`);
          return { id: inputs.tag, outs: {} };
        },
      };
      class Chatty extends pulumi.dynamic.Resource {
        constructor(name: string, args: { tag: string }) {
          super(provider, name, args, {});
        }
      }
      new Chatty("chatty", { tag });
      return {};
    };
    const bin = findPulumiBinDir();
    const launched = createAutomationRunner({ stateDir, passphrase: "test-passphrase", projectDir: projectDir(), sharedProviders: false, ...(bin ? { pulumiBinDir: bin } : {}) });
    for (const [mode, r, stack] of [["shared", runner, "chatty-shared"], ["launched", launched, "chatty-launched"]] as const) {
      const events: EngineEvent[] = [];
      await r.up({ stack, program: program(mode), config: {} }, { onEvent: (e) => events.push(e) });
      const said = events.filter((e) => e.kind === "diagnostic").map((e) => e.message);
      expect({ mode, said }).toEqual({ mode, said: expect.arrayContaining([`provider stdout ${mode}`, `provider stderr ${mode}`]) as unknown });
      await r.destroy({ stack, program: program(mode), config: {} });
    }
  });

  it("when shared providers are turned off, then each run starts its own provider", async () => {
    const bin = findPulumiBinDir();
    const own = createAutomationRunner({ stateDir, passphrase: "test-passphrase", projectDir: projectDir(), sharedProviders: false, ...(bin ? { pulumiBinDir: bin } : {}) });
    const program = async () => {
      await Promise.resolve();
      const provider: pulumi.dynamic.ResourceProvider = {
        async create() {
          await Promise.resolve();
          return { id: "own", outs: { pid: process.pid } };
        },
      };
      class Pid extends pulumi.dynamic.Resource {
        declare readonly pid: pulumi.Output<number>;
        constructor(name: string) {
          super(provider, name, { pid: undefined }, {});
        }
      }
      return { pid: new Pid("pid").pid };
    };
    const res = await own.up({ stack: "own", program, config: {} });
    const pid = res.outputs["pid"]?.value as number;
    expect(pid).toEqual(expect.any(Number));
    expect(own.providerPids()).toEqual([]);
    expect(alive(pid)).toBe(false); // the plugin exited with its run
    await own.destroy({ stack: "own", program, config: {} });
  });

  it("when a new stack runs and its config changes, then it is created and configured without read-backs; a hand edit of its config is read back", async () => {
    // A `pulumi` that logs its arguments and runs the real one.
    const real = path.join(findPulumiBinDir() ?? path.dirname(execFileSync("which", ["pulumi"], { encoding: "utf8" }).trim()), "pulumi");
    const shim = path.join(stateDir, "shim", "bin");
    fs.mkdirSync(shim, { recursive: true });
    const log = path.join(stateDir, "shim", "calls.log");
    fs.writeFileSync(path.join(shim, "pulumi"), `#!/bin/sh\necho "$*" >> '${log}'\nexec '${real}' "$@"\n`, { mode: 0o755 });
    const counted = createAutomationRunner({ stateDir, passphrase: "test-passphrase", projectDir: projectDir(), pulumiBinDir: shim });
    const calls = (): string[] => {
      const lines = fs.existsSync(log) ? fs.readFileSync(log, "utf8").split("\n").filter((l) => l !== "" && !l.startsWith("version")) : [];
      fs.rmSync(log, { force: true });
      return lines.map((l) => l.split(" ").slice(0, 2).join(" "));
    };
    const program = async () => {
      await Promise.resolve();
      return { n: 1 };
    };
    try {
      await counted.up({ stack: "counted", program, config: { "aragora:a": { value: "1" }, "aragora:b": { value: "x" } } });
      expect(calls()).toEqual(["stack init", "config set-all", "up --yes"]);
      await counted.up({ stack: "counted", program, config: { "aragora:a": { value: "2" } } });
      expect(calls()).toEqual(["config rm-all", "config set-all", "up --yes"]);
      await counted.up({ stack: "counted", program, config: { "aragora:a": { value: "2" } } });
      expect(calls()).toEqual(["up --yes"]);
      // By hand: the runner no longer knows what the file holds, and reads it.
      const file = path.join(stateDir, "stacks", "Pulumi.counted.yaml");
      fs.appendFileSync(file, "  aragora:extra: by-hand\n");
      await counted.up({ stack: "counted", program, config: { "aragora:a": { value: "2" } } });
      expect(calls()).toEqual(["config --show-secrets", "config rm-all", "config set-all", "up --yes"]);
      expect(fs.readFileSync(file, "utf8")).not.toContain("by-hand");
      await counted.destroy({ stack: "counted", program, config: {} });
    } finally {
      await counted.close();
    }
  });

  it("when a stack name could escape its directory, then the runner refuses it before touching disk", async () => {
    await expect(runner.up({ stack: "../evil", program: async () => { await Promise.resolve(); }, config: {} })).rejects.toThrow(/invalid stack name/);
    expect(fs.existsSync(path.join(stateDir, "evil"))).toBe(false);
  });
});
