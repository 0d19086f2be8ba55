/**
 * Loopback ports for tests and the bench: a free port, and a block of free ports reserved for this
 * process. A reservation is a lock file per 10-port chunk in the OS temp dir (`aragora-test-ports/`),
 * taken with O_EXCL and holding the owner's pid, so test files that run at the same time (jest
 * workers, other checkouts on the machine) never pick overlapping blocks between choosing a block
 * and binding its ports (minutes later, for a region's daemons). A lock lasts as long as its
 * owner process (a jest worker keeps its blocks across its test files); the lock of a process that
 * is gone is taken over. (Outside jest the locks are also removed at exit; jest's sandboxed
 * `process` does not pass the exit event on.)
 */
import * as fs from "node:fs";
import * as net from "node:net";
import * as os from "node:os";
import * as path from "node:path";

export function portFree(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const srv = net.createServer();
    srv.once("error", () => {
      resolve(false);
    });
    srv.listen(port, "127.0.0.1", () => {
      srv.close(() => {
        resolve(true);
      });
    });
  });
}

/** Whether something accepts connections on the port (half a second to answer). */
export function portOpen(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const s = net.connect({ host: "127.0.0.1", port });
    s.setTimeout(500, () => {
      s.destroy();
      resolve(false);
    });
    s.once("connect", () => {
      s.destroy();
      resolve(true);
    });
    s.once("error", () => {
      resolve(false);
    });
  });
}

/** A port the OS says is free now (for a service started right after). */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = net.createServer();
    srv.once("error", reject);
    srv.listen(0, "127.0.0.1", () => {
      const addr = srv.address();
      srv.close(() => {
        resolve(typeof addr === "object" && addr ? addr.port : 0);
      });
    });
  });
}

const LOCK_DIR = path.join(os.tmpdir(), "aragora-test-ports");
const held: string[] = [];
let releaseOnExit = false;

function ownerAlive(file: string): boolean {
  try {
    const pid = Number(fs.readFileSync(file, "utf8"));
    if (!Number.isInteger(pid) || pid <= 0) return false;
    process.kill(pid, 0);
    return true;
  } catch (err) {
    // EPERM: the owner runs, as another user.
    return (err as NodeJS.ErrnoException).code === "EPERM";
  }
}

/** Takes the lock of one 10-port chunk; false when a live process holds it. */
function lockChunk(chunk: number): boolean {
  const file = path.join(LOCK_DIR, String(chunk));
  for (let attempt = 0; attempt < 2; attempt++) {
    try {
      fs.writeFileSync(file, String(process.pid), { flag: "wx" });
      held.push(file);
      return true;
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== "EEXIST" || ownerAlive(file)) return false;
      fs.rmSync(file, { force: true }); // its owner died without releasing it
    }
  }
  return false;
}

function release(files: readonly string[]): void {
  for (const f of files) fs.rmSync(f, { force: true });
}

/**
 * A base in [lo, hi - count], a multiple of 10, whose `count` ports are free and reserved for this
 * process until it exits. Callers keep to their own ranges (see each test's header).
 */
export async function freePortBlock(count: number, lo = 12000, hi = 15999): Promise<number> {
  fs.mkdirSync(LOCK_DIR, { recursive: true, mode: 0o1777 });
  if (!releaseOnExit) {
    releaseOnExit = true;
    process.once("exit", () => {
      release(held);
    });
  }
  for (let attempt = 0; attempt < 50; attempt++) {
    const base = lo + Math.floor(Math.random() * (hi - lo - count));
    const aligned = base - (base % 10);
    const chunks: number[] = [];
    for (let c = aligned; c < aligned + count; c += 10) chunks.push(c);
    const taken: string[] = [];
    let ok = true;
    for (const c of chunks) {
      if (!lockChunk(c)) {
        ok = false;
        break;
      }
      taken.push(path.join(LOCK_DIR, String(c)));
    }
    for (let p = aligned; p < aligned + count && ok; p++) ok = await portFree(p);
    if (ok) return aligned;
    release(taken);
    held.splice(0, held.length, ...held.filter((f) => !taken.includes(f)));
  }
  throw new Error(`no free port block of ${String(count)} found in ${String(lo)}-${String(hi)}`);
}
