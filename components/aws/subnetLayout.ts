/**
 * Subnet layout of a region's VPC: pure CIDR math, no Pulumi.
 *
 * The VPC is cut into eighths. Private subnets (EKS nodes, RDS, ElastiCache) take one eighth each,
 * eighths 0..azCount-1 (at most 6). Public subnets (load balancers) share the last quarter: eighths
 * 6 and 7 cut into eight pieces, pieces 0..azCount-1. For a /16: private /19s, public /21s.
 * AWS subnets are /16../28, so the VPC must be /23 or larger.
 */
import { formatCidr, mustParseCidr } from "../../domain/spec/cidr";

/** AWS's smallest subnet. */
export const MAX_SUBNET_PREFIX = 28;
/** Most AZs a region spec may ask for. */
export const MAX_AZ_COUNT = 6;

export interface SubnetPlan {
  /** "public" | "private". */
  tier: "public" | "private";
  /** AZ index (0-based); the program maps it to the region's n-th available AZ. */
  azIndex: number;
  cidr: string;
}

export interface SubnetLayout {
  public: SubnetPlan[];
  private: SubnetPlan[];
}

export function subnetLayout(vpcCidr: string, azCount: number): SubnetLayout {
  if (!Number.isInteger(azCount) || azCount < 1 || azCount > MAX_AZ_COUNT) {
    throw new Error(`azCount must be 1..${MAX_AZ_COUNT}, not ${azCount}`);
  }
  const vpc = mustParseCidr(vpcCidr);
  const privatePrefix = vpc.prefix + 3;
  const publicPrefix = vpc.prefix + 5;
  if (publicPrefix > MAX_SUBNET_PREFIX) {
    throw new Error(`VPC ${vpcCidr} is too small for the aws subnet layout: public subnets would be /${publicPrefix}; use /${MAX_SUBNET_PREFIX - 5} or larger`);
  }
  const size = (prefix: number): number => 2 ** (32 - prefix);
  const privates: SubnetPlan[] = [];
  const publics: SubnetPlan[] = [];
  const publicBase = vpc.network + 6 * size(privatePrefix);
  for (let i = 0; i < azCount; i++) {
    privates.push({ tier: "private", azIndex: i, cidr: formatCidr({ network: (vpc.network + i * size(privatePrefix)) >>> 0, prefix: privatePrefix }) });
    publics.push({ tier: "public", azIndex: i, cidr: formatCidr({ network: (publicBase + i * size(publicPrefix)) >>> 0, prefix: publicPrefix }) });
  }
  return { public: publics, private: privates };
}
