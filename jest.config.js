// Test tiers: unit (pure + Pulumi mocks), integration (real engine, real servers on loopback), e2e.
// Select one with `--selectProjects unit|integration|e2e`; `npm test` runs them all.
const { createDefaultPreset } = require("ts-jest");

const preset = createDefaultPreset({ tsconfig: "tsconfig.test.json" });
const common = {
  ...preset,
  testEnvironment: "node",
  testEnvironmentOptions: { globalsCleanup: "off" },
};

module.exports = {
  projects: [
    { ...common, displayName: "unit", testMatch: ["<rootDir>/test/unit/**/*.test.ts"] },
    { ...common, displayName: "integration", testMatch: ["<rootDir>/test/integration/**/*.test.ts"] },
    { ...common, displayName: "e2e", testMatch: ["<rootDir>/test/e2e/**/*.test.ts"] },
  ],
};
