/**
 * One service per state dir: an exclusive lock on `<stateDir>/service.lock`, taken before the
 * database is opened, anything is recovered or an engine is started, and held for the life of the
 * service. A second service on the same dir would mark the first one's operations interrupted and
 * clear the stack locks its engines hold.
 *
 * Node has no flock(2). SQLite's unix VFS takes POSIX fcntl() record locks, which the kernel
 * releases when the holding process dies, however it dies (SIGKILL, OOM kill): so the lock file is
 * opened as a SQLite database of its own, in exclusive locking mode, and a write transaction is
 * begun and never ended. A dead holder's lock is simply gone; there is no stale file to judge by a
 * pid that may have been reused. The holder's pid goes into `<stateDir>/service.pid`, so a refusal
 * can name it.
 *
 * fcntl locks belong to the process, and closing any descriptor of the file in that process drops
 * them: nothing but this module may open `service.lock` (which is why the pid has a file of its
 * own). They are advisory, and reliable on local file systems only.
 */
import Database from "better-sqlite3";
import * as fs from "node:fs";
import * as path from "node:path";

export const LOCK_FILE = "service.lock";
export const PID_FILE = "service.pid";

export interface StateDirHolder {
  pid: number;
  /** When it took the lock (ISO 8601), if it said. */
  startedAt?: string | undefined;
}

export interface StateDirLock {
  readonly stateDir: string;
  /** Removes the pid file and lets the lock go. Safe to call twice. */
  release(): void;
}

/** Another live process holds the state dir. */
export class StateDirInUseError extends Error {
  constructor(
    readonly stateDir: string,
    readonly holder: StateDirHolder | undefined,
  ) {
    const who = holder ? `pid ${holder.pid}${holder.startedAt ? `, running since ${holder.startedAt}` : ""}` : "pid unknown";
    super(`the state dir ${stateDir} is in use by another aragora-regions service (${who}); stop it or set ARAGORA_STATE_DIR to another directory`);
    this.name = "StateDirInUseError";
  }
}

/** The holder `service.pid` names (first line the pid, second its start time), if it names one. */
export function readHolder(stateDir: string): StateDirHolder | undefined {
  let text: string;
  try {
    text = fs.readFileSync(path.join(stateDir, PID_FILE), "utf8");
  } catch {
    return undefined;
  }
  const [pidLine, startedAt] = text.split("\n");
  const pid = Number(pidLine);
  if (!Number.isInteger(pid) || pid <= 0) return undefined;
  return { pid, startedAt: startedAt?.trim() || undefined };
}

/**
 * Takes the state dir's lock (the dir must exist) and writes this process's pid file; throws
 * StateDirInUseError at once, without waiting, when another process holds it.
 */
export function acquireStateDirLock(stateDir: string): StateDirLock {
  // timeout 0: a held lock is an answer, not something to wait for.
  const db = new Database(path.join(stateDir, LOCK_FILE), { timeout: 0 });
  try {
    db.pragma("locking_mode = EXCLUSIVE");
    db.exec("BEGIN EXCLUSIVE");
  } catch (err) {
    db.close();
    if ((err as { code?: unknown }).code === "SQLITE_BUSY") throw new StateDirInUseError(stateDir, readHolder(stateDir));
    throw err;
  }
  const pidFile = path.join(stateDir, PID_FILE);
  try {
    // Written whole, then renamed into place: a refused process never reads half a file.
    const tmp = `${pidFile}.${process.pid}.tmp`;
    fs.writeFileSync(tmp, `${process.pid}\n${new Date().toISOString()}\n`, { mode: 0o644 });
    fs.renameSync(tmp, pidFile);
  } catch (err) {
    db.close();
    throw err;
  }
  let released = false;
  return {
    stateDir,
    release() {
      if (released) return;
      released = true;
      try {
        if (readHolder(stateDir)?.pid === process.pid) fs.rmSync(pidFile, { force: true });
      } finally {
        // Closing rolls the open transaction back, which ends the lock.
        db.close();
      }
    },
  };
}
