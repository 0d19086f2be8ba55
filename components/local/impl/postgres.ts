/**
 * Provider implementations for PostgreSQL on the local target: a server (primary or hot standby)
 * and a physical replication slot on the primary.
 *
 * Layout of a region's `root` (owned by the daemon user, 0700; root touches nothing inside it
 * but through daemonFs.ts):
 *   data/            PGDATA (postgresql.conf includes aragora.conf, our managed settings)
 *   postgres.log     server log
 *   pgpass           standby only: the replicator's password for primary_conninfo (0600)
 *
 * Every path and identifier is validated in `check` and again before use.
 */
import * as fs from "node:fs";
import * as path from "node:path";
import { Client } from "pg";
import type * as pulumi from "@pulumi/pulumi";
import {
  PG_APP_USER,
  PG_DATABASE,
  PG_HOST,
  PG_MANAGED_CONF,
  PG_MONITOR,
  PG_REPLICATOR,
  PG_SUPERUSER,
  renderPgHba,
  renderPgpass,
  renderPostgresConf,
  renderPrimaryAutoConf,
  renderStandbyAutoConf,
} from "../render/postgres";
import { assertInt, assertPgIdentifier, assertPgSize, assertPort, assertRegionName, assertSafePath, assertSecret } from "../names";
import { changedKeys, errorMessage, type ProcessState, hasUnknowns } from "./common";
import { pidAlive, portOpen, readPidFile, run, runOk, sleep, stopPid, tail, waitFor } from "./proc";
import { daemonFileSize, daemonRead, daemonReadFrom, daemonRemove, daemonRename, daemonWrite, makeDaemonDir, removeTree, discardTree } from "./daemonFs";

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

export type PostgresServerOutputs = PostgresServerInputs & ProcessState & { dataDir: string; logFile: string; pidFile: string };

const EXPECT = "postgres";

export function binDir(version: string): string {
  return `/usr/lib/postgresql/${version}/bin`;
}

function validate(i: PostgresServerInputs): void {
  if (!["primary", "standby"].includes(i.role)) throw new Error(`role: ${JSON.stringify(i.role)} is not primary or standby`);
  assertRegionName(i.region);
  assertSafePath(i.root, "root");
  assertPort(i.port, "port");
  if (!/^1[4-7]$/.test(i.version)) throw new Error(`version: ${JSON.stringify(i.version)} is not a supported PostgreSQL major version`);
  assertPgSize(i.walKeepSize, "walKeepSize");
  assertInt(i.maxWalSenders, "maxWalSenders", 1, 100);
  assertInt(i.maxReplicationSlots, "maxReplicationSlots", 1, 100);
  assertSecret(i.superuserPassword, "superuserPassword");
  assertSecret(i.replicatorPassword, "replicatorPassword");
  if (i.role === "primary") {
    assertSecret(i.appPassword, "appPassword");
    assertSecret(i.monitorPassword, "monitorPassword");
  } else {
    assertPort(i.primaryPort, "primaryPort");
    assertPgIdentifier(i.slot, "slot");
  }
}

function files(i: PostgresServerInputs): { dataDir: string; logFile: string; pidFile: string; pgpass: string } {
  const dataDir = path.join(i.root, "data");
  return { dataDir, logFile: path.join(i.root, "postgres.log"), pidFile: path.join(dataDir, "postmaster.pid"), pgpass: path.join(i.root, "pgpass") };
}

async function state(i: PostgresServerInputs): Promise<ProcessState> {
  const pid = readPidFile(files(i).pidFile);
  const running = pidAlive(pid, EXPECT) && (await portOpen(i.port));
  return { running, pid: running && pid !== undefined ? pid : 0 };
}

function pgCtl(i: PostgresServerInputs, args: string[], timeoutMs = 90_000): Promise<{ code: number | null; output: string }> {
  const f = files(i);
  return run(path.join(binDir(i.version), "pg_ctl"), ["-D", f.dataDir, ...args], { asDaemon: true, timeoutMs, logFile: path.join(i.root, "pg_ctl.log") });
}

