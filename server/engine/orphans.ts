/**
 * Plugins a dead engine left running. The CLI starts each resource plugin (here the
 * local target's provider: the launcher `pulumi-resource-aragora-local`, which execs `node …/local/provider/main.js`)
 * with the stack's workspace as its working directory and stops it when it finishes; killed with
 * SIGKILL it stops nothing, and the plugins idle on forever, reparented. Called by the runner while
 * it holds the stack's mutex after the engine died, so no live engine of ours uses that workspace.
 * Linux only (/proc); elsewhere it finds nothing.
 */
import * as fs from "node:fs";

const PLUGIN = /pulumi-resource-|[/\\]local[/\\]provider[/\\]main\.[jt]s$/;
/** The CLI itself (`…/pulumi up …`), for a dead engine host's orphans. */
const CLI = /(^|[/\\])pulumi$/;

/** Pids of plugin processes (and with `cli`, CLI processes) whose working directory is `workDir` (with `below`, or under it). */
export function pluginsIn(workDir: string, cli = false, below = false): number[] {
  let entries: string[];
  try {
    workDir = fs.realpathSync(workDir); // /proc/<pid>/cwd is the resolved path
    entries = fs.readdirSync("/proc");
  } catch {
    return [];
  }
  const out: number[] = [];
  for (const d of entries) {
    if (!/^[0-9]+$/.test(d) || Number(d) === process.pid) continue;
    try {
      const cwd = fs.readlinkSync(`/proc/${d}/cwd`);
      if (cwd !== workDir && !(below && cwd.startsWith(`${workDir}/`))) continue;
      const argv = fs.readFileSync(`/proc/${d}/cmdline`, "utf8").split("\0");
      if (argv.some((a) => PLUGIN.test(a)) || (cli && CLI.test(argv[0] ?? ""))) out.push(Number(d));
    } catch {
      /* gone, or not ours to read */
    }
  }
  return out;
}

/**
 * SIGKILLs the plugins a dead engine left in `workDir` (with `cli`, the CLI too: an engine host
 * that died leaves its CLI running the update; with `below`, in any directory under it); returns
 * how many there were.
 */
export function killOrphanedPlugins(workDir: string, cli = false, below = false): number {
  const pids = pluginsIn(workDir, cli, below);
  for (const pid of pids) {
    try {
      process.kill(pid, "SIGKILL");
    } catch {
      /* already gone */
    }
  }
  return pids.length;
}

/**
 * At start, before the engine of this process exists: SIGKILLs the CLIs, plugins and provider
 * servers a previous service on this state dir left when it died (they work in its workspaces
 * directory). A CLI of a dead service could otherwise go on writing a stack's checkpoint after
 * recovery removed its lock. The state dir's lock (server/stateDirLock.ts) guarantees no live
 * service owns them. Returns how many there were.
 */
export function killEngineLeftovers(workspacesDir: string): number {
  return killOrphanedPlugins(workspacesDir, true, true);
}
