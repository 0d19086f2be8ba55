import { allowedCpus, formatCpuList, parseCpuList } from "../../../server/cpuList";

describe("parseCpuList", () => {
  test.each([
    ["0", [0]],
    ["1-3", [1, 2, 3]],
    ["5,1-2", [1, 2, 5]],
    ["1-1", [1]],
    ["0-2,1-3", [0, 1, 2, 3]],
  ])("when the list is %s, then the ids are %j", (list, ids) => {
    expect(parseCpuList(list)).toEqual(ids);
  });

  test.each([
    ["", "is not a CPU list"],
    ["1 - 3", "is not a CPU list"],
    ["a", "is not a CPU list"],
    ["3-1", "range 3-1 runs backwards"],
  ])("when the list is %j, then parsing fails: %s", (list, reason) => {
    expect(() => parseCpuList(list)).toThrow(reason);
  });
});

describe("formatCpuList", () => {
  test.each([
    [[0], "0"],
    [[0, 1, 2, 5], "0-2,5"],
    [[3, 1, 2, 2], "1-3"],
    [[1, 3, 5], "1,3,5"],
  ])("when the ids are %j, then the list is %s", (ids, list) => {
    expect(formatCpuList(ids)).toBe(list);
  });
});

/** allowedCpus() as a child process started under `taskset -c <list>` sees it. */
function allowedUnder(list: string): number[] {
  const { execFileSync } = jest.requireActual<typeof import("node:child_process")>("node:child_process");
  const code = `process.stdout.write(JSON.stringify(require(${JSON.stringify(require.resolve("../../../server/cpuList"))}).allowedCpus()))`;
  const out = execFileSync("taskset", ["-c", list, process.execPath, "-r", "ts-node/register/transpile-only", "-e", code], { encoding: "utf8", env: { ...process.env, TS_NODE_PROJECT: require.resolve("../../../tsconfig.json") } });
  return JSON.parse(out) as number[];
}

describe("allowedCpus", () => {
  test("when the process is confined to one CPU, then that CPU alone is allowed", () => {
    const cpus = allowedCpus();
    const last = cpus[cpus.length - 1]!;
    expect(allowedUnder(String(last))).toEqual([last]);
    if (cpus.length > 1) expect(allowedUnder(formatCpuList(cpus.slice(0, -1)))).toEqual(cpus.slice(0, -1));
  });


  test("when read on this machine, then it is the kernel's Cpus_allowed_list of this process", () => {
    const fs = jest.requireActual<typeof import("node:fs")>("node:fs");
    const line = /^Cpus_allowed_list:\s*(\S+)/m.exec(fs.readFileSync("/proc/self/status", "utf8"))?.[1];
    expect(line).toBeDefined();
    expect(formatCpuList(allowedCpus())).toBe(line);
    expect(allowedCpus().length).toBeGreaterThan(0);
  });
});
