/**
 * The service as a user starts it, with no tokens configured: it creates an admin token in the
 * state dir (0600), says where it is, refuses anonymous requests, serves the token's holder, and
 * stops cleanly on SIGTERM. Also: a bad configuration stops it at once with a clear message.
 */
import type { ChildProcess } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { freePortBlock } from "../support/ports";
import { exitOf, spawnService, type ServiceChild } from "../support/serviceProcess";

jest.setTimeout(180_000);

let stateDir: string;
let svc: ServiceChild | undefined;

/** server/main.ts as a child of this process, with no tokens or passphrase from this environment. */
function start(env: Record<string, string>): ChildProcess {
  svc = spawnService(env, { detached: false });
  return svc.child;
}
const output = (): string => svc?.output() ?? "";
/** Exit code, once the process has exited and its output pipes are drained. */
const exited = (c: ChildProcess): Promise<number | string | null> => exitOf(c, { drained: true });

beforeEach(() => {
  stateDir = fs.mkdtempSync(path.join(os.tmpdir(), "aragora-e2e-"));
  svc = undefined;
});

afterEach(async () => {
  if (svc && svc.child.exitCode === null) {
    svc.child.kill("SIGKILL");
    await exited(svc.child);
  }
  fs.rmSync(stateDir, { recursive: true, force: true });
});

test("when started without ARAGORA_API_TOKENS, then it creates an admin token file, says where, and enforces it; SIGTERM exits 0", async () => {
  const port = await freePortBlock(1, 16000, 19999);
  const child = start({ PORT: String(port), ARAGORA_STATE_DIR: stateDir });
  const base = `http://127.0.0.1:${port}`;
  const deadline = Date.now() + 120_000;
  while (!(await fetch(`${base}/health`).then((r) => r.ok, () => false))) {
    if (child.exitCode !== null || Date.now() > deadline) throw new Error(`service did not start: ${output()}`);
    await new Promise((r) => setTimeout(r, 200));
  }
  const tokenFile = path.join(stateDir, "admin-token");
  expect(output()).toContain(tokenFile);
  expect(fs.statSync(tokenFile).mode & 0o777).toBe(0o600);
  expect(fs.statSync(path.join(stateDir, "passphrase")).mode & 0o777).toBe(0o600);
  const token = fs.readFileSync(tokenFile, "utf8").trim();
  expect(output()).not.toContain(token);

  expect((await fetch(`${base}/regions`)).status).toBe(401);
  const ok = await fetch(`${base}/regions`, { headers: { authorization: `Bearer ${token}` } });
  expect(ok.status).toBe(200);
  expect(await ok.json()).toEqual({ regions: [] });
  const audit = await fetch(`${base}/audit`, { headers: { authorization: `Bearer ${token}` } });
  expect(audit.status).toBe(200);

  child.kill("SIGTERM");
  expect(await exited(child)).toBe(0);
  expect(output()).toMatch(/"msg":"stopped"/);
});

test("when the configuration is invalid, then it exits non-zero naming every bad variable", async () => {
  const child = start({ ARAGORA_STATE_DIR: stateDir, PORT: "99999", ARAGORA_MAX_PARALLEL: "0", ARAGORA_DEFAULT_PROVIDER: "gcp" });
  expect(await exited(child)).not.toBe(0);
  for (const v of ["PORT", "ARAGORA_MAX_PARALLEL", "ARAGORA_DEFAULT_PROVIDER"]) expect(output()).toContain(v);
});
