// Test tiers, by what a suite costs (README, "Tests"):
//   unit         pure code, Pulumi mocks, and the service in process with the fake engine
//                (test/support/fakeRunner): no Pulumi CLI, no processes of the local target.
//   integration  the real engine, real servers and processes on loopback.
//   e2e          the service as a user starts it.
//   crash        the crash matrix: kills at every phase of four operations (slow; test/crash/).
// Select one with `--selectProjects unit|integration|e2e|crash`; scripts/test.sh runs them all, each with
// its worker count.
//
// ts-jest only transpiles (tsconfig.test.json sets isolatedModules, so ts-jest uses
// transpileModule, not a language service): `npm run typecheck` (tsc --noEmit over everything,
// tests included) checks the types once, before the tests.
const { createDefaultPreset } = require("ts-jest");

const preset = createDefaultPreset({ tsconfig: "tsconfig.test.json" });
const common = {
  ...preset,
  testEnvironment: "node",
  testEnvironmentOptions: { globalsCleanup: "off" },
  // The compiled tree (npm run build) is not a source of tests or modules.
  modulePathIgnorePatterns: ["<rootDir>/dist/"],
};

module.exports = {
  projects: [
    { ...common, displayName: "unit", testMatch: ["<rootDir>/test/unit/**/*.test.ts"] },
    { ...common, displayName: "integration", testMatch: ["<rootDir>/test/integration/**/*.test.ts"] },
    { ...common, displayName: "e2e", testMatch: ["<rootDir>/test/e2e/**/*.test.ts"] },
    { ...common, displayName: "crash", testMatch: ["<rootDir>/test/crash/**/*.test.ts"] },
  ],
};
