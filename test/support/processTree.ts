/**
 * Processes as /proc shows them (Linux only): the one walker of the tests and the bench. Finds a
 * process's descendants (engine CLI, plugins, postmaster backends), processes that mention a temp
 * dir (leftovers to kill), and waits for processes to exit. Free of jest: the bench uses it too.
 */
import * as fs from "node:fs";

export interface ProcessInfo {
  pid: number;
  ppid: number;
  /** One-letter state from /proc/<pid>/stat: R, S, D, Z (zombie), X (dead), … */
  state: string;
  argv: string[];
}

/** Pid, parent, state and argv of one process; undefined once it is gone (or not ours to read). */
export function processInfo(pid: number): ProcessInfo | undefined {
  try {
    const stat = fs.readFileSync(`/proc/${String(pid)}/stat`, "utf8");
    // The command name (field 2) may hold spaces and parentheses: the fields that follow start after the last ')'.
    const rest = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
    const argv = fs.readFileSync(`/proc/${String(pid)}/cmdline`, "utf8").split("\0").filter((a) => a !== "");
    return { pid, ppid: Number(rest[1]), state: rest[0] ?? "", argv };
  } catch {
    return undefined;
  }
}

/** Every process /proc lists right now (zombies included: see `live`). */
export function listProcesses(): ProcessInfo[] {
  const out: ProcessInfo[] = [];
  for (const d of fs.readdirSync("/proc")) {
    if (!/^[0-9]+$/.test(d)) continue;
    const p = processInfo(Number(d));
    if (p) out.push(p);
  }
  return out;
}

const live = (p: ProcessInfo): boolean => p.state !== "Z" && p.state !== "X";

/** Whether `pid` runs (a zombie does not). */
export function alive(pid: number): boolean {
  const p = processInfo(pid);
  return p !== undefined && live(p);
}

/** Live descendants of `pid` (children, grandchildren, …), parents before their children. */
export function descendants(pid: number, all: readonly ProcessInfo[] = listProcesses()): ProcessInfo[] {
  const out: ProcessInfo[] = [];
  const parents = new Set([pid]);
  for (let grew = true; grew; ) {
    grew = false;
    for (const p of all) {
      if (live(p) && parents.has(p.ppid) && !parents.has(p.pid)) {
        parents.add(p.pid);
        out.push(p);
        grew = true;
      }
    }
  }
  return out;
}

/** Live direct children of `pid`. */
export function childrenOf(pid: number): ProcessInfo[] {
  return listProcesses().filter((p) => live(p) && p.ppid === pid);
}

/**
 * Live processes (not this one) whose command line mentions `needle` (a temp dir, a port) or that
 * run inside it: Redis and Sentinel rewrite their process title, so their working directory (even
 * once deleted) is what ties them to a test's dir.
 */
export function processesMentioning(needle: string): { pid: number; cmd: string }[] {
  const out: { pid: number; cmd: string }[] = [];
  for (const p of listProcesses()) {
    if (p.pid === process.pid || !live(p)) continue;
    const cmd = p.argv.join(" ");
    let cwd = "";
    try {
      cwd = fs.readlinkSync(`/proc/${String(p.pid)}/cwd`).replace(/ \(deleted\)$/, "");
    } catch {
      /* not ours to read */
    }
    if (cmd.includes(needle) || cwd.startsWith(needle)) out.push({ pid: p.pid, cmd });
  }
  return out;
}

/** SIGKILLs each pid that still exists. */
export function killAll(pids: readonly number[]): void {
  for (const pid of pids) {
    try {
      process.kill(pid, "SIGKILL");
    } catch {
      /* gone */
    }
  }
}

/** SIGKILLs a process tree, deepest first (no backend outlives its postmaster by much); returns the pids. */
export function killTree(pid: number): number[] {
  const pids = [pid, ...descendants(pid).map((p) => p.pid)];
  killAll([...pids].reverse());
  return pids;
}

/** Resolves true once none of `pids` runs, false after `timeoutMs`. */
export async function waitGone(pids: readonly number[], timeoutMs = 5000): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  while (pids.some(alive)) {
    if (Date.now() > deadline) return false;
    await new Promise((r) => setTimeout(r, 20));
  }
  return true;
}

/** A `kB` field of /proc/<pid>/status (VmRSS, VmHWM, …); 0 once the process is gone. */
export function statusKb(pid: number, field: string): number {
  try {
    const m = new RegExp(`^${field}:\\s+(\\d+) kB`, "m").exec(fs.readFileSync(`/proc/${String(pid)}/status`, "utf8"));
    return m ? Number(m[1]) : 0;
  } catch {
    return 0;
  }
}
