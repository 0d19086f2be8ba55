/**
 * Child process of the offline plan: runs ONE stack's program under Pulumi mocks and reports the
 * resources it registers (type, name). Pulumi's mock runtime is process-global, which is why this
 * runs in its own process and never in the service's: the real engine runs there.
 *
 * Protocol (IPC): receives `{ stack, state }`, sends `{ ok: true, resources }` or
 * `{ ok: false, error }`, then exits. No cloud credentials or network needed: every resource,
 * invoke and stack reference is answered by the mocks below with placeholder values.
 */
import * as pulumi from "@pulumi/pulumi";
import type { FleetState } from "../domain";
import { createFleetDomain } from "../fleetDomain";
import { stackProgram } from "../../stacks/program";
import { AWS_REGION_OUTPUT_KEYS } from "../../stacks/targets/awsRegionOutputs";
import { LOCAL_REGION_OUTPUT_KEYS } from "../../stacks/targets/localRegion";

export interface WorkerRequest {
  stack: string;
  state: FleetState;
}
export interface PlannedResource {
  type: string;
  name: string;
  custom: boolean;
}
export type WorkerReply = { ok: true; resources: PlannedResource[] } | { ok: false; error: string };

/** Placeholder outputs of a referenced region stack (what other stacks read from it), for both targets. */
function referenceOutputs(stack: string): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const key of new Set([...Object.values(AWS_REGION_OUTPUT_KEYS), ...Object.values(LOCAL_REGION_OUTPUT_KEYS)])) {
    if (key === "peeringConnectionIds") out[key] = {};
    else if (key === "primary") out[key] = false;
    else if (key === "role") out[key] = "replica";
    else if (key === "dbPort") out[key] = 5432;
    else if (key === "pidFiles") out[key] = { postgres: `${stack}/pg.pid`, redis: `${stack}/redis.pid`, sentinel: `${stack}/sentinel.pid`, apps: [`${stack}/app-0.pid`] };
    else if (key.endsWith("Port")) out[key] = 20000;
    else if (key.endsWith("Ports")) out[key] = [20001, 20002];
    else if (key.endsWith("Urls")) out[key] = ["http://127.0.0.1:20001"];
    else if (key.endsWith("Ids")) out[key] = [`${stack}-${key}-0`, `${stack}-${key}-1`];
    else out[key] = `${stack}-${key}`;
  }
  return out;
}

/** Fields programs dereference on resources (outputs the provider would compute); inputs win. */
function placeholderState(type: string, name: string, inputs: Record<string, unknown>): Record<string, unknown> {
  return {
    arn: `arn:mock:${type}:${name}`,
    name,
    identifier: name,
    endpoint: `${name}.mock.internal`,
    address: `${name}.mock.internal`,
    port: 5432,
    dnsName: `${name}.mock.internal`,
    zoneId: "ZMOCK0000000",
    certificateAuthority: { data: "bW9jaw==" },
    globalReplicationGroupId: `${name}-global`,
    primaryEndpointAddress: `${name}-primary.mock.internal`,
    readerEndpointAddress: `${name}-reader.mock.internal`,
    value: `mock-${name}`,
    status: { loadBalancer: { ingress: [{ hostname: `${name}.elb.mock.internal`, ip: "127.0.0.1" }] }, name, status: "deployed", revision: 1 },
    ...inputs,
  };
}

async function run(req: WorkerRequest): Promise<PlannedResource[]> {
  const resources: PlannedResource[] = [];
  await pulumi.runtime.setMocks(
    {
      newResource(args) {
        if (args.type === "pulumi:pulumi:StackReference") {
          const given = (args.inputs as { name?: unknown }).name;
          const ref = typeof given === "string" ? given : args.name;
          const stack = ref.split("/").pop() ?? ref;
          return { id: ref, state: { ...(args.inputs as object), outputs: referenceOutputs(stack), secretOutputNames: [] } };
        }
        if (args.type !== "pulumi:pulumi:Stack") resources.push({ type: args.type, name: args.name, custom: args.custom !== false });
        return { id: `${args.name}-id`, state: placeholderState(args.type, args.name, args.inputs as Record<string, unknown>) };
      },
      call(args) {
        if (args.token.includes("getAvailabilityZones")) {
          return { names: ["mock-a", "mock-b", "mock-c"], zoneIds: ["mock-az1", "mock-az2", "mock-az3"], id: "mock" };
        }
        if (args.token.includes("getHostedZoneId")) return { id: "ZMOCK0000000" };
        return { id: "mock", ...(args.inputs as object) };
      },
    },
    "aragora",
    req.stack,
    false,
    "organization",
  );
  const config = createFleetDomain().stackConfig(req.stack, req.state);
  const values: Record<string, string> = {};
  const secrets: string[] = [];
  for (const [k, v] of Object.entries(config)) {
    values[k] = v.value;
    if (v.secret === true) secrets.push(k);
  }
  pulumi.runtime.setAllConfig(values, secrets);
  await pulumi.runtime.runInPulumiStack(stackProgram);
  return resources;
}

function reply(msg: WorkerReply): void {
  if (process.send) {
    process.send(msg, () => {
      process.exit(0);
    });
  } else {
    process.stdout.write(JSON.stringify(msg) + "\n");
    process.exit(0);
  }
}

process.on("unhandledRejection", (err) => {
  reply({ ok: false, error: err instanceof Error ? err.message : String(err) });
});
process.once("message", (msg: WorkerRequest) => {
  run(msg).then(
    (resources) => {
      reply({ ok: true, resources });
    },
    (err: unknown) => {
      reply({ ok: false, error: err instanceof Error ? err.message : String(err) });
    },
  );
});
