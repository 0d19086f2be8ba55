/**
 * `npm run pulumi -- preview|up|refresh|destroy` without the Node.js language host: scripts/pulumi.sh
 * runs the stack's program inline (scripts/manualRun.ts) with the real engine, from the config file
 * the service wrote, on the service's backend.
 *
 * The service is played by its own pieces: loadConfig/prepareStateDir (passphrase file) and the
 * automation runner, whose first step on a stack creates it and writes its config file. The fleet
 * is one local primary region plus `global`; nothing is deployed (preview only), so no process of
 * the local target starts. Ports in the config: 46000-46999 (never opened).
 */
import { spawn } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { loadConfig, prepareStateDir } from "../../../server/config";
import { createAutomationRunner } from "../../../server/engine/automationRunner";
import { findPulumiBinDir, projectDir } from "../../../server/engine/toolchain";
import { globalStackConfigValues, regionStackConfigValues } from "../../../domain/stackConfigEncoding";
import { parse as parseYaml } from "yaml";
import { fleetOf, globalConfig, regionConfig, type LocalRegionDef } from "../local/helpers";
import { freePortBlock, portOpen } from "../../support/ports";
import { killAll, processesMentioning } from "../../support/processTree";
import * as pulumi from "@pulumi/pulumi";
import type { PulumiFn } from "@pulumi/pulumi/automation";
import { ownPlugins } from "../../../stacks/plugins";

jest.setTimeout(240_000);

const ROOT = projectDir();
const REGION = "us-east-1";
/** Type prefix of the local target's resources. */
const LOCAL = "aragora-local:index";

let tmp: string;
let stateDir: string;
let localRoot: string;
let runner: ReturnType<typeof createAutomationRunner>;
let regionFile: string;
let portBase: number;
let glbPort: number;
let globalFile: string;

interface Run {
  code: number | null;
  stdout: string;
  stderr: string;
  ms: number;
}

/** The environment a person's shell would have, minus any Pulumi/Aragora settings of this machine. */
function baseEnv(extra: Record<string, string>): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = { ...process.env };
  for (const k of ["PULUMI_BACKEND_URL", "PULUMI_CONFIG_PASSPHRASE", "PULUMI_CONFIG_PASSPHRASE_FILE", "PULUMI_HOME", "ARAGORA_STATE_DIR", "ARAGORA_PULUMI_INLINE"]) {
    env[k] = undefined;
  }
  return { ...env, ...extra };
}

/** `bash scripts/pulumi.sh <args>` with stdin not a TTY (/dev/null). */
function wrapper(args: string[], extra: Record<string, string> = {}): Promise<Run> {
  const started = Date.now();
  return new Promise((resolve, reject) => {
    const child = spawn("bash", [path.join(ROOT, "scripts", "pulumi.sh"), ...args], {
      cwd: ROOT,
      env: baseEnv({ ARAGORA_STATE_DIR: stateDir, ARAGORA_PULUMI_INLINE: "1", ...extra }),
      stdio: ["ignore", "pipe", "pipe"],
    });
    let stdout = "";
    let stderr = "";
    child.stdout.setEncoding("utf8").on("data", (c: string) => (stdout += c));
    child.stderr.setEncoding("utf8").on("data", (c: string) => (stderr += c));
    child.on("error", reject);
    child.on("close", (code) => {
      resolve({ code, stdout, stderr, ms: Date.now() - started });
    });
  });
}

/** `op type name` of every plan line the runner printed (`  + create   <type>  <name>`). */
function planLines(stdout: string): { op: string; type: string; name: string }[] {
  const out: { op: string; type: string; name: string }[] = [];
  for (const line of stdout.split("\n")) {
    const m = /^ {2}(?:\+|~|-|\+-|\+\+|--|>|=| ) +(create|update|delete|replace|same|read|refresh|import)\s+(\S+) {2}(\S+)$/.exec(line);
    if (m) out.push({ op: m[1] ?? "", type: m[2] ?? "", name: m[3] ?? "" });
  }
  return out;
}

/** The service stand-in's programs by stack (default: an empty program). */
const programs = new Map<string, PulumiFn>();
const empty: PulumiFn = () => Promise.resolve({});

function lockFiles(stack: string): string[] {
  const dir = path.join(stateDir, "backend", ".pulumi", "locks", "organization", "aragora", stack);
  return fs.existsSync(dir) ? fs.readdirSync(dir) : [];
}

