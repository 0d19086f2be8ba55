/**
 * Files inside the directories the local target's daemons own.
 *
 * When the service runs as root, PostgreSQL, Redis, Sentinel, HAProxy and the stand-in apps run as
 * an unprivileged system user (`aragora` by default, `ARAGORA_DAEMON_USER`), and each owns its
 * directory. Those directories sit in root-owned parents, so the daemon cannot swap the directory
 * itself; but it can put a symlink (or a FIFO) in place of any file inside it. So root never opens,
 * writes, renames or removes anything inside a daemon-owned directory itself: each such operation
 * runs as the daemon user (`setpriv`, then coreutils), with exactly that user's rights. What a
 * swapped path could reach is then only what the daemon could reach anyway.
 *
 * When the service is not root, the daemons run as the service's own user and these are plain file
 * operations.
 */
import { spawnSync } from "node:child_process";
import * as fs from "node:fs";
import * as path from "node:path";

/** The user the local daemons run as when the service is root. */
export const DAEMON_USER = process.env["ARAGORA_DAEMON_USER"] ?? "aragora";

export function isRoot(): boolean {
  return typeof process.geteuid === "function" && process.geteuid() === 0;
}

const MINIMAL_ENV = { PATH: "/usr/local/bin:/usr/bin:/bin", LANG: "C.UTF-8", LC_ALL: "C.UTF-8" };

const idCache = new Map<string, { uid: number; gid: number }>();

function passwdLine(user: string): string | undefined {
  return fs
    .readFileSync("/etc/passwd", "utf8")
    .split("\n")
    .find((l) => l.startsWith(`${user}:`));
}

/**
 * uid/gid of the daemon user, from /etc/passwd. As root, a missing user is created as a system user
 * with no home and no login shell (scripts/toolchain.sh does the same at setup).
 */
export function daemonIds(user: string = DAEMON_USER): { uid: number; gid: number } {
  const cached = idCache.get(user);
  if (cached) return cached;
  let line = passwdLine(user);
  if (line === undefined && isRoot()) {
    spawnSync("useradd", ["--system", "--user-group", "--home-dir", "/nonexistent", "--no-create-home", "--shell", "/usr/sbin/nologin", user], { stdio: "ignore", env: MINIMAL_ENV });
    line = passwdLine(user);
  }
  if (line === undefined) {
    throw new Error(
      `the local target runs its daemons as the unprivileged user "${user}", which does not exist: create it with ` +
        `useradd --system --user-group --home-dir /nonexistent --no-create-home --shell /usr/sbin/nologin ${user}`,
    );
  }
  const [, , uid, gid] = line.split(":");
  const ids = { uid: Number(uid), gid: Number(gid) };
  idCache.set(user, ids);
  return ids;
}

/** The argv prefix that runs a command as the daemon user (empty when we are not root). */
export function asDaemonArgv(): string[] {
  if (!isRoot()) return [];
  const { uid, gid } = daemonIds();
  return ["setpriv", `--reuid=${String(uid)}`, `--regid=${String(gid)}`, "--clear-groups", "--"];
}

/** How long one file operation may take: a FIFO put in place of a file must not hang the provider. */
const OP_TIMEOUT_MS = 10_000;

