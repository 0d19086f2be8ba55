/**
 * Makes one member of an ElastiCache global datastore its primary.
 *
 * Why a dynamic resource: the AWS provider has no resource for moving a global datastore's primary
 * (`GlobalReplicationGroup.primaryReplicationGroupId` only names the member it was created from,
 * and changing it replaces the whole datastore). The fleet's primary region declares this
 * resource; create/update run the idempotent check-then-failover
 * (`DescribeGlobalReplicationGroups` → `FailoverGlobalReplicationGroup` when this member is not
 * already primary) through the `aws` CLI, which the EKS kubeconfig needs on the same machine
 * anyway. Delete does nothing: the primary role moves only when another region claims it.
 */
import * as pulumi from "@pulumi/pulumi";

export interface GlobalDatastorePrimaryArgs {
  globalReplicationGroupId: pulumi.Input<string>;
  /** Region of the member to promote. */
  region: pulumi.Input<string>;
  /** Replication group id of the member to promote. */
  replicationGroupId: pulumi.Input<string>;
}

interface Inputs {
  globalReplicationGroupId: string;
  region: string;
  replicationGroupId: string;
}

const provider: pulumi.dynamic.ResourceProvider<Inputs, Inputs> = {
  async create(inputs: Inputs): Promise<pulumi.dynamic.CreateResult<Inputs>> {
    // Inside the function: dynamic providers are serialized without module scope.
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const { execFile } = require("node:child_process") as typeof import("node:child_process");
    const aws = (args: string[]): Promise<string> =>
      new Promise((resolve, reject) => {
        execFile("aws", [...args, "--region", inputs.region, "--output", "json"], { timeout: 120_000 }, (err, stdout) => {
          if (err) reject(new Error(`aws ${args.slice(0, 2).join(" ")} failed: ${err.message}`));
          else resolve(stdout);
        });
      });
    const described = JSON.parse(await aws([
      "elasticache", "describe-global-replication-groups",
      "--global-replication-group-id", inputs.globalReplicationGroupId, "--show-member-info",
    ])) as { GlobalReplicationGroups?: { Members?: { ReplicationGroupId?: string; Role?: string }[] }[] };
    const members = described.GlobalReplicationGroups?.[0]?.Members ?? [];
    const me = members.find((m) => m.ReplicationGroupId === inputs.replicationGroupId);
    if (!me) throw new Error(`${inputs.replicationGroupId} is not a member of ${inputs.globalReplicationGroupId}`);
    if (me.Role !== "PRIMARY") {
      await aws([
        "elasticache", "failover-global-replication-group",
        "--global-replication-group-id", inputs.globalReplicationGroupId,
        "--primary-region", inputs.region,
        "--primary-replication-group-id", inputs.replicationGroupId,
      ]);
    }
    return { id: `${inputs.globalReplicationGroupId}/${inputs.replicationGroupId}`, outs: inputs };
  },
  async update(_id: string, _olds: Inputs, news: Inputs): Promise<pulumi.dynamic.UpdateResult<Inputs>> {
    const created = await provider.create(news);
    return { outs: created.outs };
  },
  // eslint-disable-next-line @typescript-eslint/require-await
  async diff(_id: string, olds: Inputs, news: Inputs): Promise<pulumi.dynamic.DiffResult> {
    const changed = olds.globalReplicationGroupId !== news.globalReplicationGroupId
      || olds.region !== news.region || olds.replicationGroupId !== news.replicationGroupId;
    return { changes: changed };
  },
  async delete(): Promise<void> {
    // Nothing to undo: the next primary's resource moves the role.
  },
};

export class GlobalDatastorePrimary extends pulumi.dynamic.Resource {
  declare public readonly globalReplicationGroupId: pulumi.Output<string>;
  declare public readonly region: pulumi.Output<string>;
  declare public readonly replicationGroupId: pulumi.Output<string>;

  constructor(name: string, args: GlobalDatastorePrimaryArgs, opts?: pulumi.CustomResourceOptions) {
    super(provider, name, { ...args }, opts, "aragora", "GlobalDatastorePrimary");
  }
}
