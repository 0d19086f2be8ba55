/**
 * The outputs contract of an `aws` region stack: what `awsRegionProgram` returns and what other
 * stacks read through `new pulumi.StackReference("organization/aragora/<region>")`.
 *
 * Who reads what:
 * - the `global` stack: `originHostname`, `originZoneId` (Cloudflare pool origin, Route53 alias),
 *   plus `region`, `primary`, `healthPath` for monitors;
 * - a younger region peering with this one: `vpcId`, `vpcCidr`, `privateRouteTableIds`,
 *   `postgresSecurityGroupId`, `redisSecurityGroupId` (it creates the accepter, routes and rules on
 *   this side, in this region);
 * - every replica region, from the primary's stack: `dbArn` (read-replica source), `dbAddress`,
 *   `dbPort` (DATABASE_URL_PRIMARY);
 * - every region, from the fleet's home stack (the oldest region, which created the fleet-wide
 *   credentials and the Redis global datastore): `dbUsername`, `dbPassword`, `redisAuthToken`,
 *   `redisGlobalDatastoreId`.
 *
 * Secrets (`dbPassword`, `redisAuthToken`, `databaseUrl`, `databaseUrlPrimary`, `redisUrl`,
 * `kubeconfig`) are Pulumi secrets: encrypted in state, masked by the service.
 * Keys are stable API: renaming one breaks the stacks that read it.
 */
import type * as pulumi from "@pulumi/pulumi";

/** Output key names, as other stacks pass them to `StackReference.getOutput`. */
export const AWS_REGION_OUTPUT_KEYS = {
  region: "region",
  primary: "primary",
  home: "home",
  vpcId: "vpcId",
  vpcCidr: "vpcCidr",
  publicSubnetIds: "publicSubnetIds",
  privateSubnetIds: "privateSubnetIds",
  publicRouteTableIds: "publicRouteTableIds",
  privateRouteTableIds: "privateRouteTableIds",
  postgresSecurityGroupId: "postgresSecurityGroupId",
  redisSecurityGroupId: "redisSecurityGroupId",
  peeringConnectionIds: "peeringConnectionIds",
  dbArn: "dbArn",
  dbIdentifier: "dbIdentifier",
  dbAddress: "dbAddress",
  dbEndpoint: "dbEndpoint",
  dbPort: "dbPort",
  dbKmsKeyArn: "dbKmsKeyArn",
  dbReplicaOf: "dbReplicaOf",
  dbUsername: "dbUsername",
  dbPassword: "dbPassword",
  databaseUrl: "databaseUrl",
  databaseUrlPrimary: "databaseUrlPrimary",
  redisReplicationGroupId: "redisReplicationGroupId",
  redisPrimaryEndpoint: "redisPrimaryEndpoint",
  redisReaderEndpoint: "redisReaderEndpoint",
  redisGlobalDatastoreId: "redisGlobalDatastoreId",
  redisAuthToken: "redisAuthToken",
  redisUrl: "redisUrl",
  clusterName: "clusterName",
  clusterEndpoint: "clusterEndpoint",
  kubeconfig: "kubeconfig",
  helmReleaseStatus: "helmReleaseStatus",
  originHostname: "originHostname",
  originZoneId: "originZoneId",
  healthPath: "healthPath",
} as const;

export type AwsRegionOutputKey = keyof typeof AWS_REGION_OUTPUT_KEYS;

/** Output keys whose values are Pulumi secrets. */
export const AWS_REGION_SECRET_OUTPUTS: readonly AwsRegionOutputKey[] = [
  "dbPassword",
  "databaseUrl",
  "databaseUrlPrimary",
  "redisAuthToken",
  "redisUrl",
  "kubeconfig",
];

/**
 * Resolved values of an aws region stack's outputs (what `StackReference.getOutputValue` yields).
 * The program returns the same keys as `pulumi.Output`s (see `AwsRegionStackOutputs`).
 */
export interface AwsRegionOutputs {
  /** Region id (AWS region code), e.g. "eu-west-1". */
  region: string;
  /** Whether this region runs the write primary (RDS primary, Redis global datastore primary). */
  primary: boolean;
  /** Name of the fleet's home region: owner of the fleet-wide credentials and the Redis global datastore. */
  home: string;
  /** VPC id. */
  vpcId: string;
  /** VPC IPv4 CIDR, e.g. "10.1.0.0/16". */
  vpcCidr: string;
  /** Public subnets (load balancers), one per AZ. */
  publicSubnetIds: string[];
  /** Private subnets (EKS nodes, RDS, ElastiCache), one per AZ. */
  privateSubnetIds: string[];
  /** Public route table(s) (default route to the internet gateway). */
  publicRouteTableIds: string[];
  /** Private route table(s): peering routes to every peer's CIDR live here (both sides). */
  privateRouteTableIds: string[];
  /** Security group of the RDS instance; peers' CIDRs may reach 5432. */
  postgresSecurityGroupId: string;
  /** Security group of the ElastiCache replication group; peers' CIDRs may reach 6379. */
  redisSecurityGroupId: string;
  /** Peering connections this stack owns (links to older regions), keyed by peer region. */
  peeringConnectionIds: Record<string, string>;
  /** ARN of this region's RDS instance (the replica source, when this region is primary). */
  dbArn: string;
  /** RDS instance identifier. */
  dbIdentifier: string;
  /** RDS hostname. */
  dbAddress: string;
  /** RDS `host:port`. */
  dbEndpoint: string;
  /** RDS port (5432). */
  dbPort: number;
  /** KMS key (in this region) encrypting this region's RDS storage. */
  dbKmsKeyArn: string;
  /** ARN of the source instance when this region is a read replica; "" on the primary. */
  dbReplicaOf: string;
  /** Master user name (fleet-wide; replicas inherit it). */
  dbUsername: string;
  /** SECRET. Master password (exported by the home region only; "" elsewhere). */
  dbPassword: string;
  /** SECRET. Local database URL (replica in replica regions). */
  databaseUrl: string;
  /** SECRET. The write primary's database URL. */
  databaseUrlPrimary: string;
  /** ElastiCache replication group id (this region's global datastore member). */
  redisReplicationGroupId: string;
  /** Primary endpoint of this region's member (read-only on a secondary member). */
  redisPrimaryEndpoint: string;
  /** Reader endpoint of this region's member. */
  redisReaderEndpoint: string;
  /** Id of the fleet's ElastiCache global datastore. */
  redisGlobalDatastoreId: string;
  /** SECRET. Redis AUTH token (exported by the home region only; "" elsewhere). */
  redisAuthToken: string;
  /** SECRET. Local Redis URL (`rediss://`, TLS). */
  redisUrl: string;
  /** EKS cluster name. */
  clusterName: string;
  /** EKS API endpoint. */
  clusterEndpoint: string;
  /** SECRET. kubeconfig (exec-based, `aws eks get-token`) for the region's cluster. */
  kubeconfig: string;
  /** Helm release status of the app ("deployed" when healthy). */
  helmReleaseStatus: string;
  /** Public hostname of the region's load balancer (LoadBalancer Service status): the GLB origin. */
  originHostname: string;
  /** Canonical hosted zone id of the region's network load balancer (Route53 alias target zone). */
  originZoneId: string;
  /** Path the app answers health checks on. */
  healthPath: string;
}

/** What `awsRegionProgram` returns: every key of the contract as a Pulumi Output. */
export type AwsRegionStackOutputs = { [K in keyof AwsRegionOutputs]: pulumi.Output<AwsRegionOutputs[K]> };
