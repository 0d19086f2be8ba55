/**
 * The reliability suites' service: the real service in-process (test/support/serviceDriver) with
 * the real SQLite store in a temp state dir, debug logs captured, and the fake engine that leaks
 * each stack's generated password in its events and outputs (fakeRunner.leakySecrets).
 */
import * as path from "node:path";
import { FakeRunner, leakySecrets } from "../../support/fakeRunner";
import { startTestService, type TestService } from "../../support/serviceDriver";
import { dumpTables } from "../../support/storeDump";

export interface Rig extends TestService<FakeRunner> {
  /** Every table but the audit log (with `withAudit`, all of them), rows in a stable order. */
  dump(opts?: { withAudit?: boolean }): Record<string, unknown[]>;
  dbFile: string;
}

export async function startRig(env: Record<string, string> = {}): Promise<Rig> {
  const rig = await startTestService({ runner: new FakeRunner(leakySecrets()), logLevel: "debug", env: { ARAGORA_RATE_LIMIT_PER_MIN: "120", ...env } });
  rig.runner.delayMs = 20;
  const dbFile = path.join(rig.stateDir, "aragora.db");
  return Object.assign(rig, { dbFile, dump: (o: { withAudit?: boolean } = {}) => dumpTables(dbFile, o) });
}
