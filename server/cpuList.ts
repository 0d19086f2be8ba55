/**
 * CPU lists in the kernel's (and taskset's) syntax, "0-3,6": parsing, printing, and the CPUs this
 * process may run on. ARAGORA_ENGINE_CPUS is checked against the latter, not against a CPU count:
 * under a cpuset (a container given CPUs 2-3) the ids do not start at 0.
 */
import * as fs from "node:fs";
import * as os from "node:os";

/** The syntax: numbers and increasing ranges, comma-separated, no spaces. */
export const CPU_LIST_PATTERN = /^\d+(-\d+)?(,\d+(-\d+)?)*$/;

/** The CPU ids of a list, ascending; throws on bad syntax or a reversed range ("3-1"). */
export function parseCpuList(list: string): number[] {
  if (!CPU_LIST_PATTERN.test(list)) throw new Error(`"${list}" is not a CPU list like "1" or "1-3,5"`);
  const ids = new Set<number>();
  for (const part of list.split(",")) {
    const [a, b = a] = part.split("-").map(Number) as [number, number?];
    if (b < a) throw new Error(`range ${part} runs backwards`);
    for (let id = a; id <= b; id++) ids.add(id);
  }
  return [...ids].sort((x, y) => x - y);
}

/** The shortest list for a set of ids: [0,1,2,5] -> "0-2,5". */
export function formatCpuList(ids: Iterable<number>): string {
  const sorted = [...new Set(ids)].sort((x, y) => x - y);
  const parts: string[] = [];
  for (let i = 0; i < sorted.length; ) {
    let j = i;
    while (j + 1 < sorted.length && sorted[j + 1] === (sorted[j] ?? 0) + 1) j++;
    parts.push(i === j ? String(sorted[i]) : `${String(sorted[i])}-${String(sorted[j])}`);
    i = j + 1;
  }
  return parts.join(",");
}

/**
 * The CPUs this process may run on (`Cpus_allowed_list` of /proc/self/status); where that cannot be
 * read, 0 .. availableParallelism - 1.
 */
export function allowedCpus(): number[] {
  try {
    const m = /^Cpus_allowed_list:\s*(\S+)\s*$/m.exec(fs.readFileSync("/proc/self/status", "utf8"));
    if (m?.[1]) return parseCpuList(m[1]);
  } catch {
    /* not Linux, or /proc not mounted */
  }
  return Array.from({ length: os.availableParallelism() }, (_, i) => i);
}
