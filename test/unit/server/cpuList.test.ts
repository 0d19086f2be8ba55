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

describe("allowedCpus", () => {
  test("when read on this machine, then it is the kernel's Cpus_allowed_list of this process", () => {
    const fs = jest.requireActual<typeof import("node:fs")>("node:fs");
    const line = /^Cpus_allowed_list:\s*(\S+)/m.exec(fs.readFileSync("/proc/self/status", "utf8"))?.[1];
    expect(line).toBeDefined();
    expect(formatCpuList(allowedCpus())).toBe(line);
    expect(allowedCpus().length).toBeGreaterThan(0);
  });
});