beforeAll(async () => {
  tmp = fs.mkdtempSync(path.join(os.tmpdir(), "aragora-manual-"));
  fs.chmodSync(tmp, 0o755); // as root, the local daemons run as the daemon user and must reach the regions below
  stateDir = path.join(tmp, "state");
  localRoot = path.join(tmp, "regions");
  // The service's own start-up: state dir, backend dir, generated passphrase file.
  const config = loadConfig({ ARAGORA_STATE_DIR: stateDir }, ROOT);
  const engineEnv = prepareStateDir(config);
  const bin = findPulumiBinDir();
  runner = createAutomationRunner({
    // The service stand-in runs its own small programs (by stack); the manual run runs the real one.
    program: () => (programs.get(pulumi.getStack()) ?? empty)(),
    plugins: ownPlugins(),
    stateDir,
    backendUrl: config.backendUrl,
    passphraseFile: config.passphraseFile,
    env: engineEnv,
    projectDir: ROOT,
    ...(bin ? { pulumiBinDir: bin } : {}),
  });
  portBase = await freePortBlock(100, 46000, 46999);
  glbPort = portBase + 90;
  const def: LocalRegionDef = { name: REGION, primary: true, portBase, geo: ["WNAM", "ENAM"], cidr: "10.0.0.0/16" };
  const fleet = fleetOf([def], localRoot, glbPort, 1);
  // The service's first step on each stack (a preview of an empty program here) creates the stack
  // and writes its config file: that file is what the manual run must use.
  await runner.preview({ stack: REGION, config: regionStackConfigValues(regionConfig(def, fleet, 1)) });
  await runner.preview({ stack: "global", config: globalStackConfigValues(globalConfig(fleet)) });
  regionFile = path.join(stateDir, "stacks", `Pulumi.${REGION}.yaml`);
  globalFile = path.join(stateDir, "stacks", "Pulumi.global.yaml");
});

afterAll(async () => {
  await runner.close();
  // Whatever a failed step left running (the global load balancer's HAProxy) is killed, then reported.
  const left = processesMentioning(tmp);
  killAll(left.map((p) => p.pid));
  fs.rmSync(tmp, { recursive: true, force: true });
  expect(left).toEqual([]);
});

