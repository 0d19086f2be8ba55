import { loadConfig } from "../../../server/config";

describe("settings that left the service", () => {
  test.each([
    ["ARAGORA_ENGINE_NICE", "10", /ARAGORA_ENGINE_NICE: removed: set the service's priority in its deployment \(systemd Nice=/],
    ["ARAGORA_ENGINE_CPUS", "1-3", /ARAGORA_ENGINE_CPUS: removed: set the service's CPUs in its deployment \(systemd CPUAffinity=/],
  ])("when %s is set, then loading fails saying where that setting lives now", (name, value, message) => {
    expect(() => loadConfig({ ARAGORA_STATE_DIR: "x", [name]: value }, "/", 2)).toThrow(message);
  });

  test("when one is set empty, then it counts as unset", () => {
    expect(loadConfig({ ARAGORA_STATE_DIR: "x", ARAGORA_ENGINE_NICE: "", ARAGORA_ENGINE_CPUS: "" }, "/", 2).stateDir).toBe("/x");
  });

  test("when one is set beside another bad variable, then the error names both", () => {
    expect(() => loadConfig({ ARAGORA_STATE_DIR: "x", ARAGORA_ENGINE_NICE: "0", ARAGORA_EARLY_START: "yes" }, "/", 2)).toThrow(/ARAGORA_EARLY_START: must be .*\n\s+ARAGORA_ENGINE_NICE: removed/s);
  });
});

describe("ARAGORA_ENGINE_SHARED_PROVIDERS", () => {
  test.each([[undefined, true], ["true", true], ["false", false]])("when it is %s, then engineSharedProviders is %s", (raw, want) => {
    const env = raw === undefined ? { ARAGORA_STATE_DIR: "x" } : { ARAGORA_STATE_DIR: "x", ARAGORA_ENGINE_SHARED_PROVIDERS: raw };
    expect(loadConfig(env, "/", 2).engineSharedProviders).toBe(want);
  });

  test("when it is neither true nor false, then loading fails naming the variable", () => {
    expect(() => loadConfig({ ARAGORA_STATE_DIR: "x", ARAGORA_ENGINE_SHARED_PROVIDERS: "yes" }, "/", 2)).toThrow(/ARAGORA_ENGINE_SHARED_PROVIDERS: must be "true" or "false"/);
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
