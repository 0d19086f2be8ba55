import { countByType, EXAMPLE_REGIONS, fleetOf, configOf, MockWorld, resolveOutputs, type Registration } from "../components/aws/mockWorld";
import type { RegionStackConfig } from "../../../domain/spec/stackConfig";

const world = new MockWorld();
world.install();
// Programs under mocks register ~100 resources; leave room when the suite runs in parallel.
jest.setTimeout(30_000);

type Program = typeof import("../../../stacks/targets/awsRegion");
let program: Program;
beforeAll(async () => {
  program = await import("../../../stacks/targets/awsRegion");
});

async function run(config: RegionStackConfig, label = config.region.name): Promise<{ regs: Registration[]; outputs: Record<string, unknown> }> {
  world.current = label;
  const outs = program.buildAwsRegion(config);
  const outputs = await resolveOutputs(outs);
  await world.settle();
  world.stackOutputs.set(config.region.name, outputs);
  return { regs: world.of(label), outputs };
}

const ofType = (regs: Registration[], type: string): Registration[] => regs.filter((r) => r.type === type);
const sorted = <T>(xs: T[]): T[] => [...xs].sort((a, b) => JSON.stringify(a).localeCompare(JSON.stringify(b)));
const one = (regs: Registration[], type: string): Registration => {
  const found = ofType(regs, type);
  expect(found).toHaveLength(1);
  return found[0]!;
};

