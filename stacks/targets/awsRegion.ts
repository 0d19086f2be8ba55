/**
 * The `aws` target of a region stack (issues #4, #5): network and peering (runbook Phase 1),
 * RDS PostgreSQL (Phase 2), the ElastiCache global datastore member (Phase 3), the EKS cluster
 * with the Aragora Helm release and the runbook's monitoring (Phase 4), and the outputs contract
 * in `awsRegionOutputs.ts` (origin for the global stack's Phase 5).
 *
 * Reads, by StackReference `organization/aragora/<stack>`:
 * - the home region (oldest; see `components/aws/fleetRoles.ts`): fleet-wide credentials and the
 *   Redis global datastore id;
 * - the primary region: the RDS source ARN and address;
 * - each older peer this region peers with: VPC, private route table, data SGs.
 *
 * The write primary is `fleet.primary` (a failover changes it; see the components for what moves).
 */
import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";
import type { PulumiFn } from "@pulumi/pulumi/automation";
import { EksCluster } from "../../components/aws/eksCluster";
import { regionRole, stackReferenceName } from "../../components/aws/fleetRoles";
import { RegionNetwork } from "../../components/aws/network";
import { subnetLayout } from "../../components/aws/subnetLayout";
import { VpcPeeringLink, type PeeringSide } from "../../components/aws/peering";
import { DATABASE_NAME, PostgresDatabase, POSTGRES_PORT } from "../../components/aws/postgres";
import { REDIS_PORT, RedisMember } from "../../components/aws/redis";
import { AragoraApp } from "../../components/kubernetes/aragoraApp";
import { aragoraHelmValues } from "../../components/kubernetes/helmValues";
import { RegionMonitoring } from "../../components/kubernetes/monitoring";
import { GeneratedSecret } from "../../components/secrets/generatedSecret";
import { linksOwnedBy } from "../../domain/fleet/topology";
import { isAwsRegion } from "../../domain/spec/awsRegions";
import type { RegionStackConfig } from "../../domain/spec/stackConfig";
import { AWS_REGION_OUTPUT_KEYS as K, type AwsRegionStackOutputs } from "./awsRegionOutputs";

/** Fleet-wide RDS master user (replicas inherit it). */
export const DB_MASTER_USER = "aragora_admin";
export const DB_PASSWORD_LENGTH = 32;
export const REDIS_AUTH_TOKEN_LENGTH = 64;

export function awsRegionProgram(config: RegionStackConfig): PulumiFn {
  return () => Promise.resolve(buildAwsRegion(config) as unknown as Record<string, unknown>);
}

function str(ref: pulumi.StackReference, key: string): pulumi.Output<string> {
  return ref.requireOutput(key) as pulumi.Output<string>;
}

function postgresUrl(user: pulumi.Input<string>, password: pulumi.Input<string>, host: pulumi.Input<string>): pulumi.Output<string> {
  return pulumi.secret(pulumi.interpolate`postgresql://${user}:${password}@${host}:${POSTGRES_PORT}/${DATABASE_NAME}?sslmode=require`);
}

