/** Provider implementation of a physical replication slot on the primary, created by the replica region's stack and dropped with it. */
import type * as pulumi from "@pulumi/pulumi";
import { PG_REPLICATOR } from "../render/postgres";
import { assertPgIdentifier, assertPort, assertSecret } from "../names";
import { changedKeys } from "./common";
import { client, withClient } from "./postgresSql";
import { portOpen, waitFor } from "./proc";
import { checker } from "./redis";

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

function slotClient(i: ReplicationSlotInputs): ReturnType<typeof client> {
  return client(i.primaryPort, PG_REPLICATOR, i.password, "postgres");
}

const SLOT_EXISTS = "SELECT 1 FROM pg_replication_slots WHERE slot_name = $1";
const DROP_INACTIVE_SLOT = "SELECT pg_drop_replication_slot(slot_name) FROM pg_replication_slots WHERE slot_name = $1 AND NOT active";

/** Whether the slot exists, or undefined when the primary does not answer. */
async function slotPresent(i: ReplicationSlotInputs): Promise<boolean | undefined> {
  try {
    return await withClient(slotClient(i), async (c) => ((await c.query(SLOT_EXISTS, [i.slot])).rowCount ?? 0) > 0);
  } catch {
    return undefined;
  }
}

async function ensureSlot(i: ReplicationSlotInputs): Promise<ReplicationSlotOutputs> {
  validateSlot(i);
  await withClient(slotClient(i), async (c) => {
    const r = await c.query(SLOT_EXISTS, [i.slot]);
    // immediately_reserve: the slot holds WAL from now on, before the base backup starts.
    if ((r.rowCount ?? 0) === 0) await c.query("SELECT pg_create_physical_replication_slot($1, true)", [i.slot]);
  });
  return { ...i, present: true };
}

/** Best effort: drops an inactive slot on a server that answers (the old primary after a failover). */
async function dropSlotIfReachable(i: ReplicationSlotInputs): Promise<void> {
  if (!(await portOpen(i.primaryPort))) return;
  try {
    await withClient(slotClient(i), (c) => c.query(DROP_INACTIVE_SLOT, [i.slot]));
  } catch {
    /* in recovery, fenced or going away: its slots vanish when it is re-seeded */
  }
}

export const replicationSlot: pulumi.dynamic.ResourceProvider = {
  check: checker(validateSlot),
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
          await c.query(DROP_INACTIVE_SLOT, [props.slot]);
          return ((await c.query(SLOT_EXISTS, [props.slot])).rowCount ?? 0) === 0;
        });
      } catch {
        // Stopped answering meanwhile: same as unreachable.
        return !(await portOpen(props.primaryPort));
      }
    }, 20_000, 250);
    if (!gone) throw new Error(`replication slot ${props.slot} on port ${props.primaryPort} is still active; stop its standby first`);
  },
};
