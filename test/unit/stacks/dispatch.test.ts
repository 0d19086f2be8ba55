/**
 * Loads `stacks/` the way `pulumi up` does (Pulumi.yaml `main: stacks/`; @pulumi/pulumi's
 * cmd/run requires the directory, calls an exported function inside the root stack and makes its
 * result the stack's outputs), with the stack's config set the way the CLI passes it, and checks
 * which target program runs with which config. The target programs are stand-ins here: each is
 * tested on its own.
 */
import * as pulumi from "@pulumi/pulumi";
import type { RegionStackConfig, GlobalStackConfig } from "../../../domain/spec/stackConfig";

const mockCalls: { target: string; config: unknown }[] = [];
const mockLoaded = new Set<string>();

jest.mock("../../../stacks/targets/localRegion", () => ({
  localRegionProgram: (config: { region: { name: string } }) => () => {
    mockCalls.push({ target: "localRegion", config });
    return Promise.resolve({ target: "localRegion", region: config.region.name });
  },
}));
jest.mock("../../../stacks/targets/localGlobal", () => ({
  localGlobalProgram: (config: unknown) => () => {
    mockCalls.push({ target: "localGlobal", config });
    return Promise.resolve({ target: "localGlobal" });
  },
}));
jest.mock("../../../stacks/targets/awsRegion", () => ({
  awsRegionProgram: (config: { region: { name: string } }) => () => {
    mockCalls.push({ target: "awsRegion", config });
    return Promise.resolve({ target: "awsRegion", region: config.region.name });
  },
}));
jest.mock("../../../stacks/targets/awsGlobal", () => ({
  awsGlobalProgram: (config: unknown) => () => {
    mockCalls.push({ target: "awsGlobal", config });
    return Promise.resolve({ target: "awsGlobal" });
  },
}));
jest.mock("@pulumi/aws", () => {
  mockLoaded.add("@pulumi/aws");
  return jest.requireActual("@pulumi/aws");
});
jest.mock("@pulumi/cloudflare", () => {
  mockLoaded.add("@pulumi/cloudflare");
  return jest.requireActual("@pulumi/cloudflare");
});

const registrations: { type: string; name: string }[] = [];

/** What the CLI sets up before it loads the program: monitor, project, stack, organization, config. */
function asTheCliWould(stack: string, config: Record<string, unknown>): void {
  void pulumi.runtime.setMocks(
    {
      newResource: (args) => {
        registrations.push({ type: args.type, name: args.name });
        return { id: `${args.name}-id`, state: args.inputs };
      },
      call: (args) => args.inputs,
    },
    "aragora",
    stack,
    false,
    "organization",
  );
  pulumi.runtime.setAllConfig(Object.fromEntries(Object.entries(config).map(([k, v]) => [k, JSON.stringify(v)])));
}

let programExport: unknown;
beforeAll(() => {
  // The CLI: `require(program + "/")` with main `stacks/`.
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  programExport = require("../../../stacks/");
});
beforeEach(() => {
  mockCalls.length = 0;
  registrations.length = 0;
});

/** cmd/run: `programExport instanceof Function ? programExport() : programExport`, inside the root stack. */
async function runAsTheCliWould(): Promise<unknown> {
  if (!(programExport instanceof Function)) throw new Error("stacks/ must export a function");
  const main = programExport as () => Promise<Record<string, unknown> | undefined>;
  const outputs = await pulumi.runtime.runInPulumiStack(main);
  // The root stack registers its outputs after they resolve; let that land before the next setMocks.
  await new Promise((r) => setTimeout(r, 50));
  return outputs;
}
/** The same call outside the root stack, for programs expected to fail (a failing root stack also rejects elsewhere). */
function callExport(): Promise<unknown> {
  return (programExport as () => Promise<unknown>)();
}

function member(name: string, provider: "aws" | "local", order: number, primary: boolean) {
  return { name, provider, primary, cidr: `10.${order}.0.0/16`, geo: [], order, appReplicas: 2, ...(provider === "local" ? { portBase: 21000 + order * 20 } : {}) };
}

function fleet(provider: "aws" | "local", regions = ["us-east-1", "eu-west-1"]) {
  return {
    primary: regions[0],
    regions: regions.map((r, i) => member(r, provider, i, i === 0)),
    settings: { domain: "aragora.example.com" },
    ...(provider === "local" ? { localRoot: "/tmp/aragora-test-local" } : {}),
  };
}

function regionConfig(name: string, provider: "aws" | "local" | undefined, fleetProvider: "aws" | "local") {
  return {
    "aragora:region": { name, ...(provider ? { provider } : {}), primary: name === "us-east-1", network: { cidr: "10.1.0.0/16" } },
    "aragora:fleet": fleet(fleetProvider),
  };
}

