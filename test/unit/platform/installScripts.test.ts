/**
 * scripts/checkInstallScripts.js: npm install scripts run only for the packages package.json's
 * `allowScripts` allows; a package with install scripts that it does not name fails setup.
 */
import { spawnSync } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";

const SCRIPT = path.resolve(__dirname, "../../../scripts/checkInstallScripts.js");

let dir: string;

/** A project with three installed packages: one with an install script, one with a binding.gyp, one plain. */
function project(allowScripts: Record<string, boolean> | undefined): void {
  const pkgs: Record<string, { scripts?: Record<string, string>; gyp?: boolean }> = {
    "with-install": { scripts: { install: "node build.js" } },
    "@scope/with-gyp": { gyp: true },
    plain: { scripts: { test: "jest", build: "tsc" } },
  };
  const lock: { packages: Record<string, { version: string }> } = { packages: { "": { version: "1.0.0" } } };
  for (const [name, p] of Object.entries(pkgs)) {
    const where = path.join(dir, "node_modules", name);
    fs.mkdirSync(where, { recursive: true });
    fs.writeFileSync(path.join(where, "package.json"), JSON.stringify({ name, version: "2.0.0", scripts: p.scripts ?? {} }));
    if (p.gyp === true) fs.writeFileSync(path.join(where, "binding.gyp"), "{}");
    lock.packages[`node_modules/${name}`] = { version: "2.0.0" };
  }
  // In the lockfile but not installed (another platform's optional package): ignored.
  lock.packages["node_modules/not-installed"] = { version: "1.0.0" };
  fs.writeFileSync(path.join(dir, "package-lock.json"), JSON.stringify(lock));
  fs.writeFileSync(path.join(dir, "package.json"), JSON.stringify({ name: "p", ...(allowScripts ? { allowScripts } : {}) }));
}

function check(): { code: number | null; stdout: string; stderr: string } {
  const r = spawnSync(process.execPath, [SCRIPT, dir], { encoding: "utf8" });
  return { code: r.status, stdout: r.stdout.trim(), stderr: r.stderr };
}

beforeEach(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), "aragora-scripts-"));
});
afterEach(() => {
  fs.rmSync(dir, { recursive: true, force: true });
});

test("when a package with install scripts is not named in allowScripts, then the check fails naming it and how to decide", () => {
  project({ "with-install": true });
  const r = check();
  expect(r.code).toBe(1);
  expect(r.stderr).toContain('@scope/with-gyp@2.0.0 has install scripts and package.json "allowScripts" does not name it');
  expect(r.stderr).not.toContain("with-install@");
  expect(r.stdout).toBe("");
});

test("when there is no allowScripts at all, then every package with install scripts is refused", () => {
  project(undefined);
  const r = check();
  expect(r.code).toBe(1);
  expect(r.stderr).toContain("with-install@2.0.0");
  expect(r.stderr).toContain("@scope/with-gyp@2.0.0");
  expect(r.stderr).not.toContain("plain@");
});

test("when every such package is named, then only the allowed ones are printed (a binding.gyp counts as an install script)", () => {
  project({ "with-install": false, "@scope/with-gyp": true });
  expect(check()).toEqual({ code: 0, stdout: "@scope/with-gyp", stderr: "" });
  project({ "with-install": true, "@scope/with-gyp": true, gone: false });
  const r = check();
  expect(r.code).toBe(0);
  expect(r.stdout.split(" ").sort()).toEqual(["@scope/with-gyp", "with-install"]);
  expect(r.stderr).toContain('"allowScripts" names gone, which has no install scripts');
});

test("the project's own lockfile passes the check, and npm is told to run no install scripts by itself", () => {
  const root = path.resolve(__dirname, "../../..");
  const r = spawnSync(process.execPath, [SCRIPT, root], { encoding: "utf8" });
  expect(r.status).toBe(0);
  expect(r.stdout.trim()).toBe("better-sqlite3");
  expect(fs.readFileSync(path.join(root, ".npmrc"), "utf8")).toMatch(/^ignore-scripts=true$/m);
});
