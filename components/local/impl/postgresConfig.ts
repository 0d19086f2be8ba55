/**
 * A local PostgreSQL's managed configuration: aragora.conf (included last from postgresql.conf),
 * pg_hba.conf, postgresql.auto.conf (a standby's upstream) and a standby's pgpass, written only
 * when they change, then applied with the least disruption they allow.
 */
import * as path from "node:path";
import { PG_MANAGED_CONF, renderPgHba, renderPgpass, renderPostgresConf, renderPrimaryAutoConf, renderStandbyAutoConf } from "../render/postgres";
import { daemonRead, daemonRemove, daemonWrite } from "./daemonFs";
import { type PostgresServerInputs, files, start, state, stop } from "./postgresCluster";
import { superuserQuery } from "./postgresSql";

/** What writing the managed files changed: `restart` needs a restart, `reload` a reload (`pg_reload_conf`). */
export interface ConfigChange {
  restart: boolean;
  reload: boolean;
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

/** The managed conf without its comment line (the comment names the role; a role change alone needs no restart). */
function settingsOnly(conf: string | undefined): string | undefined {
  return conf?.split("\n").filter((l) => !l.startsWith("#")).join("\n");
}

/**
 * Writes the managed files. Settings in aragora.conf (port, wal_level, senders, slots, ...) need a
 * restart; pg_hba.conf and the standby's primary_conninfo / primary_slot_name (PostgreSQL 13+)
 * only a reload, so re-pointing a standby or switching a role keeps the server up.
 */
export function writeConfig(i: PostgresServerInputs): ConfigChange {
  const f = files(i);
  const change: ConfigChange = { restart: false, reload: false };
  const put = (file: string, content: string, kind: "restart" | "reload" | "none", mode = 0o600): void => {
    const old = daemonRead(file);
    if (old === content) return;
    daemonWrite(file, content, mode);
    if (kind === "restart") change.restart = true;
    if (kind === "reload") change.reload = true;
  };
  const mainConf = path.join(f.dataDir, "postgresql.conf");
  const include = `include '${PG_MANAGED_CONF}'`;
  const main = daemonRead(mainConf);
  if (main === undefined) throw new Error(`${mainConf} is missing or unreadable`);
  if (!main.split("\n").includes(include)) put(mainConf, `${main.trimEnd()}\n\n# Aragora Regions: managed settings last, so they win.\n${include}\n`, "restart");
  const managedFile = path.join(f.dataDir, PG_MANAGED_CONF);
  const managed = managedConf(i);
  const oldManaged = daemonRead(managedFile);
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

/** Starts the server, or restarts or reloads it as `change` needs. */
export async function applyConfig(i: PostgresServerInputs, change: ConfigChange): Promise<void> {
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
