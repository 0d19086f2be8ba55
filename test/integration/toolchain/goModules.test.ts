/**
 * The Pulumi CLI and helm are built from committed Go modules (scripts/toolchain/*: go.mod, go.sum)
 * with -mod=readonly: a module whose content does not match the checksum recorded in go.sum stops
 * the build, with a message that says so and how to change a version on purpose, and nothing is
 * installed. Runs scripts/toolchain.sh itself, on copies of the modules, with an empty cache.
 */
import { spawnSync } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { findPulumiBinDir, projectDir } from "../../../server/engine/toolchain";

jest.setTimeout(600_000);

const ROOT = projectDir();
let tmp: string;

beforeEach(() => {
  tmp = fs.mkdtempSync(path.join(os.tmpdir(), "aragora-gomod-"));
  fs.cpSync(path.join(ROOT, "scripts", "toolchain"), path.join(tmp, "modules"), { recursive: true });
});
afterEach(() => {
  fs.rmSync(tmp, { recursive: true, force: true });
});

/** toolchain.sh with an empty cache and the copied modules; the project's CLI on PATH (so only helm is built), no helm. */
function toolchain(): { code: number | null; stderr: string } {
  const pulumiDir = findPulumiBinDir();
  if (pulumiDir === undefined) throw new Error("no Pulumi CLI in the toolchain cache: run npm run setup");
  const go = spawnSync("bash", ["-lc", "command -v go"], { encoding: "utf8" }).stdout.trim() || "/usr/local/go/bin/go";
  const r = spawnSync("bash", [path.join(ROOT, "scripts", "toolchain.sh")], {
    encoding: "utf8",
    env: {
      HOME: process.env["HOME"] ?? "/root",
      PATH: [pulumiDir, path.dirname(process.execPath), path.dirname(go), "/usr/sbin", "/usr/bin", "/sbin", "/bin"].join(":"),
      ARAGORA_TOOLCHAIN_DIR: path.join(tmp, "cache"),
      ARAGORA_TOOLCHAIN_MODULES: path.join(tmp, "modules"),
      ...(process.env["GOMODCACHE"] ? { GOMODCACHE: process.env["GOMODCACHE"] } : {}),
      ...(process.env["GOCACHE"] ? { GOCACHE: process.env["GOCACHE"] } : {}),
      GOFLAGS: "-buildvcs=false",
    },
  });
  return { code: r.status, stderr: r.stderr };
}

test("when a recorded checksum does not match the module, then the build is refused, says why, and installs nothing", () => {
  const sum = path.join(tmp, "modules", "helm", "go.sum");
  const lines = fs.readFileSync(sum, "utf8").split("\n");
  const at = lines.findIndex((l) => l.startsWith("helm.sh/helm/v3 v3.22.0 h1:"));
  expect(at).toBeGreaterThanOrEqual(0);
  const line = lines[at] ?? "";
  // Flip one character of the hash.
  const i = line.indexOf("h1:") + 5;
  lines[at] = line.slice(0, i) + (line[i] === "A" ? "B" : "A") + line.slice(i + 1);
  fs.writeFileSync(sum, lines.join("\n"));

  const r = toolchain();
  expect(r.code).not.toBe(0);
  expect(r.stderr).toMatch(/checksum mismatch|SECURITY ERROR/);
  expect(r.stderr).toContain(`REFUSED: a Go module does not match the checksums recorded in ${path.join(tmp, "modules", "helm")}/go.sum`);
  const helmDirs = fs.existsSync(path.join(tmp, "cache", "helm")) ? fs.readdirSync(path.join(tmp, "cache", "helm")) : [];
  for (const d of helmDirs) expect(fs.existsSync(path.join(tmp, "cache", "helm", d, "bin", "helm"))).toBe(false);
  expect(fs.existsSync(path.join(tmp, "cache", "paths.env"))).toBe(false);
});

test("when go.mod asks for a module go.sum does not record, then the build is refused (no silent download)", () => {
  const sum = path.join(tmp, "modules", "helm", "go.sum");
  fs.writeFileSync(sum, fs.readFileSync(sum, "utf8").split("\n").filter((l) => !l.startsWith("helm.sh/helm/v3 ")).join("\n"));
  const r = toolchain();
  expect(r.code).not.toBe(0);
  expect(r.stderr).toMatch(/missing go\.sum entry/);
  expect(r.stderr).toContain("REFUSED");
});

test("when the modules are as committed, then helm builds from them and is recorded in paths.env", () => {
  const r = toolchain();
  expect({ code: r.code, tail: r.code === 0 ? "" : r.stderr.slice(-2000) }).toEqual({ code: 0, tail: "" });
  const paths = fs.readFileSync(path.join(tmp, "cache", "paths.env"), "utf8");
  const helmDir = /^HELM_BIN_DIR=(.+)$/m.exec(paths)?.[1] ?? "";
  expect(helmDir.startsWith(path.join(tmp, "cache", "helm", "v3.22.0-"))).toBe(true);
  const version = spawnSync(path.join(helmDir, "helm"), ["version", "--short"], { encoding: "utf8" });
  expect(version.stdout.trim()).toMatch(/^v3\.22\.0/);
});
