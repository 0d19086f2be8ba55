/** Process helpers of the drills: pidfiles, checked signals, polling. */
import * as fs from "node:fs";
import { readPidFile } from "../../components/local";

/** A daemon's pidfile (in a directory the daemon user owns: read as that user, see daemonFs.ts). */
export const readPid = readPidFile;

/** The process runs (not a zombie) and its command line contains `expect`. */
export function processAlive(pid: number, expect?: string): boolean {
  try {
    const stat = fs.readFileSync(`/proc/${pid}/stat`, "utf8");
    const state = stat.slice(stat.lastIndexOf(")") + 2, stat.lastIndexOf(")") + 3);
    if (state === "Z" || state === "X") return false;
    if (expect === undefined) return true;
    return fs.readFileSync(`/proc/${pid}/cmdline`, "utf8").replace(/\0/g, " ").includes(expect);
  } catch {
    return false;
  }
}

export function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}

export async function waitUntil(fn: () => Promise<boolean> | boolean, timeoutMs: number, intervalMs = 100): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    try {
      if (await fn()) return true;
    } catch {
      /* not yet */
    }
    if (Date.now() >= deadline) return false;
    await sleep(intervalMs);
  }
}

/** Signals `pid` (only if it is the expected program) and waits for it to go. True when it is gone. */
export async function stopProcess(pid: number, expect: string, signal: NodeJS.Signals, timeoutMs: number): Promise<boolean> {
  if (!processAlive(pid, expect)) return false;
  try {
    process.kill(pid, signal);
  } catch {
    return !processAlive(pid);
  }
  return waitUntil(() => !processAlive(pid), timeoutMs, 50);
}
