/**
 * Provider implementation of a local PostgreSQL server, primary or hot standby: validation, the
 * converging `ensure` (with role changes in place), and the provider. The cluster's life cycle is
 * in postgresCluster.ts, its configuration in postgresConfig.ts, its SQL sessions in
 * postgresSql.ts; the replication slot on the primary is postgresSlot.ts.
 *
 * Every path and identifier is validated in `check` and again before use.
 */
import * as fs from "node:fs";
import * as path from "node:path";
import type * as pulumi from "@pulumi/pulumi";
import { assertInt, assertPgIdentifier, assertPgSize, assertPort, assertRegionName, assertSafePath, assertSecret } from "../names";
import { changedKeys, processReader, type ProcessState } from "./common";
import { portOpen, tail, waitFor } from "./proc";
import { daemonFileSize, daemonReadFrom, makeDaemonDir, removeTree, discardTree } from "./daemonFs";
import { type PostgresServerInputs, baseBackup, binDir, files, hasData, initPrimary, reseed, state, stop } from "./postgresCluster";
import { applyConfig, writeConfig } from "./postgresConfig";
import { bootstrapPrimary, promoteInPlace, waitStreaming } from "./postgresSql";
import { checker } from "./redis";

export type { PostgresServerInputs };
export type PostgresServerOutputs = PostgresServerInputs & ProcessState & { dataDir: string; logFile: string; pidFile: string };

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

/** How long a re-pointed standby gets to stream from its new primary before it is re-seeded. */
const REPOINT_TIMEOUT_MS = 10_000;

/** How much longer a standby whose primary answers gets to stream before its step fails. */
const STANDBY_STREAM_TIMEOUT_MS = 45_000;

/** The walreceiver's complaints when a standby replayed past the new primary's timeline switch. */
const CANNOT_FOLLOW = /is not in this server's history|forked off current database system timeline|is not a child of this server's history|requested starting point .* is ahead of the WAL flush position/;

/**
 * After a re-point: true once the standby streams from the new primary; false as soon as its log
 * says it cannot follow the new timeline (then it is re-seeded), or after REPOINT_TIMEOUT_MS.
 */
async function followsNewPrimary(i: PostgresServerInputs, logOffset: number): Promise<boolean> {
  const f = files(i);
  let streaming = false;
  await waitFor(async () => {
    if (CANNOT_FOLLOW.test(daemonReadFrom(f.logFile, logOffset))) return true;
    streaming = await waitStreaming(i, 0);
    return streaming;
  }, REPOINT_TIMEOUT_MS, 200);
  return streaming;
}

/**
 * A standby's last part of `ensure`: it streams from its primary, re-seeded when a re-point left
 * it unable to follow; throws when its primary answers and it still does not stream.
 */
async function ensureStreaming(i: PostgresServerInputs, repointed: boolean, reseedable: boolean, logOffset: number): Promise<void> {
  const f = files(i);
  let streaming = repointed ? await followsNewPrimary(i, logOffset) : await waitStreaming(i);
  if (!streaming && repointed && reseedable && (await portOpen(i.primaryPort ?? 0))) {
    const why = `it did not stream from the new primary within ${String(REPOINT_TIMEOUT_MS / 1000)} s (it may have replayed past its timeline switch)`;
    await reseed(i, `${why}\n${tail(f.logFile, 600)}`);
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
  const fresh = !hasData(i);
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
    await ensureStreaming(i, repointed, !fresh && standbyData, logOffset);
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
  check: checker(validate),
  async diff(_id: string, olds: PostgresServerOutputs, news: PostgresServerInputs) {
    const changed = changedKeys(olds as unknown as Record<string, unknown>, news as unknown as Record<string, unknown>, KEYS);
    const replaces = changed.filter((k) => (REPLACE_KEYS as readonly string[]).includes(k));
    // A dead server is a change too: `up` restarts it on its existing data.
    const alive = olds.running && (await state(news)).running;
    return { changes: changed.length > 0 || !alive, replaces, deleteBeforeReplace: true };
  },
  async create(inputs: PostgresServerInputs) {
    const hadData = hasData(inputs);
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
  read: processReader(state),
  async update(_id: string, olds: PostgresServerOutputs, news: PostgresServerInputs) {
    return { outs: await ensure(news, olds) };
  },
  async delete(_id: string, props: PostgresServerOutputs) {
    validate(props);
    await stop(props);
    removeTree(props.root);
  },
};
