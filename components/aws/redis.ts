/**
 * The region's member of the fleet's ElastiCache global datastore (runbook Phase 3): a subnet group
 * over the private subnets and a replication group (two nodes, automatic failover, Multi-AZ, TLS in
 * transit, encryption at rest, AUTH token).
 *
 * - home region (`membership.kind = "home"`): its replication group is created as the datastore's
 *   first primary, and it owns the `GlobalReplicationGroup` built from it.
 *   `primaryReplicationGroupId` is ignored after creation: the primary moves by failover, never by
 *   replacing the datastore.
 * - every other region joins as a secondary member (`globalReplicationGroupId`); the datastore
 *   manages engine, version, parameter group and the AUTH token of members.
 * - the fleet's primary region also declares `GlobalDatastorePrimary`, which moves the datastore's
 *   primary to its member when it is not there already (failover).
 */
import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";
import type { RegionSpec } from "../../domain/spec/regionSpec";
import { GlobalDatastorePrimary } from "./globalDatastorePrimary";
import type { DataTierPlacement } from "./network";

export const REDIS_PORT = 6379;
export const REDIS_ENGINE_VERSION = "7.1";
export const GLOBAL_DATASTORE_SUFFIX = "aragora";
/** Nodes per member: one primary and one replica, in different AZs. */
export const REDIS_NODES_PER_MEMBER = 2;

export type RedisMembership =
  | { kind: "home"; authToken: pulumi.Input<string> }
  | { kind: "secondary"; globalReplicationGroupId: pulumi.Input<string> };

export interface RedisMemberArgs extends DataTierPlacement {
  spec: RegionSpec["redis"];
  membership: RedisMembership;
  /** Whether this region is the fleet's write primary (claims the datastore's primary role). */
  primary: boolean;
}

export class RedisMember extends pulumi.ComponentResource {
  public readonly replicationGroupId: pulumi.Output<string>;
  public readonly primaryEndpoint: pulumi.Output<string>;
  public readonly readerEndpoint: pulumi.Output<string>;
  public readonly globalDatastoreId: pulumi.Output<string>;

  constructor(name: string, args: RedisMemberArgs, opts?: pulumi.ComponentResourceOptions) {
    if (/^cache\.t/.test(args.spec.nodeType)) throw new Error(`RedisMember ${name}: ${args.spec.nodeType} cannot join a global datastore`);
    super("aragora:aws:RedisMember", name, {}, opts);
    const { region } = args;
    const tags = { ...args.tags, Name: name };

    const subnetGroup = new aws.elasticache.SubnetGroup(`${name}-subnets`, {
      region,
      subnetIds: args.subnetIds,
      description: `Aragora Redis private subnets in ${region}`,
      tags,
    }, { parent: this });
    const common: aws.elasticache.ReplicationGroupArgs = {
      region,
      description: `Aragora Redis (${region})`,
      nodeType: args.spec.nodeType,
      numCacheClusters: REDIS_NODES_PER_MEMBER,
      automaticFailoverEnabled: true,
      multiAzEnabled: true,
      atRestEncryptionEnabled: true,
      transitEncryptionEnabled: true,
      port: REDIS_PORT,
      subnetGroupName: subnetGroup.name,
      securityGroupIds: [args.securityGroupId],
      applyImmediately: true,
      tags,
    };
    const m = args.membership;
    let rg: aws.elasticache.ReplicationGroup;
    let globalDatastoreId: pulumi.Output<string>;
    let dependsOn: pulumi.Resource[];
    if (m.kind === "home") {
      rg = new aws.elasticache.ReplicationGroup(`${name}-rg`, {
        ...common,
        engine: "redis",
        engineVersion: REDIS_ENGINE_VERSION,
        authToken: m.authToken,
      }, { parent: this });
      const grg = new aws.elasticache.GlobalReplicationGroup(`${name}-global`, {
        region,
        globalReplicationGroupIdSuffix: GLOBAL_DATASTORE_SUFFIX,
        globalReplicationGroupDescription: "Aragora Redis global datastore",
        primaryReplicationGroupId: rg.id,
      }, { parent: this, ignoreChanges: ["primaryReplicationGroupId"] });
      globalDatastoreId = grg.globalReplicationGroupId;
      dependsOn = [grg];
    } else {
      rg = new aws.elasticache.ReplicationGroup(`${name}-rg`, {
        ...common,
        globalReplicationGroupId: m.globalReplicationGroupId,
      }, { parent: this });
      globalDatastoreId = pulumi.output(m.globalReplicationGroupId);
      dependsOn = [rg];
    }
    if (args.primary) {
      new GlobalDatastorePrimary(`${name}-datastore-primary`, {
        globalReplicationGroupId: globalDatastoreId,
        region,
        replicationGroupId: rg.id,
      }, { parent: this, dependsOn });
    }

    this.replicationGroupId = rg.id;
    this.primaryEndpoint = rg.primaryEndpointAddress;
    this.readerEndpoint = rg.readerEndpointAddress;
    this.globalDatastoreId = globalDatastoreId;
    this.registerOutputs({
      replicationGroupId: this.replicationGroupId, primaryEndpoint: this.primaryEndpoint,
      readerEndpoint: this.readerEndpoint, globalDatastoreId: this.globalDatastoreId,
    });
  }
}
