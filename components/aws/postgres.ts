/**
 * The region's RDS PostgreSQL (runbook Phase 2): a KMS key in the region, a subnet group over the
 * private subnets, a parameter group with the spec's WAL settings, and the instance: the fleet's
 * primary (backups on, encrypted, private) in the primary region, a cross-region read replica of
 * the primary's ARN elsewhere (the destination-region KMS key, its own subnet and parameter group).
 *
 * Failover: the instance keeps one logical name in both roles.
 * - promoted replica: `replicateSourceDb` disappears, which the provider applies in place as a
 *   promotion (the data stays). `username`/`dbName` are ignored on the primary role so the
 *   promoted instance is not replaced for inputs a replica never had.
 * - demoted primary, or a replica whose primary moved: RDS cannot re-point a replica, so the
 *   replica role sets `replaceOnChanges: ["replicateSourceDb"]` and the instance is rebuilt from
 *   the new primary (the old primary takes a final snapshot first unless the spec skips it).
 */
import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";
import type { RegionSpec } from "../../domain/spec/regionSpec";
import type { DataTierPlacement } from "./network";
import { parameterGroupFamily, postgresParameters } from "./postgresParameters";

export const POSTGRES_PORT = 5432;
export const DATABASE_NAME = "aragora";
export const BACKUP_RETENTION_DAYS = 7;

export type PostgresRole =
  | { kind: "primary"; username: string; password: pulumi.Input<string> }
  | { kind: "replica"; sourceArn: pulumi.Input<string> };

export interface PostgresDatabaseArgs extends DataTierPlacement {
  spec: RegionSpec["postgres"];
  role: PostgresRole;
}

export class PostgresDatabase extends pulumi.ComponentResource {
  public readonly arn: pulumi.Output<string>;
  public readonly identifier: pulumi.Output<string>;
  public readonly address: pulumi.Output<string>;
  public readonly endpoint: pulumi.Output<string>;
  public readonly port: pulumi.Output<number>;
  public readonly kmsKeyArn: pulumi.Output<string>;
  /** Source ARN when this is a replica, "" on the primary. */
  public readonly replicaOf: pulumi.Output<string>;

  constructor(name: string, args: PostgresDatabaseArgs, opts?: pulumi.ComponentResourceOptions) {
    if (args.role.kind === "primary" && !/^[a-z][a-z0-9_]{0,62}$/.test(args.role.username)) {
      throw new Error(`PostgresDatabase ${name}: invalid master user name ${JSON.stringify(args.role.username)}`);
    }
    super("aragora:aws:PostgresDatabase", name, {}, opts);
    const { region, spec } = args;
    const tags = { ...args.tags, Name: name };

    const key = new aws.kms.Key(`${name}-kms`, {
      region,
      description: `Aragora PostgreSQL storage in ${region}`,
      enableKeyRotation: true,
      deletionWindowInDays: 7,
      tags,
    }, { parent: this });
    const subnetGroup = new aws.rds.SubnetGroup(`${name}-subnets`, {
      region,
      subnetIds: args.subnetIds,
      description: `Aragora PostgreSQL private subnets in ${region}`,
      tags,
    }, { parent: this });
    const params = new aws.rds.ParameterGroup(`${name}-params`, {
      region,
      family: parameterGroupFamily(spec.version),
      description: `Aragora PostgreSQL ${spec.version} replication settings`,
      parameters: postgresParameters(spec),
      tags,
    }, { parent: this });

    const common: aws.rds.InstanceArgs = {
      region,
      instanceClass: spec.instanceClass,
      dbSubnetGroupName: subnetGroup.name,
      parameterGroupName: params.name,
      vpcSecurityGroupIds: [args.securityGroupId],
      kmsKeyId: key.arn,
      storageEncrypted: true,
      storageType: "gp3",
      port: POSTGRES_PORT,
      publiclyAccessible: false,
      multiAz: true,
      backupRetentionPeriod: BACKUP_RETENTION_DAYS,
      deletionProtection: spec.deletionProtection,
      autoMinorVersionUpgrade: true,
      copyTagsToSnapshot: true,
      applyImmediately: true,
      tags: { ...tags, "aragora:role": args.role.kind },
    };
    const role = args.role;
    const instance = role.kind === "primary"
      ? new aws.rds.Instance(`${name}-db`, {
        ...common,
        engine: "postgres",
        engineVersion: spec.version,
        allocatedStorage: spec.allocatedStorageGb,
        dbName: DATABASE_NAME,
        username: role.username,
        password: role.password,
        skipFinalSnapshot: false,
        finalSnapshotIdentifier: `${name}-final`,
      }, { parent: this, ignoreChanges: ["username", "dbName"] })
      : new aws.rds.Instance(`${name}-db`, {
        ...common,
        replicateSourceDb: role.sourceArn,
        skipFinalSnapshot: true,
      }, { parent: this, replaceOnChanges: ["replicateSourceDb"] });

    this.arn = instance.arn;
    this.identifier = instance.identifier;
    this.address = instance.address;
    this.endpoint = instance.endpoint;
    this.port = instance.port;
    this.kmsKeyArn = key.arn;
    this.replicaOf = role.kind === "replica" ? pulumi.output(role.sourceArn) : pulumi.output("");
    this.registerOutputs({
      arn: this.arn, identifier: this.identifier, address: this.address, endpoint: this.endpoint,
      port: this.port, kmsKeyArn: this.kmsKeyArn, replicaOf: this.replicaOf,
    });
  }
}
