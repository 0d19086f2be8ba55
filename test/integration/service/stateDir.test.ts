/**
 * A state dir the service cannot write, at start: the service (server/main.ts, a child process as a
 * user runs it) must exit non-zero within seconds with one line naming the state dir and the
 * reason, and must not leave a half-written SQLite database: none at all in an empty dir, and an
 * existing one unchanged byte for byte.
 *
 * Cases: an empty read-only tmpfs; a tiny tmpfs (`size=64k`) filled up; a dir where the service ran
 * before (database and all), remounted read-only. When this process may not mount (checked at run
 * time), the same cases run with the service as user nobody against chmod 0555 dirs instead (and
 * the "full" case is replaced by a second read-only one); the test says which it ran.
 */
import * as crypto from "node:crypto";
import { execFileSync } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { testEnv, type TestEnv } from "./serviceHelpers";
import { exitOf, spawnService, waitHealthy, type ServiceChild } from "../../support/serviceProcess";

jest.setTimeout(180_000);

let root: string;
let env: TestEnv;
let canMount = false;
const mounted: string[] = [];
const figures: Record<string, unknown> = {};

function mount(dir: string, opts: string): void {
  execFileSync("mount", ["-t", "tmpfs", "-o", opts, "tmpfs", dir], { stdio: "pipe" });
  mounted.push(dir);
}

/** The service on `stateDir` (as nobody when mounts are not allowed), as a child of this process. */
function spawnOn(stateDir: string, asNobody = !canMount): ServiceChild {
  return spawnService({ ...env.env, ARAGORA_STATE_DIR: stateDir, PORT: String(env.servicePort) }, { detached: false, ...(asNobody ? { uid: 65534 } : {}) });
}

/** The service on `stateDir` run until it exits; its exit code, output and run time. */
async function start(stateDir: string, asNobody = !canMount): Promise<{ code: number | string | null; output: string; ms: number }> {
  const t0 = Date.now();
  const s = spawnOn(stateDir, asNobody);
  const timer = setTimeout(() => s.child.kill("SIGKILL"), 60_000);
  const code = await exitOf(s.child, { drained: true });
  clearTimeout(timer);
  return { code, output: s.output(), ms: Date.now() - t0 };
}

function files(dir: string): Record<string, string> {
  const out: Record<string, string> = {};
  const walk = (d: string): void => {
    for (const e of fs.readdirSync(d, { withFileTypes: true })) {
      const p = path.join(d, e.name);
      if (e.isDirectory()) walk(p);
      else if (e.isFile()) out[path.relative(dir, p)] = crypto.createHash("sha256").update(fs.readFileSync(p)).digest("hex");
    }
  };
  walk(dir);
  return out;
}

function expectRefused(r: { code: number | string | null; output: string; ms: number }, dir: string, reason: RegExp): void {
  const lines = r.output.split("\n").filter((l) => l.trim() !== "");
  expect({ code: r.code, lines: lines.length }).toEqual({ code: 1, lines: 1 });
  expect(lines[0]).toMatch(new RegExp(`^aragora-regions failed to start: state dir ${dir.replace(/[.*+?^${}()|[\]\\]/g, "\\$&")} is not writable: `));
  expect(lines[0]).toMatch(reason);
  expect(r.ms).toBeLessThan(30_000);
}

beforeAll(async () => {
  env = await testEnv(1);
  root = fs.mkdtempSync(path.join(os.tmpdir(), "aragora-statedir-"));
  fs.chmodSync(root, 0o755);
  const probe = path.join(root, "probe");
  fs.mkdirSync(probe);
  try {
    // ARAGORA_TEST_STATEDIR_AS_NOBODY=1 forces the fallback (to check it where mounts work).
    if (process.env["ARAGORA_TEST_STATEDIR_AS_NOBODY"] === "1") throw new Error("fallback forced by ARAGORA_TEST_STATEDIR_AS_NOBODY=1");
    mount(probe, "size=64k");
    canMount = true;
  } catch (err) {
    console.log(`mount not permitted (${String(err).split("\n")[0]}): running the service as nobody against chmod 0555 dirs`);
  }
  figures["mode"] = canMount ? "tmpfs mounts" : "nobody + chmod 0555";
});

afterAll(() => {
  console.log(`state dir figures: ${JSON.stringify(figures)}`);
  for (const dir of mounted.reverse()) {
    try {
      execFileSync("umount", [dir], { stdio: "pipe" });
    } catch {
      execFileSync("umount", ["-l", dir], { stdio: "pipe" });
    }
  }
  fs.rmSync(root, { recursive: true, force: true });
  fs.rmSync(env.stateDir, { recursive: true, force: true });
});

describe("a state dir the service cannot write", () => {
  test("when the state dir is an empty read-only file system, then the service exits 1 at once naming it, and creates no database", async () => {
    const dir = path.join(root, "ro");
    fs.mkdirSync(dir);
    if (canMount) mount(dir, "ro,size=64k");
    else fs.chmodSync(dir, 0o555);
    const r = await start(dir);
    figures["readOnly"] = { code: r.code, ms: r.ms, line: r.output.trim() };
    expectRefused(r, dir, canMount ? /EROFS: read-only file system/ : /EACCES: permission denied/);
    expect(fs.readdirSync(dir)).toEqual([]);
  });

  test("when the state dir is a full file system, then the service exits 1 naming it and the reason, and leaves no database", async () => {
    const dir = path.join(root, "full");
    fs.mkdirSync(dir);
    if (canMount) {
      mount(dir, "size=64k");
      // Fill it: whatever the service tries to write next finds no space.
      const fd = fs.openSync(path.join(dir, "filler"), "w");
      try {
        for (;;) fs.writeSync(fd, Buffer.alloc(4096, 1));
      } catch (err) {
        expect((err as NodeJS.ErrnoException).code).toBe("ENOSPC");
      } finally {
        fs.closeSync(fd);
      }
    } else {
      fs.chmodSync(dir, 0o555);
    }
    const before = files(dir);
    const r = await start(dir);
    figures["full"] = { code: r.code, ms: r.ms, line: r.output.trim() };
    expectRefused(r, dir, canMount ? /ENOSPC: no space left on device/ : /EACCES: permission denied/);
    expect(files(dir)).toEqual(before);
    expect(fs.readdirSync(dir).filter((f) => f.startsWith("aragora.db"))).toEqual([]);
  });

  test("when a state dir the service ran in becomes read-only, then the service exits 1 and its database is unchanged byte for byte", async () => {
    const dir = path.join(root, "used");
    fs.mkdirSync(dir);
    if (canMount) mount(dir, "size=16m,mode=0755");
    else fs.chownSync(dir, 65534, 65534);
    // A normal start and graceful stop first: the database exists and is complete.
    const ok = spawnOn(dir);
    await waitHealthy(ok, env.servicePort);
    ok.child.kill("SIGTERM");
    expect(await exitOf(ok.child)).toBe(0);
    expect(fs.existsSync(path.join(dir, "aragora.db"))).toBe(true);

    if (canMount) execFileSync("mount", ["-o", "remount,ro", dir], { stdio: "pipe" });
    else fs.chmodSync(dir, 0o555);
    const before = files(dir);
    figures["usedDirFiles"] = Object.keys(before).length;
    const r = await start(dir);
    figures["becameReadOnly"] = { code: r.code, ms: r.ms, line: r.output.trim() };
    expectRefused(r, dir, canMount ? /EROFS: read-only file system/ : /EACCES: permission denied/);
    expect(files(dir)).toEqual(before);
    expect(Object.keys(before)).toContain("aragora.db");
  });
});
