/**
 * The implementations of the local target's resources, one per resource kind, served by the
 * `aragora-local` provider (../provider). Each has the shape of a Pulumi dynamic provider
 * (check, diff, create, read, update, delete) over plain values.
 */
import type * as pulumi from "@pulumi/pulumi";
import type { LocalKind } from "../provider/types";
import { appProcess } from "./app";
import { haproxy } from "./haproxy";
import { generatedSecret, ownedDir } from "./misc";
import { postgresServer } from "./postgres";
import { replicationSlot } from "./postgresSlot";
import { redisServer, sentinel } from "./redis";

export const providers: Record<LocalKind, pulumi.dynamic.ResourceProvider> = {
  dir: ownedDir,
  secret: generatedSecret,
  postgres: postgresServer,
  slot: replicationSlot,
  redis: redisServer,
  sentinel,
  app: appProcess,
  haproxy,
};