function asDaemon(argv: string[], input?: string): { code: number | null; stdout: string; stderr: string } {
  const [file, ...args] = [...asDaemonArgv(), ...argv];
  const r = spawnSync(file ?? "", args, { input: input ?? "", encoding: "utf8", env: MINIMAL_ENV, cwd: "/", maxBuffer: 64 * 1024 * 1024, timeout: OP_TIMEOUT_MS, killSignal: "SIGKILL" });
  if (r.error) return { code: null, stdout: "", stderr: r.error.message };
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

/** A file's content, or undefined when it is missing or unreadable. */
export function daemonRead(file: string): string | undefined {
  if (!isRoot()) {
    try {
      return fs.readFileSync(file, "utf8");
    } catch {
      return undefined;
    }
  }
  const r = asDaemon(["cat", "--", file]);
  return r.code === 0 ? r.stdout : undefined;
}

/** What a file holds past byte `offset` (at most 1 MB of it), or "". */
export function daemonReadFrom(file: string, offset: number): string {
  if (!isRoot()) {
    try {
      const fd = fs.openSync(file, "r");
      try {
        const size = fs.fstatSync(fd).size;
        const len = Math.max(0, Math.min(size - offset, 1_000_000));
        const buf = Buffer.alloc(len);
        fs.readSync(fd, buf, 0, len, offset);
        return buf.toString("utf8");
      } finally {
        fs.closeSync(fd);
      }
    } catch {
      return "";
    }
  }
  const r = asDaemon(["sh", "-c", 'tail -c +"$1" -- "$2" | head -c 1000000', "sh", String(offset + 1), file]);
  return r.code === 0 ? r.stdout : "";
}

/** A file's size in bytes, 0 when missing. */
export function daemonFileSize(file: string): number {
  if (!isRoot()) {
    try {
      return fs.statSync(file).size;
    } catch {
      return 0;
    }
  }
  const r = asDaemon(["stat", "-c", "%s", "--", file]);
  return r.code === 0 ? Number(r.stdout.trim()) || 0 : 0;
}

/** Writes a file atomically (a temporary file beside it, then a rename) with `mode`. */
export function daemonWrite(file: string, content: string, mode = 0o600): void {
  const octal = mode.toString(8);
  if (!isRoot()) {
    const tmp = `${file}.tmp-${String(process.pid)}`;
    fs.writeFileSync(tmp, content, { mode });
    fs.chmodSync(tmp, mode);
    fs.renameSync(tmp, file);
    return;
  }
  const r = asDaemon(["sh", "-c", 'umask 077; t="$1.tmp-$$"; cat > "$t" && chmod "$2" "$t" && mv -fT "$t" "$1"', "sh", file, octal], content);
  if (r.code !== 0) throw new Error(`could not write ${file} as ${DAEMON_USER}: ${r.stderr.trim()}`);
}

/** Renames within the daemon's own directories. */
export function daemonRename(from: string, to: string): void {
  if (!isRoot()) {
    fs.renameSync(from, to);
    return;
  }
  const r = asDaemon(["mv", "-fT", "--", from, to]);
  if (r.code !== 0) throw new Error(`could not rename ${from} as ${DAEMON_USER}: ${r.stderr.trim()}`);
}

/** Removes a file or a tree inside a daemon-owned directory (no error when missing). */
export function daemonRemove(target: string): void {
  if (!isRoot()) {
    fs.rmSync(target, { recursive: true, force: true });
    return;
  }
  const r = asDaemon(["rm", "-rf", "--", target]);
  if (r.code !== 0) throw new Error(`could not remove ${target} as ${DAEMON_USER}: ${r.stderr.trim()}`);
}

/**
 * Creates (or re-owns) a directory the daemon owns, mode 0700, in a parent that root owns (so the
 * daemon cannot swap the directory itself). As root, first checks that the daemon user can reach
 * it, and throws naming every ancestor it cannot traverse (a 0700 home directory, typically).
 */
export function makeDaemonDir(dir: string): void {
  if (isRoot()) {
    const blocking = untraversableAncestors(dir);
    if (blocking.length > 0) {
      throw new Error(
        `the local daemons run as "${DAEMON_USER}", which cannot reach ${dir}: ${blocking.join(", ")} ` +
          `${blocking.length === 1 ? "is" : "are"} not traversable by it. Leave ARAGORA_LOCAL_ROOT unset (the service then ` +
          `picks a reachable directory), point it somewhere every ancestor of which is world-executable, or run chmod o+x on ${blocking.join(", ")}`,
      );
    }
  }
  fs.mkdirSync(path.dirname(dir), { recursive: true, mode: 0o755 });
  try {
    fs.mkdirSync(dir, { mode: 0o700 });
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== "EEXIST") throw err;
  }
  const st = fs.lstatSync(dir);
  if (!st.isDirectory()) throw new Error(`${dir} is not a directory`);
  if (isRoot()) {
    const { uid, gid } = daemonIds();
    fs.lchownSync(dir, uid, gid);
  }
  fs.chmodSync(dir, 0o700);
}

/**
 * Removes a tree that may hold daemon-owned directories: what the daemon owns is removed as the
 * daemon; root-owned directories (which the daemon cannot change) are walked and removed by root.
 */
export function removeTree(target: string): void {
  let st: fs.Stats;
  try {
    st = fs.lstatSync(target);
  } catch {
    return;
  }
  if (isRoot() && st.uid === daemonIds().uid) {
    if (!st.isDirectory()) {
      fs.rmSync(target, { force: true }); // its parent is root's: nothing can be swapped under it
      return;
    }
    // The daemon empties its directory (it cannot unlink it from a root-owned parent); root then
    // removes the empty directory, which the daemon could not have replaced.
    const r = asDaemon(["find", target, "-mindepth", "1", "-delete"]);
    if (r.code !== 0) throw new Error(`could not empty ${target} as ${DAEMON_USER}: ${r.stderr.trim()}`);
    fs.rmdirSync(target);
    return;
  }
  if (st.isDirectory()) {
    for (const entry of fs.readdirSync(target)) removeTree(path.join(target, entry));
    fs.rmdirSync(target);
  } else {
    fs.rmSync(target, { force: true });
  }
}

/** The ancestors of `dir` (from its parent up) that the daemon user cannot traverse. */
export function untraversableAncestors(dir: string, user: string = DAEMON_USER): string[] {
  const { uid, gid } = daemonIds(user);
  const blocking: string[] = [];
  let cur = path.dirname(dir);
  for (;;) {
    let st: fs.Stats | undefined;
    try {
      st = fs.statSync(cur);
    } catch {
      st = undefined; // not there yet: made later, 0755
    }
    if (st !== undefined) {
      const bit = st.uid === uid ? 0o100 : st.gid === gid ? 0o010 : 0o001;
      if ((st.mode & bit) === 0) blocking.push(cur);
    }
    const parent = path.dirname(cur);
    if (parent === cur) break;
    cur = parent;
  }
  return blocking;
}

/** removeTree for the clean-up after a failed create: never throws, so the create's own error is what is reported. */
export function discardTree(target: string): void {
  try {
    removeTree(target);
  } catch {
    /* the create's error matters more; a later delete retries */
  }
}
