/**
 * One cross-region VPC peering link, owned end to end by the younger region's stack (runbook
 * Phase 1): the requester connection in the owner's region, its accepter in the peer's region
 * (aws v7 `region` argument, no second provider), one route each way on the private route tables,
 * and on both sides PostgreSQL 5432 and Redis 6379 ingress from the other side's CIDR plus the
 * matching egress. Cross-region peering cannot reference security groups, so rules use CIDRs.
 * Destroying the owner's stack removes every piece of the link from the peer.
 */
import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";
import { linkIngressRules, linkRoutes, type PeeringLink } from "../../domain/fleet/topology";

/** One side of a link: a VPC and the resources in it that the link touches. */
export interface PeeringSide {
  vpcId: pulumi.Input<string>;
  /** Private route tables of the VPC (routes to the other side go here). */
  routeTableIds: pulumi.Input<string>[];
  postgresSecurityGroupId: pulumi.Input<string>;
  redisSecurityGroupId: pulumi.Input<string>;
}

export interface VpcPeeringLinkArgs {
  /** The link (from `linksOwnedBy`): owner (this stack's region, requester) and peer (accepter). */
  link: PeeringLink;
  owner: PeeringSide;
  peer: PeeringSide;
  tags?: Record<string, string>;
}

export class VpcPeeringLink extends pulumi.ComponentResource {
  public readonly peeringConnectionId: pulumi.Output<string>;

  constructor(name: string, args: VpcPeeringLinkArgs, opts?: pulumi.ComponentResourceOptions) {
    const { link } = args;
    if (link.owner === link.peer) throw new Error(`peering link ${link.name} connects ${link.owner} to itself`);
    if (args.owner.routeTableIds.length === 0 || args.peer.routeTableIds.length === 0) {
      throw new Error(`peering link ${link.name} needs at least one route table on each side`);
    }
    super("aragora:aws:VpcPeeringLink", name, {}, opts);
    const tags = { ...args.tags, Name: link.name, "aragora:link": link.name };

    const pcx = new aws.ec2.VpcPeeringConnection(`${name}-pcx`, {
      region: link.owner,
      vpcId: args.owner.vpcId,
      peerVpcId: args.peer.vpcId,
      peerRegion: link.peer,
      autoAccept: false,
      tags,
    }, { parent: this });
    const accepter = new aws.ec2.VpcPeeringConnectionAccepter(`${name}-accept`, {
      region: link.peer,
      vpcPeeringConnectionId: pcx.id,
      autoAccept: true,
      tags,
    }, { parent: this });

    const side = (region: string): PeeringSide => (region === link.owner ? args.owner : args.peer);
    for (const r of linkRoutes(link)) {
      side(r.region).routeTableIds.forEach((rtId, i) => new aws.ec2.Route(`${name}-route-${r.region}-${i}`, {
        region: r.region,
        routeTableId: rtId,
        destinationCidrBlock: r.destinationCidr,
        vpcPeeringConnectionId: accepter.id,
      }, { parent: this, dependsOn: [accepter] }));
    }
    for (const rule of linkIngressRules(link)) {
      const s = side(rule.region);
      const securityGroupId = rule.service === "postgres" ? s.postgresSecurityGroupId : s.redisSecurityGroupId;
      // The same rule both ways: in from the other side's CIDR, out to it.
      const ruleArgs = {
        region: rule.region,
        securityGroupId,
        ipProtocol: "tcp",
        fromPort: rule.port,
        toPort: rule.port,
        cidrIpv4: rule.fromCidr,
        description: `${rule.service} replication over ${link.name}`,
        tags,
      };
      new aws.vpc.SecurityGroupIngressRule(`${name}-${rule.service}-in-${rule.region}`, ruleArgs, { parent: this });
      new aws.vpc.SecurityGroupEgressRule(`${name}-${rule.service}-out-${rule.region}`, ruleArgs, { parent: this });
    }

    this.peeringConnectionId = pcx.id;
    this.registerOutputs({ peeringConnectionId: this.peeringConnectionId });
  }
}
