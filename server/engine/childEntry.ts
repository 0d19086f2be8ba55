/**
 * How the engine forks its own entry points (the engine host, the dynamic-provider server): the
 * compiled `.js` beside the caller, or from TypeScript sources (tests, ts-node) the `.ts` file under
 * ts-node, compiled the same way, with the project's tsconfig whatever the child's cwd.
 */
import * as path from "node:path";

export interface ChildEntry {
  /** The module to fork. */
  file: string;
  /** Node options before it (ts-node's register hook from sources). */
  nodeArgs: string[];
  /** Environment additions (ts-node's project from sources). */
  env: Record<string, string>;
}

/** `name` (no extension) in this directory, as this process runs: compiled or from sources. */
export function childEntry(name: string): ChildEntry {
  const ts = __filename.endsWith(".ts");
  return {
    file: path.join(__dirname, `${name}${ts ? ".ts" : ".js"}`),
    nodeArgs: ts ? ["-r", require.resolve("ts-node/register/transpile-only")] : [],
    env: ts ? { TS_NODE_PROJECT: path.join(__dirname, "..", "..", "tsconfig.json") } : {},
  };
}
