/**
 * The Pulumi Node.js dynamic-provider server, run as a long-lived child of an engine host so that
 * engine runs attach to it instead of starting their own (server/engine/providerPool.ts).
 *
 * Left to itself, every `pulumi up`, preview, refresh or destroy that meets a dynamic resource
 * starts `pulumi-resource-pulumi-nodejs`: a shell and a Node.js process that loads the Pulumi SDK
 * (about 1 s of CPU) before the first resource can be created, and exits with the run. The engine
 * can instead attach to a provider that is already listening (`PULUMI_DEBUG_PROVIDERS=
 * pulumi-nodejs:<port>`); it then calls `Attach` with its address, which the SDK's server answers
 * with UNIMPLEMENTED (it has no use for the address). This entry point runs the SDK's own server
 * unchanged, with `Attach` answered, and prints its port as the SDK does (first line of stdout).
 *
 * It exits when its engine host does (the IPC channel closes), so a host that dies takes its
 * providers with it, and nothing it was doing for a dead engine run carries on.
 */
import * as path from "node:path";

type Callback = (err: Error | null, value: unknown) => void;
interface GrpcServerProto {
  addService: (this: unknown, service: unknown, implementation: Record<string, unknown>) => void;
}

const sdkDir = path.dirname(require.resolve("@pulumi/pulumi/package.json"));
// The SDK's copies: the ones its server is built from.
// eslint-disable-next-line @typescript-eslint/no-require-imports
const grpc = require(require.resolve("@grpc/grpc-js", { paths: [sdkDir] })) as { Server: { prototype: GrpcServerProto } };
// eslint-disable-next-line @typescript-eslint/no-require-imports
const { Empty } = require(require.resolve("google-protobuf/google/protobuf/empty_pb", { paths: [sdkDir] })) as { Empty: new () => unknown };

const addService = grpc.Server.prototype.addService;
grpc.Server.prototype.addService = function (this: unknown, service: unknown, implementation: Record<string, unknown>): void {
  // The provider keeps no engine connection of its own: acknowledging is all Attach needs.
  implementation["attach"] = (_call: unknown, callback: Callback): void => {
    callback(null, new Empty());
  };
  addService.call(this, service, implementation);
};

process.on("disconnect", () => process.exit(0));
// The SDK's entry point wants the engine's address as its argument; attached, it is not used.
process.argv = [process.argv[0] ?? "node", "dynamic-provider", "attached"];
// eslint-disable-next-line @typescript-eslint/no-require-imports
require(path.join(sdkDir, "cmd", "dynamic-provider", "index.js"));
