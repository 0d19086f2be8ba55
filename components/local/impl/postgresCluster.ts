/**
 * A local PostgreSQL cluster's life cycle: its files, whether it runs, start and stop (pg_ctl),
 * a new primary (initdb), a new standby (pg_basebackup from the primary) and a re-seed.
 *
 * Layout of a region's `root` (owned by the daemon user, 0700; root touches nothing inside it
 * but through daemonFs.ts):
 *   data/            PGDATA (postgresql.conf includes aragora.conf, our managed settings)
 *   postgres.log     server log
 *   pgpass           standby only: the replicator's password for primary_conninfo (0600)
 */
import * as fs from "node:fs";
import * as path from "node:path";
import { PG_HOST, PG_REPLICATOR, PG_SUPERUSER, renderPgpass } from "../render/postgres";
import type { ProcessState } from "./common";
import { pidAlive, portOpen, readPidFile, run, runOk, sleep, stopPid, tail, waitFor } from "./proc";
import { daemonRemove, daemonRename, daemonWrite } from "./daemonFs";

export interface PostgresServerInputs {
  role: "primary" | "standby";
  region: string;
  /** Region's postgres directory (holds data/, logs, pgpass). */
  root: string;
  port: number;
  /** PostgreSQL major version; binaries from /usr/lib/postgresql/<version>/bin. */
  version: string;
  walKeepSize: string;
  maxWalSenders: number;
  maxReplicationSlots: number;
  superuserPassword: string;
  replicatorPassword: string;
  /** Primary only. */
  appPassword?: string;
  monitorPassword?: string;
  /** Standby only: the primary's port and the slot to stream from. */
  primaryPort?: number;
  slot?: string;
}

const EXPECT = "postgres";

export function binDir(version: string): string {
  return `/usr/lib/postgresql/${version}/bin`;
}

export function files(i: PostgresServerInputs): { dataDir: string; logFile: string; pidFile: string; pgpass: string } {
  const dataDir = path.join(i.root, "data");
  return { dataDir, logFile: path.join(i.root, "postgres.log"), pidFile: path.join(dataDir, "postmaster.pid"), pgpass: path.join(i.root, "pgpass") };
}

/** Whether the data dir holds a cluster (initdb or a base backup finished). */
export function hasData(i: PostgresServerInputs): boolean {
  return fs.existsSync(path.join(files(i).dataDir, "PG_VERSION"));
}

export async function state(i: PostgresServerInputs): Promise<ProcessState> {
  const pid = readPidFile(files(i).pidFile);
  const running = pidAlive(pid, EXPECT) && (await portOpen(i.port));
  return { running, pid: running && pid !== undefined ? pid : 0 };
}

function pgCtl(i: PostgresServerInputs, args: string[], timeoutMs = 90_000): Promise<{ code: number | null; output: string }> {
  const f = files(i);
  return run(path.join(binDir(i.version), "pg_ctl"), ["-D", f.dataDir, ...args], { asDaemon: true, timeoutMs, logFile: path.join(i.root, "pg_ctl.log") });
}

export async function start(i: PostgresServerInputs): Promise<void> {
  const f = files(i);
  // A postmaster killed with SIGKILL leaves children that exit a moment later; retry while they do.
  let last = "";
  for (let attempt = 0; attempt < 5; attempt++) {
    const res = await pgCtl(i, ["-l", f.logFile, "-w", "-t", "60", "start"]);
    if (res.code === 0 && (await waitFor(() => portOpen(i.port), 5000))) return;
    last = res.output;
    await sleep(1000);
  }
  throw new Error(`PostgreSQL of ${i.region} did not start: ${last.slice(-800)}\n--- postgres.log ---\n${tail(f.logFile)}`);
}

export async function stop(i: PostgresServerInputs): Promise<void> {
  const f = files(i);
  const pid = readPidFile(f.pidFile);
  if (!pidAlive(pid, EXPECT)) return;
  await pgCtl(i, ["-m", "fast", "-w", "-t", "30", "stop"], 40_000);
  await stopPid(pid, EXPECT, "SIGQUIT", 5000);
}

export async function initPrimary(i: PostgresServerInputs): Promise<void> {
  const f = files(i);
  const pwfile = path.join(i.root, "initdb.pw");
  daemonWrite(pwfile, `${i.superuserPassword}\n`, 0o600);
  try {
    await runOk("initdb", path.join(binDir(i.version), "initdb"), [
      "-D", f.dataDir, "-U", PG_SUPERUSER, `--pwfile=${pwfile}`,
      "--auth-local=scram-sha-256", "--auth-host=scram-sha-256", "-E", "UTF8", "--locale=C.UTF-8",
      // Local target: skip initdb's fsync of the fresh template files (slow on a busy disk); the
      // server itself runs with fsync on, and its first checkpoint makes them durable.
      "--no-sync",
    ], { asDaemon: true });
  } finally {
    daemonRemove(pwfile);
  }
}

export async function baseBackup(i: PostgresServerInputs): Promise<void> {
  const f = files(i);
  daemonWrite(f.pgpass, renderPgpass(i.primaryPort ?? 0, i.replicatorPassword), 0o600);
  daemonRemove(f.dataDir);
  await runOk("pg_basebackup", path.join(binDir(i.version), "pg_basebackup"), [
    "-h", PG_HOST, "-p", String(i.primaryPort), "-U", PG_REPLICATOR, "-w",
    "-D", f.dataDir, "-Fp", "-Xs", "-R", "-S", i.slot ?? "", "--checkpoint=fast",
    "-d", `application_name=${i.region}`,
    "--no-sync", // as initdb: the standby's first restartpoint makes the copy durable
  ], { asDaemon: true, env: { PGPASSFILE: f.pgpass }, timeoutMs: 300_000 });
}

/**
 * Moves a data dir whose history may have diverged from the primary's aside (`data.replaced`, one
 * kept for forensics) and copies the primary afresh: the old primary rejoining after a failover,
 * or a standby that cannot follow the new primary's timeline.
 */
export async function reseed(i: PostgresServerInputs, why: string): Promise<void> {
  const f = files(i);
  await stop(i);
  const aside = path.join(i.root, "data.replaced");
  daemonRemove(aside);
  if (fs.existsSync(f.dataDir)) daemonRename(f.dataDir, aside);
  daemonWrite(path.join(i.root, "reseed.log"), `${new Date().toISOString()} re-seeded from port ${String(i.primaryPort)}: ${why}\n`, 0o600);
  await baseBackup(i);
}
