import { loadConfig } from "../../../server/config";

describe("ARAGORA_ENGINE_NICE", () => {
  test("when it is unset or empty, then the engine host runs at niceness 10", () => {
    expect(loadConfig({ ARAGORA_STATE_DIR: "x" }).engineNice).toBe(10);
    expect(loadConfig({ ARAGORA_STATE_DIR: "x", ARAGORA_ENGINE_NICE: "" }).engineNice).toBe(10);
  });

  test.each([["0", 0], ["19", 19], ["5", 5]])("when it is %s, then engineNice is %d", (raw, want) => {
    expect(loadConfig({ ARAGORA_STATE_DIR: "x", ARAGORA_ENGINE_NICE: raw }).engineNice).toBe(want);
  });

  test.each([["20", "Too big"], ["-1", "Too small"], ["2.5", "expected int"], ["low", "expected number"]])("when it is %s, then loading fails naming the variable", (raw, reason) => {
    expect(() => loadConfig({ ARAGORA_STATE_DIR: "x", ARAGORA_ENGINE_NICE: raw })).toThrow(new RegExp(`ARAGORA_ENGINE_NICE: .*${reason}`, "i"));
  });
});

describe("ARAGORA_ENGINE_CPUS", () => {
  test("when it is unset or empty, then the engine may run on every CPU", () => {
    expect(loadConfig({ ARAGORA_STATE_DIR: "x" }, "/", [0, 1]).engineCpus).toBeUndefined();
    expect(loadConfig({ ARAGORA_STATE_DIR: "x", ARAGORA_ENGINE_CPUS: "" }, "/", [0, 1]).engineCpus).toBeUndefined();
  });

  test.each([
    ["1", [0, 1]],
    ["1-3", [0, 1, 2, 3]],
    ["1,3-5", [0, 1, 2, 3, 4, 5]],
    ["3", [2, 3]],
  ])("when it is %s and the process may run on %j, then the engine is confined to that list", (raw, allowed) => {
    expect(loadConfig({ ARAGORA_STATE_DIR: "x", ARAGORA_ENGINE_CPUS: raw }, "/", allowed).engineCpus).toBe(raw);
  });

  test.each([
    ["one", [0, 1], "must be a CPU list"],
    ["1-", [0, 1], "must be a CPU list"],
    ["3-1", [0, 1, 2, 3], "range 3-1 runs backwards"],
    ["2", [0, 1], "2 not among the CPUs this process may run on \\(0-1\\)"],
    ["0-4", [0, 1], "2-4 not among the CPUs"],
    ["1", [2, 3], "1 not among the CPUs this process may run on \\(2-3\\)"],
  ])("when it is %s and the process may run on %j, then loading fails naming the variable and the reason", (raw, allowed, reason) => {
    expect(() => loadConfig({ ARAGORA_STATE_DIR: "x", ARAGORA_ENGINE_CPUS: raw }, "/", allowed)).toThrow(new RegExp(`ARAGORA_ENGINE_CPUS: ${reason}`));
  });
});

describe("ARAGORA_ENGINE_SHARED_PROVIDERS", () => {
  test.each([[undefined, true], ["true", true], ["false", false]])("when it is %s, then engineSharedProviders is %s", (raw, want) => {
    const env = raw === undefined ? { ARAGORA_STATE_DIR: "x" } : { ARAGORA_STATE_DIR: "x", ARAGORA_ENGINE_SHARED_PROVIDERS: raw };
    expect(loadConfig(env, "/", [0, 1]).engineSharedProviders).toBe(want);
  });

  test("when it is neither true nor false, then loading fails naming the variable", () => {
    expect(() => loadConfig({ ARAGORA_STATE_DIR: "x", ARAGORA_ENGINE_SHARED_PROVIDERS: "yes" }, "/", [0, 1])).toThrow(/ARAGORA_ENGINE_SHARED_PROVIDERS: must be "true" or "false"/);
  });
});
