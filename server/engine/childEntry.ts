/**
 * How the engine forks a Node.js entry point (the engine host, a provider server): the compiled
 * `.js` when this process runs compiled, or from TypeScript sources (tests, ts-node) the `.ts` file
 * under ts-node, compiled the same way, with the project's tsconfig whatever the child's cwd.
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

const FROM_SOURCES = __filename.endsWith(".ts");

/** `module` (an absolute path without extension), as this process runs: compiled or from sources. */
export function childEntry(module: string): ChildEntry {
  return {
    file: `${module}${FROM_SOURCES ? ".ts" : ".js"}`,
    nodeArgs: FROM_SOURCES ? ["-r", require.resolve("ts-node/register/transpile-only")] : [],
    env: FROM_SOURCES ? { TS_NODE_PROJECT: path.join(__dirname, "..", "..", "tsconfig.json") } : {},
  };
}

/** An entry point in this directory. */
export function engineEntry(name: string): ChildEntry {
  return childEntry(path.join(__dirname, name));
}