describe("stacks/index.ts as Pulumi.yaml's main", () => {
  it("when the CLI loads it, then the module export is a function the runtime calls", () => {
    expect(typeof programExport).toBe("function");
  });

  it("when the stack is `global` on a local fleet, then the local global program runs with the validated fleet and its result is the stack's outputs", async () => {
    asTheCliWould("global", { "aragora:fleet": fleet("local") });
    const outputs = await runAsTheCliWould();
    expect(outputs).toEqual({ target: "localGlobal" });
    expect(mockCalls.map((c) => c.target)).toEqual(["localGlobal"]);
    const config = mockCalls[0]?.config as GlobalStackConfig;
    expect(config.fleet.primary).toBe("us-east-1");
    expect(config.fleet.regions.map((r) => r.name)).toEqual(["us-east-1", "eu-west-1"]);
    expect(config.fleet.settings.healthPath).toBe("/health");
    expect(registrations).toEqual([{ type: "pulumi:pulumi:Stack", name: "aragora-global" }]);
  });

  it("when the stack is `global` on an aws fleet, then the aws global program runs", async () => {
    asTheCliWould("global", { "aragora:fleet": fleet("aws") });
    expect(await runAsTheCliWould()).toEqual({ target: "awsGlobal" });
    expect(mockCalls.map((c) => c.target)).toEqual(["awsGlobal"]);
  });

  it("when the stack is a local region, then the local region program runs with that region's validated config", async () => {
    asTheCliWould("eu-west-1", regionConfig("eu-west-1", "local", "local"));
    expect(await runAsTheCliWould()).toEqual({ target: "localRegion", region: "eu-west-1" });
    expect(mockCalls.map((c) => c.target)).toEqual(["localRegion"]);
    const config = mockCalls[0]?.config as RegionStackConfig;
    expect(config.region.name).toBe("eu-west-1");
    expect(config.region.postgres.maxWalSenders).toBe(10);
    expect(config.fleet.regions).toHaveLength(2);
  });

  it("when the stack is an aws region, then the aws region program runs", async () => {
    asTheCliWould("us-east-1", regionConfig("us-east-1", "aws", "aws"));
    expect(await runAsTheCliWould()).toEqual({ target: "awsRegion", region: "us-east-1" });
    expect(mockCalls.map((c) => c.target)).toEqual(["awsRegion"]);
  });

  it("when the region's spec names no provider, then the fleet member's provider picks the program", async () => {
    asTheCliWould("eu-west-1", regionConfig("eu-west-1", undefined, "local"));
    await runAsTheCliWould();
    expect(mockCalls.map((c) => c.target)).toEqual(["localRegion"]);
  });

  it("when only local stacks run, then neither the AWS nor the Cloudflare SDK is loaded", async () => {
    asTheCliWould("global", { "aragora:fleet": fleet("local") });
    await runAsTheCliWould();
    asTheCliWould("eu-west-1", regionConfig("eu-west-1", "local", "local"));
    await runAsTheCliWould();
    expect([...mockLoaded]).toEqual([]);
  });

  it("when a region stack holds another region's config, then it fails naming both", async () => {
    asTheCliWould("ap-south-1", regionConfig("eu-west-1", "local", "local"));
    await expect(callExport()).rejects.toThrow('stack "ap-south-1" holds the config of region "eu-west-1"');
    expect(mockCalls).toEqual([]);
  });

  it("when the stack has no config (no --config-file and no stacks/Pulumi.<stack>.yaml), then it fails naming the missing key", async () => {
    asTheCliWould("eu-west-1", {});
    await expect(callExport()).rejects.toThrow(/aragora:region/);
    asTheCliWould("global", {});
    await expect(callExport()).rejects.toThrow(/aragora:fleet/);
    expect(mockCalls).toEqual([]);
  });

  it("when the config does not validate, then it fails with the schema's message and runs nothing", async () => {
    asTheCliWould("eu-west-1", { ...regionConfig("eu-west-1", "local", "local"), "aragora:region": { name: "eu-west-1", postgres: { maxWalSenders: 0 } } });
    await expect(callExport()).rejects.toThrow(/maxWalSenders/);
    expect(mockCalls).toEqual([]);
  });

  it("when the global stack's fleet names a primary that is not a region, then it fails before any program runs", async () => {
    asTheCliWould("global", { "aragora:fleet": { ...fleet("local"), primary: "sa-east-1" } });
    await expect(callExport()).rejects.toThrow(`the fleet's primary "sa-east-1" is not one of its regions (us-east-1, eu-west-1)`);
    expect(mockCalls).toEqual([]);
  });

  it("when the fleet mixes targets, then the global stack refuses to run", async () => {
    const mixed = fleet("local");
    mixed.regions[1] = member("eu-west-1", "aws", 1, false);
    asTheCliWould("global", { "aragora:fleet": mixed });
    await expect(callExport()).rejects.toThrow("the fleet mixes targets: us-east-1 is local but eu-west-1 is aws");
  });
});
