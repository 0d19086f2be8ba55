/**
 * Where the project's Pulumi CLI lives. scripts/toolchain.sh records it in
 * `<cache>/aragora-regions/paths.env` (PULUMI_BIN_DIR=...); without that file the CLI comes from PATH.
 */
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";

export function toolchainCacheDir(env: NodeJS.ProcessEnv = process.env): string {
  return env["ARAGORA_TOOLCHAIN_DIR"] ?? path.join(env["XDG_CACHE_HOME"] ?? path.join(os.homedir(), ".cache"), "aragora-regions");
}

/** Directory of the `pulumi` binary the toolchain step chose, or undefined to use PATH. */
export function findPulumiBinDir(env: NodeJS.ProcessEnv = process.env): string | undefined {
  const file = path.join(toolchainCacheDir(env), "paths.env");
  let text: string;
  try {
    text = fs.readFileSync(file, "utf8");
  } catch {
    return undefined;
  }
  const m = /^PULUMI_BIN_DIR=(.+)$/m.exec(text);
  const dir = m?.[1]?.trim();
  return dir && fs.existsSync(path.join(dir, "pulumi")) ? dir : undefined;
}

/** The project root (where package.json and node_modules are), from this file's location. */
export function projectDir(): string {
  let dir = __dirname;
  for (;;) {
    if (fs.existsSync(path.join(dir, "package.json")) && fs.existsSync(path.join(dir, "Pulumi.yaml"))) return dir;
    const up = path.dirname(dir);
    if (up === dir) throw new Error("cannot find the project root (Pulumi.yaml) above " + __dirname);
    dir = up;
  }
}
