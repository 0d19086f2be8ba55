/**
 * The region's network: VPC (DNS support and hostnames), public and private subnets over the
 * spec's AZs (layout from `subnetLayout`), an internet gateway, one regional NAT gateway (multi-AZ,
 * AWS-managed EIPs), one public and one private route table, and the data-tier security groups
 * (PostgreSQL, Redis). Data SGs admit their port from the VPC's own CIDR only; peers are added by
 * `VpcPeeringLink`. The AWS provider drops AWS's default allow-all egress, so each SG gets an
 * explicit egress rule (to the VPC CIDR only: RDS and ElastiCache replication is AWS-managed).
 *
 * Every child sets `region` explicitly (aws v7), so the program never depends on `aws:region`.
 */
import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";
import { subnetLayout } from "./subnetLayout";

export interface RegionNetworkArgs {
  /** AWS region code of the VPC. */
  region: string;
  /** VPC CIDR (/16../23). */
  cidr: string;
  /** Availability zones to spread subnets over (1..6). */
  azCount: number;
  /** EKS cluster name, for the subnet discovery tags of the Kubernetes load balancer controller. */
  clusterName?: string;
  tags?: Record<string, string>;
}

export const DATA_PORTS = { postgres: 5432, redis: 6379 } as const;

/** Where a region's data service runs: its private subnets, behind its data security group. */
export interface DataTierPlacement {
  region: string;
  /** Private subnets of the region. */
  subnetIds: pulumi.Input<pulumi.Input<string>[]>;
  securityGroupId: pulumi.Input<string>;
  tags?: Record<string, string>;
}

export class RegionNetwork extends pulumi.ComponentResource {
  public readonly vpcId: pulumi.Output<string>;
  public readonly vpcCidr: pulumi.Output<string>;
  public readonly publicSubnetIds: pulumi.Output<string[]>;
  public readonly privateSubnetIds: pulumi.Output<string[]>;
  public readonly publicRouteTableIds: pulumi.Output<string[]>;
  public readonly privateRouteTableIds: pulumi.Output<string[]>;
  public readonly postgresSecurityGroupId: pulumi.Output<string>;
  public readonly redisSecurityGroupId: pulumi.Output<string>;

