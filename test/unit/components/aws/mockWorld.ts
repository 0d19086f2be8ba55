/**
 * A recording Pulumi mock world for the aws target: every registration is kept with the stack
 * whose program made it, StackReferences answer with the outputs earlier stack runs produced, and
 * the mock state carries every field the programs dereference. Call `installMockWorld()` before
 * importing any module under test.
 */
import * as pulumi from "@pulumi/pulumi";
import { fleetSettings } from "../../../../domain/spec/fleetSettings";
import { regionStackConfig, type FleetView, type RegionStackConfig } from "../../../../domain/spec/stackConfig";
import type { RegionSpecInput } from "../../../../domain/spec/regionSpec";

export interface Registration {
  stack: string;
  type: string;
  name: string;
  inputs: any;
  provider: string | undefined;
  custom: boolean | undefined;
  id: string | undefined;
  /** Top-level input keys whose values arrived as Pulumi secrets (unwrapped in `inputs`). */
  secretInputs: string[];
}

const SECRET_SIG = "4dabf18193072939515e22adb298388d";

/** Unwraps secret envelopes in mocked inputs; reports whether any was found. */
function unwrap(v: any, found: { secret: boolean }): any {
  if (Array.isArray(v)) return v.map((x) => unwrap(x, found));
  if (v && typeof v === "object") {
    if (SECRET_SIG in v && "value" in v) { found.secret = true; return unwrap(v.value, found); }
    return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, unwrap(x, found)]));
  }
  return v;
}

export const ACCOUNT = "123456789012";
export const NLB_ZONES: Record<string, string> = { "us-east-1": "Z26RNL4JYFTOTI", "eu-west-1": "Z2IFOLAFXWLO4F", "ap-south-1": "ZVDDRBQ08TROA" };

export class MockWorld {
  readonly registrations: Registration[] = [];
  readonly stackOutputs = new Map<string, Record<string, unknown>>();
  current = "none";

  install(): void {
    void pulumi.runtime.setMocks({
      newResource: (args) => this.newResource(args),
      call: (args) => this.call(args),
    }, "aragora", "mock");
  }

  private newResource(args: pulumi.runtime.MockResourceArgs): pulumi.runtime.MockResourceResult {
    const { type, name } = args;
    const secretInputs: string[] = [];
    const inputs: any = {};
    for (const [k, v] of Object.entries(args.inputs ?? {})) {
      const found = { secret: false };
      inputs[k] = unwrap(v, found);
      if (found.secret) secretInputs.push(k);
    }
    this.registrations.push({ stack: this.current, type, name, inputs, provider: args.provider, custom: args.custom, id: args.id || undefined, secretInputs });
    const region: string = inputs.region ?? "us-east-1";
    const id = args.id || `${name}-id`;
    switch (type) {
      case "pulumi:pulumi:StackReference": {
        const stack = String(inputs.name).split("/").pop() ?? "";
        const outputs = this.stackOutputs.get(stack);
        if (!outputs) throw new Error(`mock: stack ${stack} has no outputs yet (read by ${this.current})`);
        return { id: inputs.name, state: { ...inputs, outputs, secretOutputNames: [] } };
      }
      case "aws:ec2/vpc:Vpc":
        return { id: `vpc-${name}`, state: { ...inputs, arn: `arn:aws:ec2:${region}:${ACCOUNT}:vpc/vpc-${name}` } };
      case "aws:ec2/routeTable:RouteTable":
        return { id: `rtb-${name}`, state: inputs };
      case "aws:ec2/securityGroup:SecurityGroup":
        return { id: `sg-${name}`, state: inputs };
      case "aws:ec2/vpcPeeringConnection:VpcPeeringConnection":
        return { id: `pcx-${name}`, state: { ...inputs, acceptStatus: "pending-acceptance" } };
      case "aws:ec2/vpcPeeringConnectionAccepter:VpcPeeringConnectionAccepter":
        return { id: inputs.vpcPeeringConnectionId, state: { ...inputs, acceptStatus: "active" } };
      case "aws:kms/key:Key":
        return { id: `key-${name}`, state: { ...inputs, arn: `arn:aws:kms:${region}:${ACCOUNT}:key/key-${name}` } };
      case "aws:rds/subnetGroup:SubnetGroup":
      case "aws:rds/parameterGroup:ParameterGroup":
      case "aws:elasticache/subnetGroup:SubnetGroup":
        return { id, state: { ...inputs, name: inputs.name ?? `${name}-x` } };
      case "aws:rds/instance:Instance": {
        const identifier = inputs.identifier ?? `${name}-x`;
        const address = `${identifier}.abc.${region}.rds.amazonaws.com`;
        return {
          id: identifier,
          state: { ...inputs, identifier, address, endpoint: `${address}:5432`, port: 5432, arn: `arn:aws:rds:${region}:${ACCOUNT}:db:${identifier}` },
        };
      }
      case "aws:elasticache/replicationGroup:ReplicationGroup":
        return {
          id: `${name}-x`,
          state: {
            ...inputs,
            primaryEndpointAddress: `master.${name}.cache.amazonaws.com`,
            readerEndpointAddress: `replica.${name}.cache.amazonaws.com`,
            globalReplicationGroupId: inputs.globalReplicationGroupId ?? "",
          },
        };
      case "aws:elasticache/globalReplicationGroup:GlobalReplicationGroup":
        return { id, state: { ...inputs, globalReplicationGroupId: `ldgnf-${inputs.globalReplicationGroupIdSuffix}` } };
      case "aws:iam/role:Role":
        return { id: `${name}-x`, state: { ...inputs, name: `${name}-x`, arn: `arn:aws:iam::${ACCOUNT}:role/${name}-x` } };
      case "aws:eks/cluster:Cluster":
        return {
          id: inputs.name ?? name,
          state: { ...inputs, endpoint: `https://${inputs.name}.gr7.${region}.eks.amazonaws.com`, certificateAuthority: { data: "Q0FEQVRB" } },
        };
      case "pulumi-nodejs:dynamic/aragora:GeneratedSecret":
        return { id, state: { ...inputs, value: `generated-${name}` } };
      case "kubernetes:helm.sh/v3:Release":
        return { id, state: { ...inputs, status: { name: inputs.name, namespace: inputs.namespace, status: "deployed", revision: 1 } } };
      case "kubernetes:core/v1:Service":
        return {
          id,
          state: { ...inputs, status: { loadBalancer: { ingress: [{ hostname: `a1b2-${this.current}.elb.${this.current}.amazonaws.com` }] } } },
        };
      default:
        return { id, state: inputs };
    }
  }