describe("aws region program", () => {
  const fleet3 = fleetOf(EXAMPLE_REGIONS.map((r) => r.name), "us-east-1");
  const stacks: Record<string, { regs: Registration[]; outputs: Record<string, unknown> }> = {};

  beforeAll(async () => {
    for (const r of EXAMPLE_REGIONS) stacks[r.name] = await run(configOf(r.name, fleet3));
  }, 60_000);

  test("when the three-region example fleet is built, then each stack has the expected inventory", () => {
    const inventory = Object.fromEntries(Object.entries(stacks).map(([n, s]) => [n, countByType(s.regs)]));
    // ARAGORA_PRINT_INVENTORY=1 prints it; asserted below either way.
    if (process.env["ARAGORA_PRINT_INVENTORY"]) console.log(JSON.stringify(inventory, null, 2));
    const base = {
      "aragora:aws:EksCluster": 1, "aragora:aws:PostgresDatabase": 1, "aragora:aws:RedisMember": 1, "aragora:aws:RegionNetwork": 1,
      "aragora:kubernetes:AragoraApp": 1, "aragora:kubernetes:RegionMonitoring": 1,
      "aws:ec2/internetGateway:InternetGateway": 1, "aws:ec2/natGateway:NatGateway": 1, "aws:ec2/routeTable:RouteTable": 2,
      "aws:ec2/routeTableAssociation:RouteTableAssociation": 6, "aws:ec2/securityGroup:SecurityGroup": 2, "aws:ec2/subnet:Subnet": 6,
      "aws:ec2/vpc:Vpc": 1, "aws:eks/cluster:Cluster": 1, "aws:eks/nodeGroup:NodeGroup": 1,
      "aws:elasticache/replicationGroup:ReplicationGroup": 1, "aws:elasticache/subnetGroup:SubnetGroup": 1,
      "aws:iam/role:Role": 2, "aws:iam/rolePolicyAttachment:RolePolicyAttachment": 4, "aws:kms/key:Key": 1,
      "aws:rds/instance:Instance": 1, "aws:rds/parameterGroup:ParameterGroup": 1, "aws:rds/subnetGroup:SubnetGroup": 1,
      "kubernetes:monitoring.coreos.com/v1:PrometheusRule": 1, "kubernetes:core/v1:ConfigMap": 1, "kubernetes:core/v1:Namespace": 1,
      "kubernetes:core/v1:Secret": 1, "kubernetes:core/v1:Service": 1, "kubernetes:helm.sh/v3:Release": 1,
      "pulumi:providers:kubernetes": 1,
    };
    const links = (n: number) => ({
      "aragora:aws:VpcPeeringLink": n,
      "aws:ec2/vpcPeeringConnection:VpcPeeringConnection": n,
      "aws:ec2/vpcPeeringConnectionAccepter:VpcPeeringConnectionAccepter": n,
      "aws:ec2/route:Route": 2 + 2 * n,
      "aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule": 2 + 4 * n,
      "aws:vpc/securityGroupEgressRule:SecurityGroupEgressRule": 2 + 4 * n,
    });
    const strip = (o: Record<string, number>) => Object.fromEntries(Object.entries(o).filter(([, v]) => v > 0));
    expect(inventory["us-east-1"]).toEqual(strip({
      ...base, ...links(0),
      "aws:elasticache/globalReplicationGroup:GlobalReplicationGroup": 1,
      "pulumi-nodejs:dynamic/aragora:GeneratedSecret": 2,
      "pulumi-nodejs:dynamic/aragora:GlobalDatastorePrimary": 1,
    }));
    expect(inventory["eu-west-1"]).toEqual(strip({ ...base, ...links(1), "pulumi:pulumi:StackReference": 1 }));
    expect(inventory["ap-south-1"]).toEqual(strip({ ...base, ...links(2), "pulumi:pulumi:StackReference": 2 }));
  });

  const peeringRoutes = (regs: Registration[]) => ofType(regs, "aws:ec2/route:Route").filter((r) => r.inputs.vpcPeeringConnectionId);
  const ingress = (regs: Registration[]) => ofType(regs, "aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule");

  test("when us-east-1 is the lone primary, then it builds a private encrypted RDS primary, the Redis global datastore and no peering", async () => {
    world.stackOutputs.clear();
    const { regs, outputs } = await run(configOf("us-east-1", fleetOf(["us-east-1"], "us-east-1")), "lone");
    expect(ofType(regs, "pulumi:pulumi:StackReference")).toHaveLength(0);
    expect(ofType(regs, "aws:ec2/vpcPeeringConnection:VpcPeeringConnection")).toHaveLength(0);
    expect(peeringRoutes(regs)).toHaveLength(0);

    const vpc = one(regs, "aws:ec2/vpc:Vpc");
    expect(vpc.inputs).toMatchObject({ region: "us-east-1", cidrBlock: "10.0.0.0/16", enableDnsSupport: true, enableDnsHostnames: true });
    const subnets = sorted(ofType(regs, "aws:ec2/subnet:Subnet").map((r) => [r.name, r.inputs.cidrBlock, r.inputs.availabilityZone, r.inputs.mapPublicIpOnLaunch]));
    expect(subnets).toEqual(sorted([
      ["us-east-1-net-public-0", "10.0.192.0/21", "us-east-1a", false],
      ["us-east-1-net-public-1", "10.0.200.0/21", "us-east-1b", false],
      ["us-east-1-net-public-2", "10.0.208.0/21", "us-east-1c", false],
      ["us-east-1-net-private-0", "10.0.0.0/19", "us-east-1a", false],
      ["us-east-1-net-private-1", "10.0.32.0/19", "us-east-1b", false],
      ["us-east-1-net-private-2", "10.0.64.0/19", "us-east-1c", false],
    ]));
    expect(one(regs, "aws:ec2/natGateway:NatGateway").inputs).toMatchObject({ availabilityMode: "regional", vpcId: "vpc-us-east-1-net-vpc" });
    const defaults = sorted(ofType(regs, "aws:ec2/route:Route").map((r) => [r.inputs.routeTableId, r.inputs.destinationCidrBlock, r.inputs.gatewayId ?? r.inputs.natGatewayId]));
    expect(defaults).toEqual(sorted([
      ["rtb-us-east-1-net-public-rt", "0.0.0.0/0", "us-east-1-net-igw-id"],
      ["rtb-us-east-1-net-private-rt", "0.0.0.0/0", "us-east-1-net-nat-id"],
    ]));

    const db = one(regs, "aws:rds/instance:Instance");
    expect(db.inputs).toMatchObject({
      region: "us-east-1", engine: "postgres", engineVersion: "15", instanceClass: "db.r6g.large", allocatedStorage: 100,
      dbName: "aragora", username: "aragora_admin", password: "generated-us-east-1-db-password",
      backupRetentionPeriod: 7, storageEncrypted: true, kmsKeyId: "arn:aws:kms:us-east-1:123456789012:key/key-us-east-1-postgres-kms",
      publiclyAccessible: false, deletionProtection: false, skipFinalSnapshot: false,
      dbSubnetGroupName: "us-east-1-postgres-subnets-x", parameterGroupName: "us-east-1-postgres-params-x",
      vpcSecurityGroupIds: ["sg-us-east-1-net-postgres-sg"],
    });
    expect(db.inputs.replicateSourceDb).toBeUndefined();
    expect(db.secretInputs).toContain("password");
    expect(sorted(one(regs, "aws:rds/subnetGroup:SubnetGroup").inputs.subnetIds)).toEqual(["us-east-1-net-private-0-id", "us-east-1-net-private-1-id", "us-east-1-net-private-2-id"]);
    expect(one(regs, "aws:rds/parameterGroup:ParameterGroup").inputs).toMatchObject({
      family: "postgres15",
      parameters: [
        { name: "max_wal_senders", value: "10", applyMethod: "pending-reboot" },
        { name: "max_replication_slots", value: "10", applyMethod: "pending-reboot" },
        { name: "wal_keep_size", value: "2048", applyMethod: "immediate" },
        { name: "hot_standby_feedback", value: "1", applyMethod: "immediate" },
      ],
    });

    const rg = one(regs, "aws:elasticache/replicationGroup:ReplicationGroup");
    expect(rg.inputs).toMatchObject({
      region: "us-east-1", engine: "redis", nodeType: "cache.r6g.large", numCacheClusters: 2, automaticFailoverEnabled: true,
      atRestEncryptionEnabled: true, transitEncryptionEnabled: true, authToken: "generated-us-east-1-redis-auth",
      securityGroupIds: ["sg-us-east-1-net-redis-sg"], subnetGroupName: "us-east-1-redis-subnets-x",
    });
    expect(rg.inputs.globalReplicationGroupId).toBeUndefined();
    expect(rg.secretInputs).toContain("authToken");
    expect(one(regs, "aws:elasticache/globalReplicationGroup:GlobalReplicationGroup").inputs).toMatchObject({
      region: "us-east-1", globalReplicationGroupIdSuffix: "aragora", primaryReplicationGroupId: "us-east-1-redis-rg-x",
    });
    expect(one(regs, "pulumi-nodejs:dynamic/aragora:GlobalDatastorePrimary").inputs).toMatchObject({
      globalReplicationGroupId: "ldgnf-aragora", region: "us-east-1", replicationGroupId: "us-east-1-redis-rg-x",
    });

    expect(outputs).toMatchObject({
      region: "us-east-1", primary: true, home: "us-east-1", vpcId: "vpc-us-east-1-net-vpc", vpcCidr: "10.0.0.0/16",
      privateRouteTableIds: ["rtb-us-east-1-net-private-rt"], dbReplicaOf: "", redisGlobalDatastoreId: "ldgnf-aragora",
      dbPassword: "generated-us-east-1-db-password", redisAuthToken: "generated-us-east-1-redis-auth",
      originHostname: "a1b2-lone.elb.lone.amazonaws.com", originZoneId: "Z26RNL4JYFTOTI", healthPath: "/health",
    });
    expect(outputs["databaseUrl"]).toBe("postgresql://aragora_admin:generated-us-east-1-db-password@us-east-1-postgres-db-x.abc.us-east-1.rds.amazonaws.com:5432/aragora?sslmode=require");
    expect(outputs["databaseUrlPrimary"]).toBe(outputs["databaseUrl"]);
    expect(outputs["redisUrl"]).toBe("rediss://:generated-us-east-1-redis-auth@master.us-east-1-redis-rg.cache.amazonaws.com:6379");
  });

  test("when the program runs, then every credential-bearing output is a Pulumi secret", async () => {
    const { AWS_REGION_SECRET_OUTPUTS } = await import("../../../stacks/targets/awsRegionOutputs");
    const pulumi = await import("@pulumi/pulumi");
    world.current = "secrets";
    const outs: any = program.buildAwsRegion(configOf("us-east-1", fleetOf(["us-east-1"], "us-east-1")));
    for (const key of AWS_REGION_SECRET_OUTPUTS) expect([key, await pulumi.isSecret(outs[key])]).toEqual([key, true]);
    for (const key of ["vpcId", "originHostname", "dbArn"]) expect([key, await pulumi.isSecret(outs[key])]).toEqual([key, false]);
    await world.settle();
  });

  test("when ap-south-1 joins a fleet of two, then it peers with both, routes both ways and opens 5432/6379 on both sides from the right CIDRs", () => {
    const { regs } = stacks["ap-south-1"]!;
    const pcx = sorted(ofType(regs, "aws:ec2/vpcPeeringConnection:VpcPeeringConnection").map((r) => r.inputs));
    expect(pcx).toEqual([
      expect.objectContaining({ region: "ap-south-1", vpcId: "vpc-ap-south-1-net-vpc", peerVpcId: "vpc-eu-west-1-net-vpc", peerRegion: "eu-west-1", autoAccept: false }),
      expect.objectContaining({ region: "ap-south-1", vpcId: "vpc-ap-south-1-net-vpc", peerVpcId: "vpc-us-east-1-net-vpc", peerRegion: "us-east-1", autoAccept: false }),
    ]);
    const acc = sorted(ofType(regs, "aws:ec2/vpcPeeringConnectionAccepter:VpcPeeringConnectionAccepter").map((r) => r.inputs));
    expect(acc).toEqual([
      expect.objectContaining({ region: "eu-west-1", vpcPeeringConnectionId: "pcx-ap-south-1-to-eu-west-1-pcx", autoAccept: true }),
      expect.objectContaining({ region: "us-east-1", vpcPeeringConnectionId: "pcx-ap-south-1-to-us-east-1-pcx", autoAccept: true }),
    ]);
    const routes = sorted(peeringRoutes(regs).map((r) => [r.inputs.region, r.inputs.routeTableId, r.inputs.destinationCidrBlock, r.inputs.vpcPeeringConnectionId]));
    expect(routes).toEqual(sorted([
      ["ap-south-1", "rtb-ap-south-1-net-private-rt", "10.0.0.0/16", "pcx-ap-south-1-to-us-east-1-pcx"],
      ["us-east-1", "rtb-us-east-1-net-private-rt", "10.2.0.0/16", "pcx-ap-south-1-to-us-east-1-pcx"],
      ["ap-south-1", "rtb-ap-south-1-net-private-rt", "10.1.0.0/16", "pcx-ap-south-1-to-eu-west-1-pcx"],
      ["eu-west-1", "rtb-eu-west-1-net-private-rt", "10.2.0.0/16", "pcx-ap-south-1-to-eu-west-1-pcx"],
    ]));
    const rules = sorted(ingress(regs).filter((r) => r.name.includes("-to-")).map((r) => [r.inputs.region, r.inputs.securityGroupId, r.inputs.ipProtocol, r.inputs.fromPort, r.inputs.toPort, r.inputs.cidrIpv4]));
    expect(rules).toEqual(sorted([
      ["ap-south-1", "sg-ap-south-1-net-postgres-sg", "tcp", 5432, 5432, "10.0.0.0/16"],
      ["us-east-1", "sg-us-east-1-net-postgres-sg", "tcp", 5432, 5432, "10.2.0.0/16"],
      ["ap-south-1", "sg-ap-south-1-net-redis-sg", "tcp", 6379, 6379, "10.0.0.0/16"],
      ["us-east-1", "sg-us-east-1-net-redis-sg", "tcp", 6379, 6379, "10.2.0.0/16"],
      ["ap-south-1", "sg-ap-south-1-net-postgres-sg", "tcp", 5432, 5432, "10.1.0.0/16"],
      ["eu-west-1", "sg-eu-west-1-net-postgres-sg", "tcp", 5432, 5432, "10.2.0.0/16"],
      ["ap-south-1", "sg-ap-south-1-net-redis-sg", "tcp", 6379, 6379, "10.1.0.0/16"],
      ["eu-west-1", "sg-eu-west-1-net-redis-sg", "tcp", 6379, 6379, "10.2.0.0/16"],
    ]));
    const egress = ofType(regs, "aws:vpc/securityGroupEgressRule:SecurityGroupEgressRule").filter((r) => r.name.includes("-to-"));
    expect(sorted(egress.map((r) => [r.inputs.region, r.inputs.securityGroupId, r.inputs.fromPort, r.inputs.cidrIpv4]))).toEqual(sorted(rules.map((r) => [r[0], r[1], r[3], r[5]])));
    expect(ofType(regs, "pulumi:pulumi:StackReference").map((r) => r.id).sort()).toEqual(["organization/aragora/eu-west-1", "organization/aragora/us-east-1"]);
  });

  test("when eu-west-1 is the second region, then its single link to the primary has one route and two rules per side", () => {
    const { regs } = stacks["eu-west-1"]!;
    expect(sorted(peeringRoutes(regs).map((r) => [r.inputs.region, r.inputs.destinationCidrBlock]))).toEqual([["eu-west-1", "10.0.0.0/16"], ["us-east-1", "10.1.0.0/16"]]);
    expect(sorted(ingress(regs).filter((r) => r.name.includes("-to-")).map((r) => [r.inputs.region, r.inputs.fromPort, r.inputs.cidrIpv4]))).toEqual(sorted([
      ["eu-west-1", 5432, "10.0.0.0/16"], ["us-east-1", 5432, "10.1.0.0/16"], ["eu-west-1", 6379, "10.0.0.0/16"], ["us-east-1", 6379, "10.1.0.0/16"],
    ]));
  });

  test("when a replica region is built, then its RDS is a cross-region replica of the primary's ARN with its own KMS key, subnet and parameter groups", () => {
    const { regs, outputs } = stacks["ap-south-1"]!;
    const primaryArn = stacks["us-east-1"]!.outputs["dbArn"];
    expect(primaryArn).toBe("arn:aws:rds:us-east-1:123456789012:db:us-east-1-postgres-db-x");
    const db = one(regs, "aws:rds/instance:Instance");
    expect(db.inputs).toMatchObject({
      region: "ap-south-1", replicateSourceDb: primaryArn,
      kmsKeyId: "arn:aws:kms:ap-south-1:123456789012:key/key-ap-south-1-postgres-kms",
      dbSubnetGroupName: "ap-south-1-postgres-subnets-x", parameterGroupName: "ap-south-1-postgres-params-x",
      publiclyAccessible: false, skipFinalSnapshot: true, instanceClass: "db.r6g.large",
    });
    for (const k of ["username", "password", "engine", "dbName", "manageMasterUserPassword"]) expect([k, db.inputs[k]]).toEqual([k, undefined]);
    expect(one(regs, "aws:kms/key:Key").inputs.region).toBe("ap-south-1");
    expect(one(regs, "aws:rds/parameterGroup:ParameterGroup").inputs.region).toBe("ap-south-1");
    expect(outputs["dbReplicaOf"]).toBe(primaryArn);
    expect(outputs["databaseUrl"]).toBe("postgresql://aragora_admin:generated-us-east-1-db-password@ap-south-1-postgres-db-x.abc.ap-south-1.rds.amazonaws.com:5432/aragora?sslmode=require");
    expect(outputs["databaseUrlPrimary"]).toBe(stacks["us-east-1"]!.outputs["databaseUrl"]);
    expect(outputs["dbPassword"]).toBe("");
  });

  test("when a replica region is built, then its Redis joins the global datastore as a secondary member", () => {
    const { regs, outputs } = stacks["ap-south-1"]!;
    const rg = one(regs, "aws:elasticache/replicationGroup:ReplicationGroup");
    expect(rg.inputs).toMatchObject({
      region: "ap-south-1", globalReplicationGroupId: "ldgnf-aragora", numCacheClusters: 2,
      atRestEncryptionEnabled: true, transitEncryptionEnabled: true, subnetGroupName: "ap-south-1-redis-subnets-x",
    });
    expect(rg.inputs.numNodeGroups).toBeUndefined();
    expect(ofType(regs, "aws:elasticache/globalReplicationGroup:GlobalReplicationGroup")).toHaveLength(0);
    expect(ofType(regs, "pulumi-nodejs:dynamic/aragora:GlobalDatastorePrimary")).toHaveLength(0);
    expect(outputs["redisGlobalDatastoreId"]).toBe("ldgnf-aragora");
    expect(outputs["redisUrl"]).toBe("rediss://:generated-us-east-1-redis-auth@master.ap-south-1-redis-rg.cache.amazonaws.com:6379");
  });

  test("when the fleet is built, then no security group admits 0.0.0.0/0 and no database or cache is public", () => {
    const all = Object.values(stacks).flatMap((s) => s.regs);
    expect(ofType(all, "aws:ec2/securityGroupRule:SecurityGroupRule")).toHaveLength(0);
    for (const sg of ofType(all, "aws:ec2/securityGroup:SecurityGroup")) expect(sg.inputs.ingress ?? []).toEqual([]);
    const rules = ingress(all);
    expect(rules.length).toBe(2 * 3 + 4 * 3);
    for (const r of rules) {
      expect(r.inputs.cidrIpv4).toMatch(/^10\.[012]\.0\.0\/16$/);
      expect(r.inputs.cidrIpv6).toBeUndefined();
      expect([5432, 6379]).toContain(r.inputs.fromPort);
      expect(r.inputs.toPort).toBe(r.inputs.fromPort);
    }
    const dbs = ofType(all, "aws:rds/instance:Instance");
    expect(dbs).toHaveLength(3);
    for (const d of dbs) expect(d.inputs.publiclyAccessible).toBe(false);
    for (const g of [...ofType(all, "aws:rds/subnetGroup:SubnetGroup"), ...ofType(all, "aws:elasticache/subnetGroup:SubnetGroup")]) {
      for (const id of g.inputs.subnetIds) expect(id).toMatch(/-net-private-\d-id$/);
    }
  });

  test("when eu-west-1 is removed, then the remaining stacks own nothing of it and its own stack held both sides of its link", async () => {
    // Before: everything in another region's VPC that exists for eu-west-1 is in eu-west-1's stack (its link to
    // us-east-1) or in ap-south-1's link to it, named after the link.
    const touchesEu = (r: Registration) => r.inputs.region === "eu-west-1" || r.inputs.peerRegion === "eu-west-1";
    expect(stacks["ap-south-1"]!.regs.filter(touchesEu).every((r) => r.name.startsWith("ap-south-1-to-eu-west-1-"))).toBe(true);
    const euInUs = stacks["eu-west-1"]!.regs.filter((r) => r.inputs.region === "us-east-1");
    expect(euInUs.map((r) => r.type).sort()).toEqual([
      "aws:ec2/route:Route", "aws:ec2/vpcPeeringConnectionAccepter:VpcPeeringConnectionAccepter",
      "aws:vpc/securityGroupEgressRule:SecurityGroupEgressRule", "aws:vpc/securityGroupEgressRule:SecurityGroupEgressRule",
      "aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule", "aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule",
    ]);
    expect(euInUs.every((r) => r.name.startsWith("eu-west-1-to-us-east-1-"))).toBe(true);

    const fleet2 = fleetOf(["us-east-1", "ap-south-1"], "us-east-1");
    const after = [
      (await run(configOf("us-east-1", fleet2), "after:us-east-1")).regs,
      (await run(configOf("ap-south-1", fleet2), "after:ap-south-1")).regs,
    ].flat();
    const mentionsEu = after.filter((r) => JSON.stringify(r).includes("eu-west-1") || JSON.stringify(r).includes("10.1.0.0/16"));
    expect(mentionsEu.map((r) => `${r.type} ${r.name}`)).toEqual([]);
    expect(ofType(after, "aws:ec2/vpcPeeringConnection:VpcPeeringConnection").map((r) => r.name)).toEqual(["ap-south-1-to-us-east-1-pcx"]);
  });
});