describe("npm run pulumi without the Node.js language host", () => {
  it("when a region stack is previewed, then the plan lists the local target's resources and nothing changes", async () => {
    const before = fs.readFileSync(regionFile, "utf8");
    const res = await wrapper(["preview", "-s", REGION, "--diff"]);
    expect(res.stdout).toContain(`[pulumi.sh] preview of stack ${REGION} inline through the Automation API`);
    expect(res.stdout).toContain(`[pulumi.sh] config: ${regionFile}`);
    const plan = planLines(res.stdout);
    expect(plan.filter((p) => p.op !== "create")).toEqual([]);
    const types = [...new Set(plan.map((p) => p.type))];
    expect(plan).toContainEqual({ op: "create", type: "pulumi:pulumi:Stack", name: `aragora-${REGION}` });
    expect(plan).toContainEqual({ op: "create", type: "aragora:local:Region", name: REGION });
    expect(plan).toContainEqual({ op: "create", type: `${LOCAL}:Dir`, name: `${REGION}-dir` });
    expect(plan).toContainEqual({ op: "create", type: `${LOCAL}:Secret`, name: `${REGION}-pg-superuser-password` });
    if (res.code === 0) {
      expect(res.stderr).toBe("");
      for (const t of ["Postgres", "Redis", "Sentinel", "AppProcess"]) expect(types).toContain(`${LOCAL}:${t}`);
      expect(res.stdout).toMatch(/^Resources: create=\d+ in \d+s$/m);
    } else {
      // A failure inside the local target's own preview (it is still being finished): reported
      // as the engine gave it, resource by resource, then the failed step.
      expect(res.code).toBe(1);
      expect(res.stderr).toMatch(new RegExp(`^ {2}error ${REGION}-[a-z0-9-]+: aragora-local:index:`, "m"));
      expect(res.stderr.trimEnd().split("\n").pop()).toBe(`error: preview of stack ${REGION} failed (the errors are above)`);
    }
    // Nothing changed: same config file, no lock, no state, no local region on disk.
    expect(fs.readFileSync(regionFile, "utf8")).toBe(before);
    expect(lockFiles(REGION)).toEqual([]);
    expect(await runner.outputs(REGION)).toEqual({});
    expect(fs.existsSync(localRoot)).toBe(false);
  });

  it("when the global stack is previewed, brought up, refreshed and destroyed through the wrapper, then each step really happens and prints its plan and outputs", async () => {
    // The service stand-in: the region stack exports the app ports the global load balancer reads
    // (a stack with outputs only, so no PostgreSQL or Redis is started), from its unchanged config file.
    const regionBefore = fs.readFileSync(regionFile, "utf8");
    const regionValues = (parseYaml(regionBefore) as { config: Record<string, string> }).config;
    programs.set(REGION, () => Promise.resolve({ appPorts: [portBase + 30] }));
    await runner.up({ stack: REGION, config: Object.fromEntries(Object.entries(regionValues).map(([k, v]) => [k, { value: v }])) });
    expect(fs.readFileSync(regionFile, "utf8")).toBe(regionBefore);
    const globalBefore = fs.readFileSync(globalFile, "utf8");

    const preview = await wrapper(["preview", "--stack=global"]);
    expect({ code: preview.code, stderr: preview.stderr }).toEqual({ code: 0, stderr: "" });
    const plan = planLines(preview.stdout);
    expect(plan).toContainEqual({ op: "create", type: "aragora:local:GlobalLoadBalancer", name: "global" });
    expect(plan).toContainEqual({ op: "create", type: `${LOCAL}:Dir`, name: "global-dir" });
    expect(plan).toContainEqual({ op: "create", type: `${LOCAL}:Haproxy`, name: "global-haproxy" });
    expect(plan).toContainEqual({ op: "read", type: "pulumi:pulumi:StackReference", name: `organization/aragora/${REGION}` });
    expect(fs.readFileSync(globalFile, "utf8")).toBe(globalBefore);
    expect(lockFiles("global")).toEqual([]);
    expect(fs.existsSync(localRoot)).toBe(false);
    expect(await portOpen(glbPort)).toBe(false);

    const up = await wrapper(["up", "-s", "global", "--yes"]);
    expect({ code: up.code, stderr: up.stderr }).toEqual({ code: 0, stderr: "" });
    expect(up.stdout).toContain("Previewing update (global):");
    expect(up.stdout).toContain("Updating (global):");
    expect(up.stdout).toMatch(/^Resources: create=\d+ in \d+s$/m);
    const outputs = up.stdout.slice(up.stdout.indexOf("\nOutputs:\n"));
    expect(outputs).toContain(`\n  glbPort: ${glbPort}\n`);
    expect(outputs).toContain(`\n  glbUrl: http://127.0.0.1:${glbPort}\n`);
    expect(outputs).toContain(`\n  backends: {"${REGION}":[${portBase + 30}]}\n`);
    expect(await portOpen(glbPort)).toBe(true);
    expect(fs.readFileSync(globalFile, "utf8")).toBe(globalBefore);
    expect(lockFiles("global")).toEqual([]);

    const refresh = await wrapper(["refresh", "-s", "global", "--yes"]);
    expect({ code: refresh.code, stderr: refresh.stderr }).toEqual({ code: 0, stderr: "" });
    expect(refresh.stdout).toContain("Refreshing (global):");
    expect(refresh.stdout).toContain(`  ~  refresh  ${LOCAL}:Haproxy  global-haproxy`);

    const destroy = await wrapper(["destroy", "-s", "global", "--yes"]);
    expect({ code: destroy.code, stderr: destroy.stderr }).toEqual({ code: 0, stderr: "" });
    expect(destroy.stdout).toContain(`  -  deleted  ${LOCAL}:Haproxy  global-haproxy`);
    expect(destroy.stdout.trimEnd().split("\n").pop()).toBe("Stack global destroyed and removed.");
    expect(await runner.listStacks()).not.toContain("global");
    expect(await portOpen(glbPort)).toBe(false);
    // Like the service's destroy, the stack's config file goes with the stack.
    expect(fs.existsSync(globalFile)).toBe(false);
  }, 600_000);

  it("when up runs without --yes and stdin is not a TTY, then it refuses before touching the stack", async () => {
    const before = fs.readFileSync(regionFile, "utf8");
    const res = await wrapper(["up", "-s", REGION]);
    expect(res.code).toBe(1);
    expect(res.stderr).toBe(
      `error: --yes must be passed in to proceed when running in non-interactive mode (up changes stack ${REGION})\n`,
    );
    expect(res.stdout).toBe("");
    expect(fs.readFileSync(regionFile, "utf8")).toBe(before);
    expect(lockFiles(REGION)).toEqual([]);
  });

  it("when destroy or refresh run without --yes and stdin is not a TTY, then they refuse too", async () => {
    for (const cmd of ["destroy", "refresh"]) {
      const res = await wrapper([cmd, "-s", REGION]);
      expect({ cmd, code: res.code, stderr: res.stderr }).toEqual({
        cmd,
        code: 1,
        stderr: `error: --yes must be passed in to proceed when running in non-interactive mode (${cmd} changes stack ${REGION})\n`,
      });
    }
    expect(await runner.listStacks()).toContain(REGION);
  });

  it("when the stack name is not a region name or global, then it is refused before anything is created on disk", async () => {
    const fresh = path.join(tmp, "fresh-state");
    for (const [name, reason] of [
      ["../evil", "must be 3-32 characters of lowercase letters"],
      ["fleet", "is a reserved name (global, fleet)"],
      ["EU-West-1", "must be 3-32 characters of lowercase letters"],
    ] as const) {
      const res = await wrapper(["preview", "-s", name], { ARAGORA_STATE_DIR: fresh });
      expect({ name, code: res.code }).toEqual({ name, code: 1 });
      expect(res.stderr).toContain(`error: ${JSON.stringify(name)} is not a stack of this project: a stack is global or a region name, and a region name ${reason}`);
    }
    expect(fs.existsSync(fresh)).toBe(false);
  });

  it("when the stack has no config file from the service, then it says so and changes nothing", async () => {
    const res = await wrapper(["preview", "-s", "eu-west-1"]);
    expect(res.code).toBe(1);
    expect(res.stderr).toContain(`error: no service config for stack eu-west-1 at ${path.join(stateDir, "stacks", "Pulumi.eu-west-1.yaml")}.`);
    expect(await runner.listStacks()).not.toContain("eu-west-1");
  });

  it("when an option the inline run does not support is passed, then it is refused with the supported list", async () => {
    const res = await wrapper(["up", "-s", REGION, "--yes", "--target", "urn:x"]);
    expect(res.code).toBe(1);
    expect(res.stderr).toContain('error: option "--target" is not supported without the Node.js language host');
    expect(lockFiles(REGION)).toEqual([]);
  });

  it("when the stack is locked by another update, then up fails at once with the lock message and changes nothing", async () => {
    const dir = path.join(stateDir, "backend", ".pulumi", "locks", "organization", "aragora", REGION);
    fs.mkdirSync(dir, { recursive: true });
    const lock = path.join(dir, "0a1b2c3d-manual-test.json");
    const outputsBefore = await runner.outputs(REGION);
    fs.writeFileSync(lock, JSON.stringify({ pid: 999999, username: "someone", hostname: "elsewhere", timestamp: new Date().toISOString() }));
    try {
      const res = await wrapper(["up", "-s", REGION, "--yes", "--skip-preview"]);
      expect(res.code).toBe(1);
      expect(res.stderr).toContain(`error: stack ${REGION} is locked by another update (another service instance or a manual pulumi run).`);
      expect(res.stderr).toContain(`\`npm run pulumi -- cancel -s ${REGION}\` removes the lock.`);
      expect(fs.existsSync(lock)).toBe(true);
      expect(await runner.outputs(REGION)).toEqual(outputsBefore);
    } finally {
      fs.rmSync(lock, { force: true });
    }
  });
});

