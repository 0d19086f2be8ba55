/**
 * The service process leaves the Pulumi SDK to its engine hosts: loading @pulumi/pulumi (and the
 * Automation API's dependency tree) took a third of the service's heap and most of its start-up,
 * and every major GC of the API's thread marked it (docs/performance.md).
 */
import { spawnSync } from "node:child_process";
import * as path from "node:path";

const ROOT = path.resolve(__dirname, "../../..");

/** Requires `entry` in a fresh Node process and returns the node_modules packages it loaded. */
function packagesLoadedBy(entry: string): string[] {
  const script = `
    require(${JSON.stringify(path.join(ROOT, entry))});
    const names = new Set();
    for (const k of Object.keys(require.cache)) {
      const m = /node_modules\\/((?:@[^/]+\\/)?[^/]+)\\//.exec(k);
      if (m) names.add(m[1]);
    }
    process.stdout.write(JSON.stringify([...names]));`;
  const r = spawnSync(process.execPath, ["-r", require.resolve("ts-node/register/transpile-only"), "-e", script], {
    cwd: ROOT,
    encoding: "utf8",
    timeout: 60_000,
  });
  if (r.status !== 0) throw new Error(`loading ${entry} failed: ${r.stderr}`);
  return JSON.parse(r.stdout) as string[];
}

describe("the service's module footprint", () => {
  it("when the service's modules load, then neither the Pulumi SDK nor its Automation API dependencies are among them", () => {
    const loaded = packagesLoadedBy("server/service.ts");
    // What it does load, so an empty list (a broken probe) cannot pass.
    expect(loaded).toEqual(expect.arrayContaining(["express", "better-sqlite3", "zod"]));
    expect(loaded.filter((p) => p.startsWith("@pulumi/") || p === "@grpc/grpc-js" || p === "@npmcli/arborist")).toEqual([]);
  });

  it("when a program's modules load, then the probe sees the Pulumi SDK (the check above can fail)", () => {
    expect(packagesLoadedBy("stacks/config.ts")).toContain("@pulumi/pulumi");
  });
});
