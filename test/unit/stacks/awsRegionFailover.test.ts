import { EXAMPLE_REGIONS, fleetOf, configOf, MockWorld, resolveOutputs, type Registration } from "../components/aws/mockWorld";
import type { RegionStackConfig } from "../../../domain/spec/stackConfig";

const world = new MockWorld();
world.install();
// Programs under mocks register ~100 resources; leave room when the suite runs in parallel.
jest.setTimeout(30_000);

type Program = typeof import("../../../stacks/targets/awsRegion");
let program: Program;

async function run(config: RegionStackConfig, label: string): Promise<{ regs: Registration[]; outputs: Record<string, unknown> }> {
  world.current = label;
  const outputs = await resolveOutputs(program.buildAwsRegion(config));
  await world.settle();
  world.stackOutputs.set(config.region.name, outputs);
  return { regs: world.of(label), outputs };
}

const byType = (regs: Registration[], type: string): Registration[] => regs.filter((r) => r.type === type);
const one = (regs: Registration[], type: string): Registration => {
  const found = byType(regs, type);
  expect(found).toHaveLength(1);
  return found[0]!;
};

describe("failover of an aws fleet from us-east-1 to eu-west-1", () => {
  const names = EXAMPLE_REGIONS.map((r) => r.name);
  const before: Record<string, { regs: Registration[]; outputs: Record<string, unknown> }> = {};
  const after: Record<string, { regs: Registration[]; outputs: Record<string, unknown> }> = {};

  beforeAll(async () => {
    program = await import("../../../stacks/targets/awsRegion");
    const fleetA = fleetOf(names, "us-east-1");
    for (const n of names) before[n] = await run(configOf(n, fleetA), `before:${n}`);
    // The orchestrator's failover order: promote the target, then re-point the others.
    const fleetB = fleetOf(names, "eu-west-1");
    for (const n of ["eu-west-1", "us-east-1", "ap-south-1"]) after[n] = await run(configOf(n, fleetB), `after:${n}`);
  }, 60_000);

  test("when eu-west-1 is promoted, then its RDS instance keeps its name and drops replicateSourceDb (standalone primary)", () => {
    const was = one(before["eu-west-1"]!.regs, "aws:rds/instance:Instance");
    const now = one(after["eu-west-1"]!.regs, "aws:rds/instance:Instance");
    expect(was.inputs.replicateSourceDb).toBe(before["us-east-1"]!.outputs["dbArn"]);
    expect(now.name).toBe(was.name);
    expect(now.inputs.replicateSourceDb).toBeUndefined();
    expect(now.inputs).toMatchObject({
      engine: "postgres", username: "aragora_admin", password: "generated-us-east-1-db-password", backupRetentionPeriod: 7,
      kmsKeyId: was.inputs.kmsKeyId, dbSubnetGroupName: was.inputs.dbSubnetGroupName, parameterGroupName: was.inputs.parameterGroupName,
      publiclyAccessible: false,
    });
    expect(after["eu-west-1"]!.outputs).toMatchObject({ primary: true, dbReplicaOf: "", home: "us-east-1" });
    expect(after["eu-west-1"]!.outputs["databaseUrlPrimary"]).toBe(after["eu-west-1"]!.outputs["databaseUrl"]);
  });

  test("when eu-west-1 is promoted, then it claims the Redis global datastore's primary role for its member", () => {
    expect(byType(before["eu-west-1"]!.regs, "pulumi-nodejs:dynamic/aragora:GlobalDatastorePrimary")).toHaveLength(0);
    const claim = one(after["eu-west-1"]!.regs, "pulumi-nodejs:dynamic/aragora:GlobalDatastorePrimary");
    expect(claim.inputs).toMatchObject({ globalReplicationGroupId: "ldgnf-aragora", region: "eu-west-1", replicationGroupId: "eu-west-1-redis-rg-x" });
    // Membership inputs do not change: the member stays in the same datastore.
    expect(one(after["eu-west-1"]!.regs, "aws:elasticache/replicationGroup:ReplicationGroup").inputs)
      .toEqual(one(before["eu-west-1"]!.regs, "aws:elasticache/replicationGroup:ReplicationGroup").inputs);
    // The datastore itself stays with the home region, unchanged: no replacement.
    expect(byType(after["eu-west-1"]!.regs, "aws:elasticache/globalReplicationGroup:GlobalReplicationGroup")).toHaveLength(0);
    expect(one(after["us-east-1"]!.regs, "aws:elasticache/globalReplicationGroup:GlobalReplicationGroup").inputs)
      .toEqual(one(before["us-east-1"]!.regs, "aws:elasticache/globalReplicationGroup:GlobalReplicationGroup").inputs);
    // The demoted region no longer claims it (its claim resource is deleted, a no-op).
    expect(byType(before["us-east-1"]!.regs, "pulumi-nodejs:dynamic/aragora:GlobalDatastorePrimary")).toHaveLength(1);
    expect(byType(after["us-east-1"]!.regs, "pulumi-nodejs:dynamic/aragora:GlobalDatastorePrimary")).toHaveLength(0);
  });

  test("when the primary moves, then the former primary and the other replica replicate from the new primary's ARN", () => {
    const euArn = after["eu-west-1"]!.outputs["dbArn"];
    for (const n of ["us-east-1", "ap-south-1"]) {
      const db = one(after[n]!.regs, "aws:rds/instance:Instance");
      expect([n, db.name, db.inputs.replicateSourceDb]).toEqual([n, `${n}-postgres-db`, euArn]);
      expect(db.inputs.kmsKeyId).toBe(`arn:aws:kms:${n}:123456789012:key/key-${n}-postgres-kms`);
      expect(db.inputs.username).toBeUndefined();
      expect(after[n]!.outputs["databaseUrlPrimary"]).toBe(after["eu-west-1"]!.outputs["databaseUrl"]);
    }
    // Credentials and the datastore never move: home is still us-east-1.
    expect(after["us-east-1"]!.outputs).toMatchObject({ primary: false, home: "us-east-1", dbPassword: "generated-us-east-1-db-password" });
  });

  test("when the primary moves, then every region's Helm values follow the new primary", () => {
    for (const n of names) {
      const values = one(after[n]!.regs, "kubernetes:helm.sh/v3:Release").inputs.values;
      expect([n, values.env]).toEqual([n, expect.objectContaining({
        ARAGORA_REGION: n,
        ARAGORA_PRIMARY_REGION: n === "eu-west-1" ? "true" : "false",
        ARAGORA_PRIMARY_REGION_NAME: "eu-west-1",
      })]);
      const was = one(before[n]!.regs, "kubernetes:helm.sh/v3:Release").inputs.values;
      expect(was.env.ARAGORA_PRIMARY_REGION_NAME).toBe("us-east-1");
    }
  });

  test("when the primary moves, then peering is untouched (link ownership follows age, not primacy)", () => {
    for (const n of names) {
      const pcx = (s: typeof before) => byType(s[n]!.regs, "aws:ec2/vpcPeeringConnection:VpcPeeringConnection").map((r) => [r.name, r.inputs]).sort();
      expect(pcx(after)).toEqual(pcx(before));
    }
  });
});
