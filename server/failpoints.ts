/**
 * Failpoints: named places where a crash test can make the process die at once (SIGKILL), to
 * prove what the service does after a crash at exactly that moment (test/crash/). Off unless
 * ARAGORA_FAILPOINT_DIR is set: then a point fires when a file of its name exists in that
 * directory; the file is removed first, so it fires once (the restarted process runs on).
 * Points: `after-engine.<step id>` (the step's engine work is done, nothing of it is recorded yet)
 * in the step executor, and `host-result.<action>.<stack>` (the engine finished, its result not
 * yet sent to the service) in the engine host.
 */
import * as fs from "node:fs";
import * as path from "node:path";

export function failpoint(name: string): void {
  const dir = process.env["ARAGORA_FAILPOINT_DIR"];
  if (dir === undefined || dir === "") return;
  const file = path.join(dir, name.replace(/[^A-Za-z0-9._-]/g, "."));
  try {
    fs.unlinkSync(file);
  } catch {
    return; // not armed
  }
  process.kill(process.pid, "SIGKILL");
}
