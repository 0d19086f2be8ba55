/**
 * The service as a user starts it, with no tokens configured: it creates an admin token in the
 * state dir (0600), says where it is, refuses anonymous requests, serves the token's holder, and
 * stops cleanly on SIGTERM. Also: a bad configuration stops it at once with a clear message.
 */
import { spawn, type ChildProcess } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { projectDir } from "../../server/engine/toolchain";
import { freePortBlock } from "../integration/local/helpers";

jest.setTimeout(180_000);

let stateDir: string;
let child: ChildProcess | undefined;
let output = "";

function start(env: Record<string, string>): ChildProcess {
  const c = spawn(process.execPath, ["-r", "ts-node/register/transpile-only", "server/main.ts"], {
    cwd: projectDir(),
    env: { ...process.env, ARAGORA_API_TOKENS: "", PULUMI_CONFIG_PASSPHRASE: "", PULUMI_CONFIG_PASSPHRASE_FILE: "", ...env },
    stdio: ["ignore", "pipe", "pipe"],
  });
  c.stdout.on("data", (d: Buffer) => (output += d.toString()));
  c.stderr.on("data", (d: Buffer) => (output += d.toString()));
  return c;
}

/** Exit code, once the process has exited and its output pipes are drained ("close", not "exit"). */
const exited = (c: ChildProcess): Promise<number | null> =>
  c.exitCode !== null && c.stdout?.readableEnded !== false ? Promise.resolve(c.exitCode) : new Promise((resolve) => c.once("close", (code) => { resolve(code); }));

beforeEach(() => {
  stateDir = fs.mkdtempSync(path.join(os.tmpdir(), "aragora-e2e-"));
  output = "";
});

afterEach(async () => {
  if (child && child.exitCode === null) {
    child.kill("SIGKILL");
    await exited(child);
  }
  fs.rmSync(stateDir, { recursive: true, force: true });
});

test("when started without ARAGORA_API_TOKENS, then it creates an admin token file, says where, and enforces it; SIGTERM exits 0", async () => {
  const port = await freePortBlock(1, 16000, 19999);
  child = start({ PORT: String(port), ARAGORA_STATE_DIR: stateDir });
  const base = `http://127.0.0.1:${port}`;
  const deadline = Date.now() + 120_000;
  while (!(await fetch(`${base}/health`).then((r) => r.ok, () => false))) {
    if (child.exitCode !== null || Date.now() > deadline) throw new Error(`service did not start: ${output}`);
    await new Promise((r) => setTimeout(r, 200));
  }
  const tokenFile = path.join(stateDir, "admin-token");
  expect(output).toContain(tokenFile);
  expect(fs.statSync(tokenFile).mode & 0o777).toBe(0o600);
  expect(fs.statSync(path.join(stateDir, "passphrase")).mode & 0o777).toBe(0o600);
  const token = fs.readFileSync(tokenFile, "utf8").trim();
  expect(output).not.toContain(token);

  expect((await fetch(`${base}/regions`)).status).toBe(401);
  const ok = await fetch(`${base}/regions`, { headers: { authorization: `Bearer ${token}` } });
  expect(ok.status).toBe(200);
  expect(await ok.json()).toEqual({ regions: [] });
  const audit = await fetch(`${base}/audit`, { headers: { authorization: `Bearer ${token}` } });
  expect(audit.status).toBe(200);

  child.kill("SIGTERM");
  expect(await exited(child)).toBe(0);
  expect(output).toMatch(/"msg":"stopped"/);
});

test("when the configuration is invalid, then it exits non-zero naming every bad variable", async () => {
  child = start({ ARAGORA_STATE_DIR: stateDir, PORT: "99999", ARAGORA_MAX_PARALLEL: "0", ARAGORA_DEFAULT_PROVIDER: "gcp" });
  expect(await exited(child)).not.toBe(0);
  for (const v of ["PORT", "ARAGORA_MAX_PARALLEL", "ARAGORA_DEFAULT_PROVIDER"]) expect(output).toContain(v);
});
