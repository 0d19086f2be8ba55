/** The machine's CPU time from /proc/stat, to relate a bench figure to what the CPUs did meanwhile. */
import * as fs from "node:fs";
import { round } from "./stats";

/** USER_HZ: /proc/stat counts in clock ticks of 1/100 s on Linux. */
export const CLOCK_TICKS = 100;

export interface CpuTimes {
  busy: number;
  kernel: number;
  total: number;
}

/** The machine's busy, kernel (system, irq, softirq) and total CPU time so far, in clock ticks (the `cpu` line of /proc/stat). */
export function machineCpu(): CpuTimes {
  const line = fs.readFileSync("/proc/stat", "utf8").split("\n")[0] ?? "";
  const t = line.trim().split(/\s+/).slice(1, 9).map(Number);
  const total = t.reduce((a, b) => a + b, 0);
  const idle = (t[3] ?? 0) + (t[4] ?? 0); // idle + iowait
  return { busy: total - idle, kernel: (t[2] ?? 0) + (t[5] ?? 0) + (t[6] ?? 0), total };
}

/**
 * Share of the busy CPU time between two readings spent in the kernel. On a kernel without
 * preemption (CONFIG_PREEMPT_NONE) a woken API thread waits for kernel work on its CPU to yield.
 */
export function kernelShare(a: CpuTimes, b: CpuTimes): number {
  return round((b.kernel - a.kernel) / Math.max(1, b.busy - a.busy), 2);
}
