/**
 * As root the stand-in app runs as the daemon user from a staged runtime (app.ts): the packages it
 * imports and everything they need, copied out of the project's node_modules. packageClosure must
 * find all of them: a copy of exactly the closure loads pg and ioredis in a fresh process.
 */
import { spawnSync } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { packageClosure } from "../../../../components/local/impl/app";

const NODE_MODULES = path.resolve(__dirname, "../../../../node_modules");
let tmp: string;

beforeEach(() => {
  tmp = fs.mkdtempSync(path.join(os.tmpdir(), "aragora-closure-"));
});
afterEach(() => {
  fs.rmSync(tmp, { recursive: true, force: true });
});

test("the closure of pg and ioredis names their dependencies with versions, and nothing unrelated", () => {
  const closure = packageClosure(NODE_MODULES, ["pg", "ioredis"]);
  for (const name of ["pg", "pg-pool", "pg-protocol", "pg-types", "ioredis", "denque", "redis-errors"]) expect(closure.has(name)).toBe(true);
  for (const name of ["express", "@pulumi/pulumi", "typescript"]) expect(closure.has(name)).toBe(false);
  const pgVersion = (JSON.parse(fs.readFileSync(path.join(NODE_MODULES, "pg", "package.json"), "utf8")) as { version: string }).version;
  expect(closure.get("pg")).toBe(pgVersion);
  expect([...closure.keys()]).toEqual([...closure.keys()].sort((a, b) => a.localeCompare(b)));
});

test("when exactly the closure is copied, then a fresh process loads pg and ioredis from the copy alone", () => {
  const dest = path.join(tmp, "node_modules");
  for (const name of packageClosure(NODE_MODULES, ["pg", "ioredis"]).keys()) {
    fs.cpSync(path.join(NODE_MODULES, name), path.join(dest, name), { recursive: true });
  }
  const r = spawnSync(process.execPath, ["-e", "const pg = require('pg'); const R = require('ioredis'); console.log(typeof pg.Pool, typeof R, require.resolve('pg'))"], {
    cwd: tmp,
    env: { PATH: "/usr/bin:/bin", NODE_PATH: dest },
    encoding: "utf8",
  });
  expect(r.stderr).toBe("");
  expect(r.stdout.trim()).toBe(`function function ${path.join(dest, "pg", "lib", "index.js")}`);
});
