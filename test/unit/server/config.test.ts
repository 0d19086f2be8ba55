import { loadConfig } from "../../../server/config";

describe("settings that left the service", () => {
  test.each([
    ["ARAGORA_ENGINE_NICE", "10", /ARAGORA_ENGINE_NICE: removed: set the service's priority in its deployment \(systemd Nice=/],
    ["ARAGORA_ENGINE_CPUS", "1-3", /ARAGORA_ENGINE_CPUS: removed: set the service's CPUs in its deployment \(systemd CPUAffinity=/],
    ["ARAGORA_EARLY_START", "auto", /ARAGORA_EARLY_START: removed: a step starts when the steps it depends on are done/],
  ])("when %s is set, then loading fails saying where that setting lives now", (name, value, message) => {
    expect(() => loadConfig({ ARAGORA_STATE_DIR: "x", [name]: value }, "/")).toThrow(message);
  });

  test("when one is set empty, then it counts as unset", () => {
    expect(loadConfig({ ARAGORA_STATE_DIR: "x", ARAGORA_ENGINE_NICE: "", ARAGORA_ENGINE_CPUS: "" }, "/").stateDir).toBe("/x");
  });

  test("when one is set beside another bad variable, then the error names both", () => {
    expect(() => loadConfig({ ARAGORA_STATE_DIR: "x", ARAGORA_ENGINE_NICE: "0", ARAGORA_ENGINE_SHARED_PROVIDERS: "yes" }, "/")).toThrow(/ARAGORA_ENGINE_SHARED_PROVIDERS: must be .*\n\s+ARAGORA_ENGINE_NICE: removed/s);
  });
});

describe("ARAGORA_ENGINE_SHARED_PROVIDERS", () => {
  test.each([[undefined, true], ["true", true], ["false", false]])("when it is %s, then engineSharedProviders is %s", (raw, want) => {
    const env = raw === undefined ? { ARAGORA_STATE_DIR: "x" } : { ARAGORA_STATE_DIR: "x", ARAGORA_ENGINE_SHARED_PROVIDERS: raw };
    expect(loadConfig(env, "/").engineSharedProviders).toBe(want);
  });

  test("when it is neither true nor false, then loading fails naming the variable", () => {
    expect(() => loadConfig({ ARAGORA_STATE_DIR: "x", ARAGORA_ENGINE_SHARED_PROVIDERS: "yes" }, "/")).toThrow(/ARAGORA_ENGINE_SHARED_PROVIDERS: must be "true" or "false"/);
  });
});
