/**
 * Entry point of the `aragora-local` provider plugin. The engine starts it through the launcher
 * beside this file (`pulumi-resource-aragora-local`), or the service keeps it running and the engine
 * attaches to it (`PULUMI_DEBUG_PROVIDERS=aragora-local:<port>`, server/engine/providerPool.ts). It
 * prints the port it listens on as its first line, as every plugin does.
 *
 * Started by the service (an IPC channel exists), it exits when the service does.
 */
import * as provider from "@pulumi/pulumi/provider";
import { LocalProvider } from "./localProvider";

if (process.send !== undefined) process.on("disconnect", () => process.exit(0));
void provider.main(new LocalProvider(), process.argv.slice(2));
