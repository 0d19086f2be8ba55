import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { createEngineHostRunner } from "../../../../server/engine/engineHostRunner";

// Both cases fail before any engine host is forked: the check runs first.
const options = { stateDir: os.tmpdir(), backendUrl: "file:///nonexistent", passphrase: "x", env: {}, projectDir: os.tmpdir() };

describe("ARAGORA_ENGINE_CPUS start-up check", () => {
  test("when taskset cannot be found, then creating the engine fails naming taskset", () => {
    const empty = fs.mkdtempSync(path.join(os.tmpdir(), "no-taskset-"));
    const saved = process.env["PATH"];
    process.env["PATH"] = empty;
    try {
      expect(() => createEngineHostRunner(options, { cpus: "0" })).toThrow(/ARAGORA_ENGINE_CPUS=0 needs taskset \(util-linux\).*ENOENT/);
    } finally {
      process.env["PATH"] = saved;
      fs.rmSync(empty, { recursive: true });
    }
  });

  test("when taskset refuses the list, then creating the engine fails with taskset's reason", () => {
    expect(() => createEngineHostRunner(options, { cpus: "999" })).toThrow(/ARAGORA_ENGINE_CPUS=999 needs taskset .*failed to set .*affinity: Invalid argument/);
  });
});