describe("scripts/pulumi.sh routing", () => {
  let fakeBin: string;
  let noToolchain: string;

  beforeAll(() => {
    fakeBin = path.join(tmp, "fake-bin");
    noToolchain = path.join(tmp, "no-toolchain");
    fs.mkdirSync(fakeBin);
    fs.mkdirSync(noToolchain);
    fs.writeFileSync(path.join(fakeBin, "pulumi"), '#!/bin/sh\necho "fake-pulumi $*"\n', { mode: 0o755 });
  });

  /** PATH: a fake `pulumi` that prints its arguments, node, and the system tools; no toolchain cache. */
  function fakeEnv(): Record<string, string> {
    return {
      ARAGORA_TOOLCHAIN_DIR: noToolchain,
      ARAGORA_PULUMI_INLINE: "auto",
      PATH: [fakeBin, path.dirname(process.execPath), "/usr/bin", "/bin"].join(":"),
    };
  }

  it("when pulumi-language-nodejs is on PATH, then preview goes to the real CLI with the service's config file", async () => {
    const host = path.join(fakeBin, "pulumi-language-nodejs");
    fs.writeFileSync(host, "#!/bin/sh\nexit 0\n", { mode: 0o755 });
    try {
      const res = await wrapper(["preview", "-s", REGION, "--diff"], fakeEnv());
      expect({ code: res.code, stdout: res.stdout }).toEqual({ code: 0, stdout: `fake-pulumi preview -s ${REGION} --diff --config-file ${regionFile}\n` });
    } finally {
      fs.rmSync(host);
    }
  });

  it("when pulumi-language-nodejs is not on PATH, then up runs inline and other commands still go to the CLI", async () => {
    const up = await wrapper(["up", "-s", REGION], fakeEnv());
    expect({ code: up.code, stdout: up.stdout, stderr: up.stderr }).toEqual({
      code: 1,
      stdout: "",
      stderr: `error: --yes must be passed in to proceed when running in non-interactive mode (up changes stack ${REGION})\n`,
    });
    const cfg = await wrapper(["config", "-s", REGION], fakeEnv());
    expect({ code: cfg.code, stdout: cfg.stdout }).toEqual({ code: 0, stdout: `fake-pulumi config -s ${REGION} --config-file ${regionFile}\n` });
    const watch = await wrapper(["watch", "-s", REGION], fakeEnv());
    expect(watch.code).toBe(127);
    expect(watch.stderr).toContain("runs the program through the Node.js language host (pulumi-language-nodejs)");
  });
});