export function buildAwsRegion(config: RegionStackConfig): AwsRegionStackOutputs {
  const { region: spec, fleet } = config;
  const region = spec.name;
  if ((spec.provider ?? "aws") !== "aws") throw new Error(`region ${region} is for the ${String(spec.provider)} target, not aws`);
  if (!isAwsRegion(region)) throw new Error(`region ${region} is not an AWS region code`);
  const member = fleet.regions.find((r) => r.name === region);
  if (!member) throw new Error(`region ${region} is not in the fleet`);
  const cidr = spec.network.cidr ?? member.cidr;
  if (cidr !== member.cidr) throw new Error(`region ${region}: spec CIDR ${cidr} differs from the fleet's ${member.cidr}`);
  subnetLayout(cidr, spec.network.azCount); // validates the VPC size before anything is registered
  const role = regionRole(fleet, region);
  const links = linksOwnedBy(fleet, region);
  const tags = { "aragora:region": region, "aragora:managed-by": "aragora-regions" };

  const refs = new Map<string, pulumi.StackReference>();
  const ref = (stack: string): pulumi.StackReference => {
    let r = refs.get(stack);
    if (!r) {
      r = new pulumi.StackReference(stackReferenceName(stack));
      refs.set(stack, r);
    }
    return r;
  };
  for (const s of role.referencedStacks) ref(s);
  for (const l of links) ref(l.peer);

  const clusterName = `aragora-${region}`;
  const network = new RegionNetwork(`${region}-net`, { region, cidr, azCount: spec.network.azCount, clusterName, tags });

  // Fleet-wide credentials: generated once by the home region, read by everyone else.
  let dbPassword: pulumi.Output<string>;
  let redisAuthToken: pulumi.Output<string>;
  if (role.isHome) {
    dbPassword = new GeneratedSecret(`${region}-db-password`, { length: DB_PASSWORD_LENGTH }).value;
    redisAuthToken = new GeneratedSecret(`${region}-redis-auth`, { length: REDIS_AUTH_TOKEN_LENGTH }).value;
  } else {
    dbPassword = pulumi.secret(str(ref(role.home), K.dbPassword));
    redisAuthToken = pulumi.secret(str(ref(role.home), K.redisAuthToken));
  }

  const ownSide: PeeringSide = {
    vpcId: network.vpcId,
    routeTableIds: [network.privateRouteTableIds.apply((ids) => ids[0] ?? "")],
    postgresSecurityGroupId: network.postgresSecurityGroupId,
    redisSecurityGroupId: network.redisSecurityGroupId,
  };
  const peeringIds: Record<string, pulumi.Output<string>> = {};
  for (const link of links) {
    const peer = ref(link.peer);
    const peerRouteTables = peer.requireOutput(K.privateRouteTableIds) as pulumi.Output<string[]>;
    const pl = new VpcPeeringLink(link.name, {
      link,
      owner: ownSide,
      peer: {
        vpcId: str(peer, K.vpcId),
        routeTableIds: [peerRouteTables.apply((ids) => ids[0] ?? "")],
        postgresSecurityGroupId: str(peer, K.postgresSecurityGroupId),
        redisSecurityGroupId: str(peer, K.redisSecurityGroupId),
      },
      tags,
    });
    peeringIds[link.peer] = pl.peeringConnectionId;
  }

  const db = new PostgresDatabase(`${region}-postgres`, {
    region,
    spec: spec.postgres,
    role: role.isPrimary
      ? { kind: "primary", username: DB_MASTER_USER, password: dbPassword }
      : { kind: "replica", sourceArn: str(ref(role.primary), K.dbArn) },
    subnetIds: network.privateSubnetIds,
    securityGroupId: network.postgresSecurityGroupId,
    tags,
  });

  const redis = new RedisMember(`${region}-redis`, {
    region,
    spec: spec.redis,
    membership: role.isHome
      ? { kind: "home", authToken: redisAuthToken }
      : { kind: "secondary", globalReplicationGroupId: str(ref(role.home), K.redisGlobalDatastoreId) },
    primary: role.isPrimary,
    subnetIds: network.privateSubnetIds,
    securityGroupId: network.redisSecurityGroupId,
    tags,
  });

  const databaseUrl = postgresUrl(DB_MASTER_USER, dbPassword, db.address);
  const databaseUrlPrimary = role.isPrimary ? databaseUrl : postgresUrl(DB_MASTER_USER, dbPassword, str(ref(role.primary), K.dbAddress));
  const redisUrl = pulumi.secret(pulumi.interpolate`rediss://:${redisAuthToken}@${redis.primaryEndpoint}:${REDIS_PORT}`);

  const cluster = new EksCluster(`${region}-eks`, {
    region, clusterName, spec: spec.cluster, subnetIds: network.privateSubnetIds, tags,
  });
  const app = new AragoraApp(`${region}-app`, {
    provider: cluster.provider,
    values: aragoraHelmValues(spec, fleet),
    databaseUrl,
    databaseUrlPrimary,
    redisUrl,
  });
  new RegionMonitoring(`${region}-monitoring`, { provider: cluster.provider, namespace: app.namespace, region });

  const originZoneId = aws.lb.getHostedZoneIdOutput({ loadBalancerType: "network", region }).id;

  return {
    region: pulumi.output(region),
    primary: pulumi.output(role.isPrimary),
    home: pulumi.output(role.home),
    vpcId: network.vpcId,
    vpcCidr: network.vpcCidr,
    publicSubnetIds: network.publicSubnetIds,
    privateSubnetIds: network.privateSubnetIds,
    publicRouteTableIds: network.publicRouteTableIds,
    privateRouteTableIds: network.privateRouteTableIds,
    postgresSecurityGroupId: network.postgresSecurityGroupId,
    redisSecurityGroupId: network.redisSecurityGroupId,
    peeringConnectionIds: pulumi.output(peeringIds),
    dbArn: db.arn,
    dbIdentifier: db.identifier,
    dbAddress: db.address,
    dbEndpoint: db.endpoint,
    dbPort: db.port,
    dbKmsKeyArn: db.kmsKeyArn,
    dbReplicaOf: db.replicaOf,
    dbUsername: pulumi.output(DB_MASTER_USER),
    dbPassword: role.isHome ? pulumi.secret(dbPassword) : pulumi.secret(""),
    databaseUrl,
    databaseUrlPrimary,
    redisReplicationGroupId: redis.replicationGroupId,
    redisPrimaryEndpoint: redis.primaryEndpoint,
    redisReaderEndpoint: redis.readerEndpoint,
    redisGlobalDatastoreId: redis.globalDatastoreId,
    redisAuthToken: role.isHome ? pulumi.secret(redisAuthToken) : pulumi.secret(""),
    redisUrl,
    clusterName: cluster.clusterName,
    clusterEndpoint: cluster.endpoint,
    kubeconfig: cluster.kubeconfig,
    helmReleaseStatus: app.releaseStatus,
    originHostname: app.originHostname,
    originZoneId,
    healthPath: pulumi.output(fleet.settings.healthPath),
  };
}
