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
    expect(loadConfig({ ARAGORA_STATE_DIR: "x" }, "/", 2).engineCpus).toBeUndefined();
    expect(loadConfig({ ARAGORA_STATE_DIR: "x", ARAGORA_ENGINE_CPUS: "" }, "/", 2).engineCpus).toBeUndefined();
  });

  test.each([["1", 2], ["1-3", 4], ["1,3-5", 6]])("when it is %s on %d CPUs, then the engine is confined to that list", (raw, cpus) => {
    expect(loadConfig({ ARAGORA_STATE_DIR: "x", ARAGORA_ENGINE_CPUS: raw }, "/", cpus).engineCpus).toBe(raw);
  });

  test.each([["one", "must be a CPU list"], ["1-", "must be a CPU list"], ["2", "CPU 2 does not exist"], ["0-4", "CPU 4 does not exist"]])("when it is %s on 2 CPUs, then loading fails naming the variable", (raw, reason) => {
    expect(() => loadConfig({ ARAGORA_STATE_DIR: "x", ARAGORA_ENGINE_CPUS: raw }, "/", 2)).toThrow(new RegExp(`ARAGORA_ENGINE_CPUS: .*${reason}`));
  });
});

describe("ARAGORA_EARLY_START", () => {
  test.each([
    [undefined, 2, false],
    [undefined, 3, true],
    ["auto", 2, false],
    ["auto", 8, true],
    ["true", 2, true],
    ["false", 8, false],
  ])("when it is %s on %d CPUs, then earlyStart is %s", (raw, cpus, want) => {
    const env = raw === undefined ? { ARAGORA_STATE_DIR: "x" } : { ARAGORA_STATE_DIR: "x", ARAGORA_EARLY_START: raw };
    expect(loadConfig(env, "/", cpus).earlyStart).toBe(want);
  });

  test("when it is not auto, true or false, then loading fails naming the variable and the choices", () => {
    expect(() => loadConfig({ ARAGORA_STATE_DIR: "x", ARAGORA_EARLY_START: "yes" })).toThrow(/ARAGORA_EARLY_START: must be "auto", "true" or "false"/);
  });
});
