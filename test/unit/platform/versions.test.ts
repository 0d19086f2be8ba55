/**
 * The platform's versions agree: the Node.js the tests run on is a supported LTS line, the Pulumi
 * CLI built from the committed Go module is the SDK's version, and every pinned version is one.
 */
import * as fs from "node:fs";
import * as path from "node:path";

const ROOT = path.resolve(__dirname, "../../..");
const read = (f: string) => fs.readFileSync(path.join(ROOT, f), "utf8");
const pkg = JSON.parse(read("package.json")) as { engines: { node: string }; dependencies: Record<string, string> };

test("when the tests run, then they run on Node.js 22 or later, as package.json's engines says", () => {
  expect(Number(process.versions.node.split(".")[0])).toBeGreaterThanOrEqual(22);
  expect(pkg.engines.node).toBe(">=22");
  const nodeSh = read("scripts/node.sh");
  expect(nodeSh).toMatch(/^ARAGORA_NODE_MIN_MAJOR=22$/m);
  expect(nodeSh).toMatch(/^ARAGORA_NODE_VERSION="24\.\d+\.\d+"$/m);
  expect(nodeSh).toMatch(/^ARAGORA_NODE_INTEGRITY="sha512-[A-Za-z0-9+/]{86}=="$/m);
});

test("the Go module that builds the CLI pins pkg and sdk at exactly the @pulumi/pulumi version installed", () => {
  const sdk = pkg.dependencies["@pulumi/pulumi"];
  expect(sdk).toMatch(/^3\.\d+\.\d+$/);
  const installed = (JSON.parse(read("node_modules/@pulumi/pulumi/package.json")) as { version: string }).version;
  expect(installed).toBe(sdk);
  const gomod = read("scripts/toolchain/pulumi/go.mod");
  expect(gomod).toMatch(/^tool github\.com\/pulumi\/pulumi\/pkg\/v3\/cmd\/pulumi$/m);
  expect(gomod).toContain(`github.com/pulumi/pulumi/pkg/v3 v${String(sdk)}`);
  expect(gomod).toContain(`github.com/pulumi/pulumi/sdk/v3 v${String(sdk)}`);
  const gosum = read("scripts/toolchain/pulumi/go.sum");
  expect(gosum).toContain(`github.com/pulumi/pulumi/pkg/v3 v${String(sdk)} h1:`);
  expect(read("scripts/toolchain/helm/go.mod")).toMatch(/^tool helm\.sh\/helm\/v3\/cmd\/helm$/m);
});

test("better-sqlite3 is at a version that supports this Node.js, and loads", () => {
  expect(pkg.dependencies["better-sqlite3"]).toMatch(/^13\./);
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const Database = require("better-sqlite3") as typeof import("better-sqlite3");
  const db = new Database(":memory:");
  expect(db.prepare("SELECT 1 + 1 AS two").get()).toEqual({ two: 2 });
  db.close();
});