async function start(i: PostgresServerInputs): Promise<void> {
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

async function stop(i: PostgresServerInputs): Promise<void> {
  const f = files(i);
  const pid = readPidFile(f.pidFile);
  if (!pidAlive(pid, EXPECT)) return;
  await pgCtl(i, ["-m", "fast", "-w", "-t", "30", "stop"], 40_000);
  await stopPid(pid, EXPECT, "SIGQUIT", 5000);
}

function client(port: number, user: string, password: string, database: string): Client {
  return new Client({ host: PG_HOST, port, user, password, database, connectionTimeoutMillis: 5000 });
}

async function withClient<T>(c: Client, fn: (c: Client) => Promise<T>): Promise<T> {
  await c.connect();
  try {
    return await fn(c);
  } finally {
    await c.end().catch(() => undefined);
  }
}

/** Roles, database and table of the app; idempotent (also re-applies passwords). */
async function bootstrapPrimary(i: PostgresServerInputs): Promise<void> {
  await withClient(client(i.port, PG_SUPERUSER, i.superuserPassword, "postgres"), async (c) => {
    const roles: [string, string, string][] = [
      [PG_REPLICATOR, "REPLICATION LOGIN", i.replicatorPassword],
      [PG_APP_USER, "LOGIN", i.appPassword ?? ""],
      [PG_MONITOR, "LOGIN", i.monitorPassword ?? ""],
    ];
    for (const [role, attrs, password] of roles) {
      const exists = await c.query("SELECT 1 FROM pg_roles WHERE rolname = $1", [role]);
      const verb = exists.rowCount === 0 ? "CREATE" : "ALTER";
      await c.query(`${verb} ROLE ${role} WITH ${attrs} PASSWORD ${c.escapeLiteral(password)}`);
    }
    await c.query(`GRANT pg_monitor TO ${PG_MONITOR}`);
    const db = await c.query("SELECT 1 FROM pg_database WHERE datname = $1", [PG_DATABASE]);
    if (db.rowCount === 0) await c.query(`CREATE DATABASE ${PG_DATABASE} OWNER ${PG_APP_USER}`);
  });
  await withClient(client(i.port, PG_SUPERUSER, i.superuserPassword, PG_DATABASE), async (c) => {
    await c.query(
      `CREATE TABLE IF NOT EXISTS debates (
         id bigserial PRIMARY KEY,
         created_at timestamptz NOT NULL DEFAULT now(),
         topic text NOT NULL,
         body text NOT NULL DEFAULT '',
         origin_region text NOT NULL
       )`,
    );
    await c.query(`ALTER TABLE debates OWNER TO ${PG_APP_USER}`);
  });
}

function managedConf(i: PostgresServerInputs): string {
  return renderPostgresConf({
    region: i.region,
    port: i.port,
    walKeepSize: i.walKeepSize,
    maxWalSenders: i.maxWalSenders,
    maxReplicationSlots: i.maxReplicationSlots,
    role: i.role,
  });
}

/** What writing the managed files changed: `restart` needs a restart, `reload` a reload (`pg_reload_conf`). */
interface ConfigChange {
  restart: boolean;
  reload: boolean;
}

/** The managed conf without its comment line (the comment names the role; a role change alone needs no restart). */
function settingsOnly(conf: string | undefined): string | undefined {
  return conf?.split("\n").filter((l) => !l.startsWith("#")).join("\n");
}

/**
 * Writes the managed files. Settings in aragora.conf (port, wal_level, senders, slots, ...) need a
 * restart; pg_hba.conf and the standby's primary_conninfo / primary_slot_name (PostgreSQL 13+)
 * only a reload, so re-pointing a standby or switching a role keeps the server up.
 */
function writeConfig(i: PostgresServerInputs): ConfigChange {
  const f = files(i);
  const change: ConfigChange = { restart: false, reload: false };
  const read = daemonRead;
  const put = (file: string, content: string, kind: "restart" | "reload" | "none", mode = 0o600): void => {
    const old = read(file);
    if (old === content) return;
    daemonWrite(file, content, mode);
    if (kind === "restart") change.restart = true;
    if (kind === "reload") change.reload = true;
  };
  const mainConf = path.join(f.dataDir, "postgresql.conf");
  const include = `include '${PG_MANAGED_CONF}'`;
  const main = read(mainConf);
  if (main === undefined) throw new Error(`${mainConf} is missing or unreadable`);
  if (!main.split("\n").includes(include)) put(mainConf, `${main.trimEnd()}\n\n# Aragora Regions: managed settings last, so they win.\n${include}\n`, "restart");
  const managedFile = path.join(f.dataDir, PG_MANAGED_CONF);
  const managed = managedConf(i);
  const oldManaged = read(managedFile);
  put(managedFile, managed, settingsOnly(oldManaged) === settingsOnly(managed) ? "none" : "restart");
  put(path.join(f.dataDir, "pg_hba.conf"), renderPgHba(), "reload");
  const autoConf = path.join(f.dataDir, "postgresql.auto.conf");
  if (i.role === "standby") {
    put(f.pgpass, renderPgpass(i.primaryPort ?? 0, i.replicatorPassword), "none");
    put(autoConf, renderStandbyAutoConf({ primaryPort: i.primaryPort ?? 0, passfile: f.pgpass, applicationName: i.region, slot: i.slot ?? "" }), "reload");
  } else {
    // A promoted standby keeps no upstream settings (and no ALTER SYSTEM fence from a past failover).
    put(autoConf, renderPrimaryAutoConf(), "reload");
    daemonRemove(f.pgpass);
  }
  return change;
}

async function initPrimary(i: PostgresServerInputs): Promise<void> {
  const f = files(i);
  const pwfile = path.join(i.root, "initdb.pw");
  daemonWrite(pwfile, `${i.superuserPassword}\n`, 0o600);
  try {
    await runOk("initdb", path.join(binDir(i.version), "initdb"), [
      "-D", f.dataDir, "-U", PG_SUPERUSER, `--pwfile=${pwfile}`,
      "--auth-local=scram-sha-256", "--auth-host=scram-sha-256", "-E", "UTF8", "--locale=C.UTF-8",
      // Local target: skip initdb's fsync of the fresh template files (seconds on a busy disk); the
      // server itself runs with fsync on, and its first checkpoint makes them durable.
      "--no-sync",
    ], { asDaemon: true });
  } finally {
    daemonRemove(pwfile);
  }
}

async function baseBackup(i: PostgresServerInputs): Promise<void> {
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

/** How much longer a standby whose primary answers gets to stream before its step fails. */
const STANDBY_STREAM_TIMEOUT_MS = 45_000;

/** The primary's current timeline (pg_control; a promotion's CHECKPOINT puts the new one there). */
async function primaryTimeline(i: PostgresServerInputs): Promise<number | undefined> {
  try {
    return await withClient(client(i.primaryPort ?? 0, PG_SUPERUSER, i.superuserPassword, "postgres"), async (c) => {
      const r = await c.query<{ tli: number }>("SELECT timeline_id AS tli FROM pg_control_checkpoint()");
      return r.rows[0]?.tli;
    });
  } catch {
    return undefined;
  }
}

/**
 * Waits until the standby's walreceiver streams the primary's current timeline; false when it does
 * not within `timeoutMs`. The timeline matters: a standby that replayed past a new primary's switch
 * point still connects and streams the old timeline's WAL up to that point, so `status` alone reads
 * `streaming` for a moment between its "forked off ... before current recovery point" retries.
 */
async function waitStreaming(i: PostgresServerInputs, timeoutMs = 15_000): Promise<boolean> {
  return waitFor(async () => {
    try {
      const receiver = await withClient(client(i.port, PG_SUPERUSER, i.superuserPassword, "postgres"), async (c) => {
        const r = await c.query<{ status: string; tli: number | null }>("SELECT status, received_tli AS tli FROM pg_stat_wal_receiver");
        return r.rows[0];
      });
      if (receiver?.status !== "streaming") return false;
      const want = await primaryTimeline(i);
      return want === undefined || (receiver.tli ?? 0) >= want;
    } catch {
      return false;
    }
  }, timeoutMs, 200);
}

async function superuserQuery<T>(i: PostgresServerInputs, fn: (c: Client) => Promise<T>): Promise<T> {
  return withClient(client(i.port, PG_SUPERUSER, i.superuserPassword, "postgres"), fn);
}

/** Promotes a running standby in place (same data dir, new timeline); a no-op on a primary. */
async function promoteInPlace(i: PostgresServerInputs): Promise<void> {
  await superuserQuery(i, async (c) => {
    const r = await c.query<{ r: boolean }>("SELECT pg_is_in_recovery() AS r");
    if (r.rows[0]?.r !== true) return;
    const p = await c.query<{ ok: boolean }>("SELECT pg_promote(true, 60) AS ok");
    if (p.rows[0]?.ok !== true) throw new Error(`pg_promote of ${i.region} did not finish within 60 s`);
    // Put the new timeline into pg_control now (pg_rewind and timeline probes read it there).
    await c.query("CHECKPOINT");
  });
}

/**
 * Moves a data dir whose history may have diverged from the primary's aside (`data.replaced`, one
 * kept for forensics) and copies the primary afresh: the old primary rejoining after a failover,
 * or a standby that cannot follow the new primary's timeline.
 */
async function reseed(i: PostgresServerInputs, why: string): Promise<void> {
  const f = files(i);
  await stop(i);
  const aside = path.join(i.root, "data.replaced");
  daemonRemove(aside);
  if (fs.existsSync(f.dataDir)) daemonRename(f.dataDir, aside);
  daemonWrite(path.join(i.root, "reseed.log"), `${new Date().toISOString()} re-seeded from port ${String(i.primaryPort)}: ${why}\n`, 0o600);
  await baseBackup(i);
}

/** The walreceiver's complaints when a standby replayed past the new primary's timeline switch. */
const CANNOT_FOLLOW = /is not in this server's history|forked off current database system timeline|is not a child of this server's history|requested starting point .* is ahead of the WAL flush position/;

/**
 * After a re-point: true once the standby streams from the new primary; false as soon as its log
 * says it cannot follow the new timeline (then it is re-seeded), or after 10 s.
 */
async function followsNewPrimary(i: PostgresServerInputs, logOffset: number): Promise<boolean> {
  const f = files(i);
  let streaming = false;
  await waitFor(async () => {
    if (CANNOT_FOLLOW.test(daemonReadFrom(f.logFile, logOffset))) return true;
    streaming = await waitStreaming(i, 0);
    return streaming;
  }, 10_000, 200);
  return streaming;
}

async function applyConfig(i: PostgresServerInputs, change: ConfigChange): Promise<void> {
  const before = await state(i);
  if (before.running && change.restart) {
    await stop(i);
    await start(i);
  } else if (!before.running) {
    await stop(i); // a half-dead postmaster (pid alive, port closed)
    await start(i);
  } else if (change.reload) {
    await superuserQuery(i, (c) => c.query("SELECT pg_reload_conf()"));
  }
}

/**
 * Brings the server to the wanted state on whatever data exists: init or base-backup when
 * missing, (re)write config, start, restart or reload. Role changes happen in place:
 * - standby → primary: the same data dir is promoted (pg_promote), never re-initialized;
 * - primary → standby (the old primary after a failover): its data may hold writes the new
 *   primary never got, so it is moved aside and re-seeded from the new primary;
 * - a standby re-pointed to another primary reloads its primary_conninfo and follows the new
 *   timeline; if it cannot (it replayed past the new primary's switch point), it is re-seeded.
 */
async function ensure(i: PostgresServerInputs, olds?: PostgresServerInputs): Promise<PostgresServerOutputs> {
  validate(i);
  const f = files(i);
  if (!fs.existsSync(path.join(binDir(i.version), "postgres"))) {
    throw new Error(`PostgreSQL ${i.version} is not installed (${binDir(i.version)}); run scripts/toolchain.sh or pick the installed version`);
  }
  makeDaemonDir(i.root);
  const fresh = !fs.existsSync(path.join(f.dataDir, "PG_VERSION"));
  const standbyData = fs.existsSync(path.join(f.dataDir, "standby.signal"));
  if (fresh) {
    if (i.role === "primary") await initPrimary(i);
    else await baseBackup(i);
  } else if (i.role === "standby" && !standbyData) {
    await reseed(i, "this data dir was a primary; it rejoins as a standby of the new primary");
  }
  const logOffset = daemonFileSize(f.logFile); // where a reload or restart began
  await applyConfig(i, writeConfig(i));
  if (i.role === "primary") {
    await promoteInPlace(i);
    await bootstrapPrimary(i);
  } else {
    const repointed = olds !== undefined && (olds.primaryPort !== i.primaryPort || olds.role !== "standby");
    let streaming = repointed ? await followsNewPrimary(i, logOffset) : await waitStreaming(i);
    if (!streaming && repointed && !fresh && standbyData && (await portOpen(i.primaryPort ?? 0))) {
      await reseed(i, `it did not stream from the new primary within 10 s (it may have replayed past its timeline switch)\n${tail(f.logFile, 600)}`);
      await applyConfig(i, writeConfig(i));
      streaming = await waitStreaming(i);
    }
    // A standby whose primary answers must stream before the step may say it is done: on a busy
    // machine a fresh copy can take longer than the waits above, and a step that succeeded over a
    // standby that never streams would hide a broken replica until the next failover.
    if (!streaming && (await portOpen(i.primaryPort ?? 0)) && !(await waitStreaming(i, STANDBY_STREAM_TIMEOUT_MS))) {
      throw new Error(`the standby of ${i.region} does not stream from its primary on port ${String(i.primaryPort)} (which answers) after ${String(STANDBY_STREAM_TIMEOUT_MS / 1000)} s more: ${tail(f.logFile, 800)}`);
    }
  }
  const after = await state(i);
  if (!after.running) throw new Error(`PostgreSQL of ${i.region} is not answering on port ${i.port}: ${tail(f.logFile)}`);
  return { ...i, ...after, dataDir: f.dataDir, logFile: f.logFile, pidFile: f.pidFile };
}

const KEYS = [
  "role", "region", "root", "port", "version", "walKeepSize", "maxWalSenders", "maxReplicationSlots",
  "superuserPassword", "replicatorPassword", "appPassword", "monitorPassword", "primaryPort", "slot",
] as const;
/**
 * Changing these means a different cluster: replace (delete first: same ports and paths). The role
 * is not one of them: a failover changes it in place (see `ensure`).
 */
const REPLACE_KEYS = ["root", "version", "region"] as const;

export const postgresServer: pulumi.dynamic.ResourceProvider = {
  check(_olds: PostgresServerInputs, news: PostgresServerInputs) {
    try {
      if (!hasUnknowns(news)) validate(news);
      return Promise.resolve({ inputs: news });
    } catch (err) {
      return Promise.resolve({ inputs: news, failures: [{ property: "inputs", reason: errorMessage(err) }] });
    }
  },
  async diff(_id: string, olds: PostgresServerOutputs, news: PostgresServerInputs) {
    const changed = changedKeys(olds as unknown as Record<string, unknown>, news as unknown as Record<string, unknown>, KEYS);
    const replaces = changed.filter((k) => (REPLACE_KEYS as readonly string[]).includes(k));
    // A dead server is a change too: `up` restarts it on its existing data.
    const alive = olds.running && (await state(news)).running;
    return { changes: changed.length > 0 || !alive, replaces, deleteBeforeReplace: true };
  },
  async create(inputs: PostgresServerInputs) {
    const hadData = fs.existsSync(path.join(files(inputs).dataDir, "PG_VERSION"));
    try {
      const outs = await ensure(inputs);
      return { id: `postgres:${inputs.region}:${inputs.root}`, outs };
    } catch (err) {
      // Create is transactional: leave nothing half-made behind (data that was already there stays).
      if (!hadData) {
        await stop(inputs).catch(() => undefined);
        discardTree(inputs.root);
      }
      throw err;
    }
  },
  async read(id: string, props?: PostgresServerOutputs) {
    if (props === undefined) return { id };
    return { id, props: { ...props, ...(await state(props)) } };
  },
  async update(_id: string, olds: PostgresServerOutputs, news: PostgresServerInputs) {
    return { outs: await ensure(news, olds) };
  },
  async delete(_id: string, props: PostgresServerOutputs) {
    validate(props);
    await stop(props);
    removeTree(props.root);
  },
};

// ---------------------------------------------------------------------------------------------
// Replication slot: created on the primary by the replica region's stack, dropped with it.

export interface ReplicationSlotInputs {
  primaryPort: number;
  slot: string;
  /** The replicator's password (slot functions need REPLICATION). */
  password: string;
}
export type ReplicationSlotOutputs = ReplicationSlotInputs & { present: boolean };

function validateSlot(i: ReplicationSlotInputs): void {
  assertPort(i.primaryPort, "primaryPort");
  assertPgIdentifier(i.slot, "slot");
  assertSecret(i.password, "password");
}

function slotClient(i: ReplicationSlotInputs): Client {
  return client(i.primaryPort, PG_REPLICATOR, i.password, "postgres");
}

/** Whether the slot exists, or undefined when the primary does not answer. */
async function slotPresent(i: ReplicationSlotInputs): Promise<boolean | undefined> {
  try {
    return await withClient(slotClient(i), async (c) => {
      const r = await c.query("SELECT 1 FROM pg_replication_slots WHERE slot_name = $1", [i.slot]);
      return (r.rowCount ?? 0) > 0;
    });
  } catch {
    return undefined;
  }
}

async function ensureSlot(i: ReplicationSlotInputs): Promise<ReplicationSlotOutputs> {
  validateSlot(i);
  await withClient(slotClient(i), async (c) => {
    const r = await c.query("SELECT 1 FROM pg_replication_slots WHERE slot_name = $1", [i.slot]);
    // immediately_reserve: the slot holds WAL from now on, before the base backup starts.
    if ((r.rowCount ?? 0) === 0) await c.query("SELECT pg_create_physical_replication_slot($1, true)", [i.slot]);
  });
  return { ...i, present: true };
}

export const replicationSlot: pulumi.dynamic.ResourceProvider = {
  check(_olds: ReplicationSlotInputs, news: ReplicationSlotInputs) {
    try {
      if (!hasUnknowns(news)) validateSlot(news);
      return Promise.resolve({ inputs: news });
    } catch (err) {
      return Promise.resolve({ inputs: news, failures: [{ property: "inputs", reason: errorMessage(err) }] });
    }
  },
  async diff(_id: string, olds: ReplicationSlotOutputs, news: ReplicationSlotInputs) {
    const changed = changedKeys(olds as unknown as Record<string, unknown>, news as unknown as Record<string, unknown>, ["primaryPort", "slot", "password"]);
    // A new primary (failover) is an update: the slot is made there, the old one dropped if it answers.
    const replaces = changed.filter((k) => k === "slot");
    const present = olds.present && (await slotPresent(news)) !== false;
    return { changes: changed.length > 0 || !present, replaces, deleteBeforeReplace: true };
  },
  async create(inputs: ReplicationSlotInputs) {
    return { id: `slot:${inputs.primaryPort}:${inputs.slot}`, outs: await ensureSlot(inputs) };
  },
  async read(id: string, props?: ReplicationSlotOutputs) {
    if (props === undefined) return { id };
    const present = await slotPresent(props);
    // The primary not answering says nothing about the slot: keep what we knew.
    return { id, props: { ...props, present: present ?? props.present } };
  },
  async update(_id: string, olds: ReplicationSlotOutputs, news: ReplicationSlotInputs) {
    if (olds.primaryPort !== news.primaryPort) await dropSlotIfReachable(olds);
    return { outs: await ensureSlot(news) };
  },
  async delete(_id: string, props: ReplicationSlotOutputs) {
    validateSlot(props);
    if (!(await portOpen(props.primaryPort))) {
      // The primary is gone (a failover, or its region was destroyed): there is nothing to drop,
      // and a stale slot on a server that comes back is dropped when it rejoins (re-seeded).
      return;
    }
    // The standby stops first (it depends on the slot), but its walsender may take a moment to go.
    const gone = await waitFor(async () => {
      try {
        return await withClient(slotClient(props), async (c) => {
          await c.query("SELECT pg_drop_replication_slot(slot_name) FROM pg_replication_slots WHERE slot_name = $1 AND NOT active", [props.slot]);
          const r = await c.query("SELECT 1 FROM pg_replication_slots WHERE slot_name = $1", [props.slot]);
          return (r.rowCount ?? 0) === 0;
        });
      } catch {
        // Stopped answering meanwhile: same as unreachable.
        return !(await portOpen(props.primaryPort));
      }
    }, 20_000, 250);
    if (!gone) throw new Error(`replication slot ${props.slot} on port ${props.primaryPort} is still active; stop its standby first`);
  },
};

/** Best effort: drops an inactive slot on a server that answers (the old primary after a failover). */
async function dropSlotIfReachable(i: ReplicationSlotInputs): Promise<void> {
  if (!(await portOpen(i.primaryPort))) return;
  try {
    await withClient(slotClient(i), (c) =>
      c.query("SELECT pg_drop_replication_slot(slot_name) FROM pg_replication_slots WHERE slot_name = $1 AND NOT active", [i.slot]),
    );
  } catch {
    /* in recovery, fenced or going away: its slots vanish when it is re-seeded */
  }
}