  private call(args: pulumi.runtime.MockCallArgs): Record<string, any> {
    const region: string = args.inputs.region ?? "us-east-1";
    switch (args.token) {
      case "aws:index/getAvailabilityZones:getAvailabilityZones":
        return { names: ["a", "b", "c", "d"].map((s) => `${region}${s}`), zoneIds: [] };
      case "aws:lb/getHostedZoneId:getHostedZoneId":
        return { id: NLB_ZONES[region] ?? "ZUNKNOWN" };
      default:
        throw new Error(`mock: unexpected invoke ${args.token}`);
    }
  }

  of(stack: string): Registration[] {
    return this.registrations.filter((r) => r.stack === stack);
  }

  /** Waits until no registration arrived for a few turns of the event loop. */
  async settle(): Promise<void> {
    let last = -1;
    let stable = 0;
    while (stable < 10) {
      await new Promise((r) => setTimeout(r, 20));
      if (this.registrations.length === last) stable++;
      else { stable = 0; last = this.registrations.length; }
    }
  }
}

export const valueOf = <T>(o: pulumi.Output<T>): Promise<T> => new Promise((resolve) => o.apply((v) => { resolve(v); return v; }));

/** Resolves every output of a stack (object of Outputs). */
export async function resolveOutputs(outs: Record<string, pulumi.Output<unknown>>): Promise<Record<string, unknown>> {
  const entries = await Promise.all(Object.entries(outs).map(async ([k, v]) => [k, await valueOf(v)] as const));
  return Object.fromEntries(entries);
}

/** The three-region example fleet: us-east-1 (primary), eu-west-1, ap-south-1, oldest first. */
export const EXAMPLE_REGIONS = [
  { name: "us-east-1", cidr: "10.0.0.0/16", geo: ["WNAM", "ENAM"] },
  { name: "eu-west-1", cidr: "10.1.0.0/16", geo: ["WEU", "EEU"] },
  { name: "ap-south-1", cidr: "10.2.0.0/16", geo: ["SAS", "SEAS"] },
] as const;

/** A FleetView of the given example regions (in that order) with `primary` as write primary. */
export function fleetOf(names: readonly string[], primary: string): FleetView {
  return {
    primary,
    regions: names.map((n, order) => {
      const r = EXAMPLE_REGIONS.find((x) => x.name === n);
      if (!r) throw new Error(`unknown example region ${n}`);
      return { name: n, provider: "aws" as const, primary: n === primary, cidr: r.cidr, geo: [...r.geo], order, appReplicas: 3 };
    }),
    settings: fleetSettings.parse({}),
  };
}

export function configOf(name: string, fleet: FleetView, overrides: Partial<RegionSpecInput> = {}): RegionStackConfig {
  const member = fleet.regions.find((r) => r.name === name);
  if (!member) throw new Error(`${name} not in fleet`);
  return regionStackConfig.parse({
    region: {
      name,
      provider: "aws",
      primary: name === fleet.primary,
      network: { cidr: member.cidr, azCount: 3 },
      glb: { geo: member.geo },
      ...overrides,
    },
    fleet,
  });
}

/** Type counts of a list of registrations, custom resources and components alike. */
export function countByType(regs: readonly Registration[]): Record<string, number> {
  const counts: Record<string, number> = {};
  for (const r of regs) counts[r.type] = (counts[r.type] ?? 0) + 1;
  return Object.fromEntries(Object.entries(counts).sort(([a], [b]) => a.localeCompare(b)));
}
