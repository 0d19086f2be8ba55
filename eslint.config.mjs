// typescript-eslint strictTypeChecked (no floating promises in an async service) plus Pulumi's
// rule against Outputs inside template strings, and the layering rules (bottom up: domain →
// components → stacks → engine → orchestrator → service; tools through public entry points only).
import tseslint from "typescript-eslint";
import pulumi from "@pulumi/eslint-plugin";

// The layering rules, as eslint's own no-restricted-imports patterns. The rule sees import
// specifiers as written (it does not resolve them), so each regex matches the directory a relative
// specifier names right after climbing out with `../`: `^(?:\.\./)+(?:stacks)(?:/|$)` is
// `../stacks/…`, `../../stacks/…` and so on. No directory inside a layer is named after another
// layer, so for this tree that is the top-level directory. Not seen by the rule: `require()`,
// `import()` expressions and `import("…").T` type queries.
const rel = (dirs) => `^(?:\\.\\./)+(?:${dirs})(?:/|$)`;
const layer = (patterns) => ["error", { patterns: patterns.map(([regex, message]) => ({ regex, message, caseSensitive: true })) }];
const layering = [
  {
    // The model's words and pure decisions: nothing of ours outside domain/, no I/O library.
    files: ["domain/**/*.ts"],
    rules: {
      "no-restricted-imports": layer([
        [rel("components|stacks|server|scripts|bench|test"), "domain/ is the bottom layer: it imports nothing of the project outside domain/"],
        ["^@pulumi/", "domain/ stays free of the Pulumi SDK: programs, components and the engine use it, the domain does not"],
        ["^(?:express|better-sqlite3|pg|ioredis)(?:/|$)", "domain/ does no I/O: no HTTP, database or Redis client"],
      ]),
    },
  },
  {
    // Components take their own args; the words they share come from domain/.
    files: ["components/**/*.ts"],
    rules: {
      "no-restricted-imports": layer([
        [rel("stacks|server|scripts|bench|test"), "components/ import only domain/, SDKs, node builtins and their own files"],
      ]),
    },
  },
  {
    files: ["stacks/**/*.ts"],
    rules: {
      "no-restricted-imports": layer([
        [rel("server|scripts|bench|test"), "stack programs build on domain/ and components/, never on the service or the tools"],
      ]),
    },
  },
  {
    // The drills check a fleet from outside: none of the local target's implementation, only its
    // public entry (components/local/index.ts).
    files: ["server/drills/**/*.ts"],
    rules: {
      "no-restricted-imports": layer([[rel("components/(?!local$)[^/]+|components/local/.+"), "server/drills/ may import only components/local (its index), none of a component's internals"]]),
    },
  },
  {
    // The engine knows stacks and programs by name and config, never the fleet.
    files: ["server/engine/**/*.ts"],
    rules: {
      "no-restricted-imports": layer([
        // `../orchestrator` from server/engine/, or `../../server/orchestrator`.
        [rel("(?:server/)?(?:orchestrator|api|store|drills)"), "the engine sits below the orchestrator, the API, the store and the drills"],
        [rel("domain/fleet"), "the engine knows stacks and programs by name and config, never the fleet (domain/fleet)"],
        ["^(?:\\.\\./){2,}domain(?:/index)?/?$", "import the engine's few domain words from their own files: the domain/ barrel re-exports domain/fleet"],
        // server/domain.ts (FleetDomain) and server/fleetDomain.ts: `../domain` from server/engine/.
        ["^(?:\\.\\./|(?:\\.\\./)+server/)(?:domain|fleetDomain)$", "server/domain.ts and server/fleetDomain.ts are the fleet: the engine gets programs by stack name and config"],
      ]),
    },
  },
  {
    // Tools use public entry points only.
    files: ["scripts/**/*.ts", "bench/**/*.ts"],
    rules: {
      "no-restricted-imports": layer([
        [
          "^(?:\\.\\./)+server/(?!(?:service|config|main|app|engine)(?:\\.ts|/index)?$)",
          "tools use the service's public entry points only: server/service.ts, server/config.ts, server/main.ts, server/app.ts, server/engine (its index) (and domain/, test/support/)",
        ],
        ["^(?:\\.\\./)+test/(?!support(?:/|$))", "tools may use test/support/ only, not the tests themselves"],
      ]),
    },
  },
];

export default tseslint.config(
  { ignores: ["dist/**", "node_modules/**", "charts/**", "coverage/**", "**/*.js", "**/*.mjs"] },
  ...tseslint.configs.strictTypeChecked,
  {
    languageOptions: { parserOptions: { projectService: true, tsconfigRootDir: import.meta.dirname } },
    plugins: { pulumi },
    rules: {
      "pulumi/no-output-in-template-literal": "error",
      "pulumi/no-output-instance-in-template-literal": "error",
      "@typescript-eslint/restrict-template-expressions": ["error", { allowNumber: true, allowBoolean: true }],
      "@typescript-eslint/no-unused-vars": ["error", { argsIgnorePattern: "^_", varsIgnorePattern: "^_" }],
    },
  },
  {
    // Tests poke at loosely typed JSON responses and mocked Pulumi inputs.
    files: ["test/**/*.ts", "bench/**/*.ts"],
    rules: {
      "@typescript-eslint/no-unsafe-assignment": "off",
      "@typescript-eslint/no-unsafe-member-access": "off",
      "@typescript-eslint/no-unsafe-argument": "off",
      "@typescript-eslint/no-unsafe-call": "off",
      "@typescript-eslint/no-unsafe-return": "off",
      "@typescript-eslint/no-non-null-assertion": "off",
      "@typescript-eslint/no-explicit-any": "off",
    },
  },
  ...layering,
);
