/**
 * The real Pulumi engine, offline: an inline program with a dynamic resource goes up, reports
 * outputs, refreshes and is destroyed on a file:// backend in a temporary directory; a second
 * stack reads the first through a StackReference; secret config comes back as a secret output.
 */
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import * as pulumi from "@pulumi/pulumi";
import { createAutomationRunner } from "../../../server/engine/automationRunner";
import { findPulumiBinDir, projectDir } from "../../../server/engine/toolchain";
import { StepFailedError, type EngineEvent, type StackRunner } from "../../../server/engine/stackRunner";

jest.setTimeout(180_000);

let stateDir: string;
let runner: StackRunner;
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

afterAll(() => {
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

  it("when a stack name could escape its directory, then the runner refuses it before touching disk", async () => {
    await expect(runner.up({ stack: "../evil", program: async () => { await Promise.resolve(); }, config: {} })).rejects.toThrow(/invalid stack name/);
    expect(fs.existsSync(path.join(stateDir, "evil"))).toBe(false);
  });
});
