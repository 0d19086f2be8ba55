/**
 * The implementation side of the local target's dynamic providers, loaded by absolute path from
 * the provider process (see ../dynamic.ts). One provider per resource kind.
 */
import type * as pulumi from "@pulumi/pulumi";
import { appProcess } from "./app";
import { haproxy } from "./haproxy";
import { generatedSecret, ownedDir } from "./misc";
import { postgresServer } from "./postgres";
import { replicationSlot } from "./postgresSlot";
import { redisServer, sentinel } from "./redis";

export const providers: Record<string, pulumi.dynamic.ResourceProvider> = {
  dir: ownedDir,
  secret: generatedSecret,
  postgres: postgresServer,
  slot: replicationSlot,
  redis: redisServer,
  sentinel,
  app: appProcess,
  haproxy,
};
