import { MockWorld, valueOf, type Registration } from "./mockWorld";
import type * as pulumi from "@pulumi/pulumi";
import { regionSpec } from "../../../../domain/spec/regionSpec";

const world = new MockWorld();
world.install();
// Programs under mocks register ~100 resources; leave room when the suite runs in parallel.
jest.setTimeout(30_000);

interface Captured { type: string; name: string; opts: pulumi.CustomResourceOptions }
const captured: Captured[] = [];
const capture: pulumi.ResourceTransformation = (a) => {
  captured.push({ type: a.type, name: a.name, opts: a.opts });
  return undefined;
};

const spec = regionSpec.parse({ name: "eu-west-1", network: { cidr: "10.1.0.0/16" } });
const byType = (type: string, stack: string): Registration[] => world.of(stack).filter((r) => r.type === type);
const optsOf = (type: string, name: string): pulumi.CustomResourceOptions => {
  const c = captured.find((x) => x.type === type && x.name === name);
  if (!c) throw new Error(`no ${type} ${name}`);
  return c.opts;
};

describe("aws components", () => {
  test("when a PostgresDatabase is a primary, then username/dbName changes are ignored so a promoted replica is never replaced", async () => {
    const { PostgresDatabase } = await import("../../../../components/aws/postgres");
    world.current = "pg-primary";
    const db = new PostgresDatabase("p", {
      region: "us-east-1", spec: spec.postgres, role: { kind: "primary", username: "aragora_admin", password: "pw" },
      subnetIds: ["s1", "s2"], securityGroupId: "sg",
    }, { transformations: [capture] });
    await valueOf(db.arn);
    await world.settle();
    expect(optsOf("aws:rds/instance:Instance", "p-db").ignoreChanges).toEqual(["username", "dbName"]);
    expect(optsOf("aws:rds/instance:Instance", "p-db").replaceOnChanges).toBeUndefined();
    expect(byType("aws:kms/key:Key", "pg-primary")[0]!.inputs).toMatchObject({ region: "us-east-1", enableKeyRotation: true });
  });

  test("when a PostgresDatabase is a replica, then a new source ARN rebuilds it (RDS cannot re-point a replica)", async () => {
    const { PostgresDatabase } = await import("../../../../components/aws/postgres");
    world.current = "pg-replica";
    const db = new PostgresDatabase("r", {
      region: "eu-west-1", spec: spec.postgres, role: { kind: "replica", sourceArn: "arn:aws:rds:us-east-1:1:db:p" },
      subnetIds: ["s1"], securityGroupId: "sg",
    }, { transformations: [capture] });
    await valueOf(db.replicaOf);
    await world.settle();
    expect(optsOf("aws:rds/instance:Instance", "r-db").replaceOnChanges).toEqual(["replicateSourceDb"]);
  });

  test("when a PostgresDatabase gets a bad master user, then it fails before creating anything", async () => {
    const { PostgresDatabase } = await import("../../../../components/aws/postgres");
    world.current = "pg-bad";
    expect(() => new PostgresDatabase("bad", {
      region: "us-east-1", spec: spec.postgres, role: { kind: "primary", username: "Robert'); DROP", password: "pw" },
      subnetIds: ["s1"], securityGroupId: "sg",
    })).toThrow(/invalid master user name/);
    await world.settle();
    expect(world.of("pg-bad")).toHaveLength(0);
  });

  test("when the home RedisMember creates the global datastore, then its primary member id is ignored after creation", async () => {
    const { RedisMember } = await import("../../../../components/aws/redis");
    world.current = "redis-home";
    const m = new RedisMember("h", {
      region: "us-east-1", spec: spec.redis, membership: { kind: "home", authToken: "t".repeat(32) }, primary: true,
      subnetIds: ["s1"], securityGroupId: "sg",
    }, { transformations: [capture] });
    await valueOf(m.globalDatastoreId);
    await world.settle();
    expect(optsOf("aws:elasticache/globalReplicationGroup:GlobalReplicationGroup", "h-global").ignoreChanges).toEqual(["primaryReplicationGroupId"]);
    expect(byType("pulumi-nodejs:dynamic/aragora:GlobalDatastorePrimary", "redis-home")).toHaveLength(1);
  });

  test("when a RedisMember gets a t-type node, then it refuses (global datastores need large or bigger)", async () => {
    const { RedisMember } = await import("../../../../components/aws/redis");
    expect(() => new RedisMember("t", {
      region: "us-east-1", spec: { ...spec.redis, nodeType: "cache.t4g.small" }, membership: { kind: "secondary", globalReplicationGroupId: "g" },
      primary: false, subnetIds: ["s1"], securityGroupId: "sg",
    })).toThrow(/cannot join a global datastore/);
  });

  test("when an EksCluster is built, then roles, managed policies, the node group and one kubeconfig provider are wired", async () => {
    const { EksCluster } = await import("../../../../components/aws/eksCluster");
    const pulumiSdk = await import("@pulumi/pulumi");
    world.current = "eks";
    const c = new EksCluster("eu-eks", {
      region: "eu-west-1", clusterName: "aragora-eu-west-1", spec: { ...spec.cluster, minNodes: 2, maxNodes: 5, nodeType: "m6i.xlarge" },
      subnetIds: ["priv-a", "priv-b", "priv-c"],
    }, { transformations: [capture] });
    const kubeconfig = await valueOf(c.kubeconfig);
    expect(await pulumiSdk.isSecret(c.kubeconfig)).toBe(true);
    await world.settle();

    const roles = byType("aws:iam/role:Role", "eks");
    expect(roles.map((r) => [r.name, JSON.parse(r.inputs.assumeRolePolicy).Statement[0].Principal.Service]).sort()).toEqual([
      ["eu-eks-cluster-role", "eks.amazonaws.com"], ["eu-eks-node-role", "ec2.amazonaws.com"],
    ]);
    const attachments = byType("aws:iam/rolePolicyAttachment:RolePolicyAttachment", "eks").map((r) => [r.inputs.role, r.inputs.policyArn]).sort();
    expect(attachments).toEqual([
      ["eu-eks-cluster-role-x", "arn:aws:iam::aws:policy/AmazonEKSClusterPolicy"],
      ["eu-eks-node-role-x", "arn:aws:iam::aws:policy/AmazonEC2ContainerRegistryReadOnly"],
      ["eu-eks-node-role-x", "arn:aws:iam::aws:policy/AmazonEKSWorkerNodePolicy"],
      ["eu-eks-node-role-x", "arn:aws:iam::aws:policy/AmazonEKS_CNI_Policy"],
    ]);
    const cluster = byType("aws:eks/cluster:Cluster", "eks")[0]!;
    expect(cluster.inputs).toMatchObject({
      region: "eu-west-1", name: "aragora-eu-west-1", version: "1.31", roleArn: "arn:aws:iam::123456789012:role/eu-eks-cluster-role-x",
      vpcConfig: { subnetIds: ["priv-a", "priv-b", "priv-c"], endpointPrivateAccess: true },
      accessConfig: { authenticationMode: "API", bootstrapClusterCreatorAdminPermissions: true },
    });
    expect(optsOf("aws:eks/cluster:Cluster", "eu-eks-cluster").dependsOn).toHaveLength(1);
    const ng = byType("aws:eks/nodeGroup:NodeGroup", "eks")[0]!;
    expect(ng.inputs).toMatchObject({
      region: "eu-west-1", clusterName: "aragora-eu-west-1", nodeRoleArn: "arn:aws:iam::123456789012:role/eu-eks-node-role-x",
      subnetIds: ["priv-a", "priv-b", "priv-c"], instanceTypes: ["m6i.xlarge"], capacityType: "ON_DEMAND",
      scalingConfig: { desiredSize: 2, minSize: 2, maxSize: 5 },
    });
    const ngOpts = optsOf("aws:eks/nodeGroup:NodeGroup", "eu-eks-nodes");
    expect(ngOpts.dependsOn).toHaveLength(3);
    expect(ngOpts.ignoreChanges).toEqual(["scalingConfig.desiredSize"]);

    const parsed = JSON.parse(kubeconfig);
    expect(parsed.clusters[0].cluster).toEqual({ server: "https://aragora-eu-west-1.gr7.eu-west-1.eks.amazonaws.com", "certificate-authority-data": "Q0FEQVRB" });
    expect(parsed.users[0].user.exec).toMatchObject({ command: "aws", args: ["eks", "get-token", "--cluster-name", "aragora-eu-west-1", "--region", "eu-west-1", "--output", "json"] });
    const provider = byType("pulumi:providers:kubernetes", "eks");
    expect(provider).toHaveLength(1);
    expect(provider[0]!.secretInputs).toContain("kubeconfig");
    expect(JSON.parse(provider[0]!.inputs.kubeconfig)).toEqual(parsed);
  });
});
