/**
 * components/local/impl/daemonFs.ts: root never reads, writes, renames or removes a file inside a
 * daemon-owned directory itself. A daemon that puts a symlink or a FIFO where root expects its
 * pidfile, config or log can make root reach only what the daemon user could reach anyway.
 * The root cases run only as root (CI is root); the plain-file behaviour as a normal user runs always.
 */
import { execFileSync } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import {
  daemonIds,
  daemonRead,
  daemonReadFrom,
  daemonRemove,
  daemonRename,
  daemonWrite,
  makeDaemonDir,
  removeTree,
  untraversableAncestors,
} from "../../../../components/local/impl/daemonFs";
import { daemonPath, readPidFile, tail } from "../../../../components/local/impl/proc";

const asRoot = process.getuid?.() === 0;
const rootTest = asRoot ? test : test.skip;

let base: string;
/** A root-only file outside the daemon's reach (what an attacker would aim a symlink at). */
let secret: string;
let daemonDir: string;

beforeEach(() => {
  base = fs.mkdtempSync(path.join(os.tmpdir(), "aragora-dfs-"));
  fs.chmodSync(base, 0o755);
  fs.mkdirSync(path.join(base, "private"), { mode: 0o700 });
  secret = path.join(base, "private", "secret");
  fs.writeFileSync(secret, "12345\nroot only\n", { mode: 0o600 });
  daemonDir = path.join(base, "redis");
  makeDaemonDir(daemonDir);
});
afterEach(() => {
  jest.restoreAllMocks();
  removeTree(base);
});

rootTest("when root makes a daemon directory, then the daemon user owns it, 0700, in a root-owned parent", () => {
  const st = fs.lstatSync(daemonDir);
  expect({ uid: st.uid, gid: st.gid, mode: st.mode & 0o777 }).toEqual({ ...daemonIds(), mode: 0o700 });
  expect(fs.statSync(base).uid).toBe(0);
});

rootTest("when a pidfile or log is a symlink to a root-only file, then root reads nothing through it", () => {
  fs.symlinkSync(secret, path.join(daemonDir, "redis.pid"));
  fs.symlinkSync(secret, path.join(daemonDir, "redis.log"));
  expect(fs.readFileSync(path.join(daemonDir, "redis.pid"), "utf8")).toContain("12345"); // what a plain root read would do
  expect(daemonRead(path.join(daemonDir, "redis.pid"))).toBeUndefined();
  expect(readPidFile(path.join(daemonDir, "redis.pid"))).toBeUndefined();
  expect(tail(path.join(daemonDir, "redis.log"))).toBe("");
  expect(daemonReadFrom(path.join(daemonDir, "redis.log"), 0)).toBe("");
});

rootTest("when a config file is a symlink to a root-only file, then writing it replaces the link and leaves the target alone", () => {
  const conf = path.join(daemonDir, "redis.conf");
  fs.symlinkSync(secret, conf);
  daemonWrite(conf, "port 6379\n", 0o600);
  expect(fs.readFileSync(secret, "utf8")).toBe("12345\nroot only\n");
  const st = fs.lstatSync(conf);
  expect({ link: st.isSymbolicLink(), uid: st.uid, mode: st.mode & 0o777 }).toEqual({ link: false, uid: daemonIds().uid, mode: 0o600 });
  expect(daemonRead(conf)).toBe("port 6379\n");
});

rootTest("when a daemon directory holds links to root's files and directories, then removing it removes the links only", () => {
  fs.symlinkSync(path.join(base, "private"), path.join(daemonDir, "data"));
  fs.symlinkSync(secret, path.join(daemonDir, "dump.rdb"));
  daemonRemove(path.join(daemonDir, "data"));
  expect(fs.existsSync(path.join(daemonDir, "data"))).toBe(false);
  removeTree(daemonDir);
  expect(fs.existsSync(daemonDir)).toBe(false);
  expect(fs.readFileSync(secret, "utf8")).toBe("12345\nroot only\n");
});

rootTest("when a rename's target is a link, then the link is replaced, not followed", () => {
  fs.symlinkSync(secret, path.join(daemonDir, "haproxy.cfg"));
  fs.mkdirSync(path.join(daemonDir, "sub")); // root-made, still inside the daemon's dir
  daemonWrite(path.join(daemonDir, "haproxy.cfg.new"), "global\n");
  daemonRename(path.join(daemonDir, "haproxy.cfg.new"), path.join(daemonDir, "haproxy.cfg"));
  expect(fs.readFileSync(secret, "utf8")).toBe("12345\nroot only\n");
  expect(daemonRead(path.join(daemonDir, "haproxy.cfg"))).toBe("global\n");
});

rootTest("when a pidfile is a FIFO nobody writes, then reading it gives up instead of hanging", () => {
  execFileSync("mkfifo", [path.join(daemonDir, "sentinel.pid")]);
  const t0 = Date.now();
  expect(readPidFile(path.join(daemonDir, "sentinel.pid"))).toBeUndefined();
  expect(Date.now() - t0).toBeLessThan(30_000);
});

rootTest("when an ancestor is 0700, then it is named as what the daemon user cannot traverse, and no daemon dir is made below it", () => {
  const deep = path.join(base, "private", "state", "local");
  expect(untraversableAncestors(deep)).toEqual([path.join(base, "private")]);
  expect(untraversableAncestors(path.join(daemonDir, "x"))).toEqual([]);
  expect(() => { makeDaemonDir(path.join(deep, "redis")); }).toThrow(
    `the local daemons run as "aragora", which cannot reach ${path.join(deep, "redis")}: ${path.join(base, "private")} is not traversable by it`,
  );
  expect(fs.existsSync(deep)).toBe(false);
});

test("when the service is not root, then these are plain file operations on its own files", () => {
  jest.spyOn(process, "geteuid").mockReturnValue(4321);
  const dir = path.join(base, "own");
  makeDaemonDir(dir);
  expect(fs.statSync(dir).mode & 0o777).toBe(0o700);
  const file = path.join(dir, "app.pid");
  daemonWrite(file, "4242\n", 0o640);
  expect(fs.statSync(file).mode & 0o777).toBe(0o640);
  expect(daemonRead(file)).toBe("4242\n");
  expect(readPidFile(file)).toBe(4242);
  expect(daemonReadFrom(file, 2)).toBe("42\n");
  daemonRename(file, `${file}.old`);
  expect(daemonRead(file)).toBeUndefined();
  daemonRemove(`${file}.old`);
  expect(fs.readdirSync(dir)).toEqual([]);
  expect(untraversableAncestors(path.join(base, "private", "x"))).toEqual(asRoot ? [path.join(base, "private")] : []);
});

test("the daemons' PATH keeps the caller's order and adds the sbin directories a user's PATH lacks (haproxy is in /usr/sbin)", () => {
  expect(daemonPath("/home/u/bin:/usr/bin:/bin")).toBe("/home/u/bin:/usr/bin:/bin:/usr/local/sbin:/usr/sbin:/sbin");
  expect(daemonPath("/usr/sbin:/usr/bin")).toBe("/usr/sbin:/usr/bin:/usr/local/sbin:/sbin");
  expect(daemonPath(undefined)).toBe("/usr/local/bin:/usr/bin:/bin:/usr/local/sbin:/usr/sbin:/sbin");
});