  constructor(name: string, args: RegionNetworkArgs, opts?: pulumi.ComponentResourceOptions) {
    const layout = subnetLayout(args.cidr, args.azCount);
    super("aragora:aws:RegionNetwork", name, {}, opts);
    const region = args.region;
    const parent = { parent: this };
    const tags = (suffix: string, extra?: Record<string, string>): Record<string, string> => ({
      ...args.tags,
      Name: `${name}-${suffix}`,
      ...extra,
    });

    const vpc = new aws.ec2.Vpc(`${name}-vpc`, {
      region,
      cidrBlock: args.cidr,
      enableDnsSupport: true,
      enableDnsHostnames: true,
      tags: tags("vpc"),
    }, parent);

    const azs = aws.getAvailabilityZonesOutput({ region, state: "available" }, parent);
    const azName = (i: number): pulumi.Output<string> =>
      azs.names.apply((names) => {
        const n = names[i];
        if (n === undefined) throw new Error(`${region} has ${names.length} available AZs, the spec asks for ${args.azCount}`);
        return n;
      });

    const clusterTag: Record<string, string> = args.clusterName ? { [`kubernetes.io/cluster/${args.clusterName}`]: "shared" } : {};
    const subnets = (kind: "public" | "private", elbRole: string): aws.ec2.Subnet[] =>
      layout[kind].map((s) => new aws.ec2.Subnet(`${name}-${kind}-${s.azIndex}`, {
        region,
        vpcId: vpc.id,
        cidrBlock: s.cidr,
        availabilityZone: azName(s.azIndex),
        mapPublicIpOnLaunch: false,
        tags: tags(`${kind}-${s.azIndex}`, { ...clusterTag, [elbRole]: "1" }),
      }, parent));
    const publicSubnets = subnets("public", "kubernetes.io/role/elb");
    const privateSubnets = subnets("private", "kubernetes.io/role/internal-elb");

    /** A route table whose default route goes through `via`, associated with `members`. */
    const routeTable = (
      kind: "public" | "private",
      via: { gatewayId: pulumi.Input<string> } | { natGatewayId: pulumi.Input<string> },
      members: aws.ec2.Subnet[],
    ): aws.ec2.RouteTable => {
      const rt = new aws.ec2.RouteTable(`${name}-${kind}-rt`, { region, vpcId: vpc.id, tags: tags(`${kind}-rt`) }, parent);
      new aws.ec2.Route(`${name}-${kind}-default`, { region, routeTableId: rt.id, destinationCidrBlock: "0.0.0.0/0", ...via }, parent);
      members.forEach((s, i) => new aws.ec2.RouteTableAssociation(`${name}-${kind}-rta-${i}`, { region, routeTableId: rt.id, subnetId: s.id }, parent));
      return rt;
    };

    const igw = new aws.ec2.InternetGateway(`${name}-igw`, { region, vpcId: vpc.id, tags: tags("igw") }, parent);
    const publicRt = routeTable("public", { gatewayId: igw.id }, publicSubnets);

    // One regional NAT gateway: spans the VPC's AZs by itself (auto mode), so one private route
    // table serves every private subnet and a peer route is one route per side.
    const nat = new aws.ec2.NatGateway(`${name}-nat`, {
      region,
      vpcId: vpc.id,
      availabilityMode: "regional",
      connectivityType: "public",
      tags: tags("nat"),
    }, { parent: this, dependsOn: [igw] });
    const privateRt = routeTable("private", { natGatewayId: nat.id }, privateSubnets);

    const dataSg = (service: keyof typeof DATA_PORTS): aws.ec2.SecurityGroup => {
      const port = DATA_PORTS[service];
      const sg = new aws.ec2.SecurityGroup(`${name}-${service}-sg`, {
        region,
        vpcId: vpc.id,
        description: `Aragora ${service} (${port}): own VPC and peered regions only`,
        revokeRulesOnDelete: true,
        tags: tags(`${service}-sg`),
      }, parent);
      new aws.vpc.SecurityGroupIngressRule(`${name}-${service}-in-vpc`, {
        region, securityGroupId: sg.id, ipProtocol: "tcp", fromPort: port, toPort: port, cidrIpv4: args.cidr,
        description: `${service} from the region's own VPC`,
      }, parent);
      new aws.vpc.SecurityGroupEgressRule(`${name}-${service}-out-vpc`, {
        region, securityGroupId: sg.id, ipProtocol: "-1", cidrIpv4: args.cidr,
        description: "egress inside the region's own VPC",
      }, parent);
      return sg;
    };
    const pgSg = dataSg("postgres");
    const redisSg = dataSg("redis");

    this.vpcId = vpc.id;
    this.vpcCidr = vpc.cidrBlock;
    this.publicSubnetIds = pulumi.all(publicSubnets.map((s) => s.id));
    this.privateSubnetIds = pulumi.all(privateSubnets.map((s) => s.id));
    this.publicRouteTableIds = pulumi.all([publicRt.id]);
    this.privateRouteTableIds = pulumi.all([privateRt.id]);
    this.postgresSecurityGroupId = pgSg.id;
    this.redisSecurityGroupId = redisSg.id;
    this.registerOutputs({
      vpcId: this.vpcId,
      vpcCidr: this.vpcCidr,
      publicSubnetIds: this.publicSubnetIds,
      privateSubnetIds: this.privateSubnetIds,
      publicRouteTableIds: this.publicRouteTableIds,
      privateRouteTableIds: this.privateRouteTableIds,
      postgresSecurityGroupId: this.postgresSecurityGroupId,
      redisSecurityGroupId: this.redisSecurityGroupId,
    });
  }
}
