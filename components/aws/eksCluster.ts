/**
 * The region's app cluster (issue #5), without @pulumi/eks: IAM roles for the control plane and the
 * nodes with their AWS managed policies, the EKS cluster in the private subnets, one managed node
 * group sized by the spec, an exec kubeconfig (a Pulumi secret) and one Kubernetes provider built
 * from it, which the region program hands to every Kubernetes child.
 */
import * as aws from "@pulumi/aws";
import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import type { RegionSpec } from "../../domain/spec/regionSpec";
import { buildKubeconfig } from "./kubeconfig";

export const CLUSTER_POLICIES = [aws.iam.ManagedPolicy.AmazonEKSClusterPolicy] as const;
export const NODE_POLICIES = [
  aws.iam.ManagedPolicy.AmazonEKSWorkerNodePolicy,
  aws.iam.ManagedPolicy.AmazonEKS_CNI_Policy,
  aws.iam.ManagedPolicy.AmazonEC2ContainerRegistryReadOnly,
] as const;

export interface EksClusterArgs {
  region: string;
  /** EKS cluster name (unique in the region). */
  clusterName: string;
  spec: RegionSpec["cluster"];
  /** Private subnets: control-plane ENIs and nodes. */
  subnetIds: pulumi.Input<pulumi.Input<string>[]>;
  /** CIDRs allowed to reach the public API endpoint (Pulumi must reach it). Default: anywhere. */
  publicAccessCidrs?: string[];
  tags?: Record<string, string>;
}

function assumeRolePolicy(service: string): string {
  return JSON.stringify({
    Version: "2012-10-17",
    Statement: [{ Effect: "Allow", Principal: { Service: service }, Action: ["sts:AssumeRole", "sts:TagSession"] }],
  });
}

export class EksCluster extends pulumi.ComponentResource {
  public readonly clusterName: pulumi.Output<string>;
  public readonly endpoint: pulumi.Output<string>;
  public readonly kubeconfig: pulumi.Output<string>;
  /** The one Kubernetes provider for this cluster. */
  public readonly provider: k8s.Provider;

  constructor(name: string, args: EksClusterArgs, opts?: pulumi.ComponentResourceOptions) {
    if (args.spec.maxNodes < args.spec.minNodes) throw new Error(`EksCluster ${name}: maxNodes < minNodes`);
    super("aragora:aws:EksCluster", name, {}, opts);
    const { region } = args;
    const tags = { ...args.tags };

    const clusterRole = new aws.iam.Role(`${name}-cluster-role`, {
      assumeRolePolicy: assumeRolePolicy("eks.amazonaws.com"),
      description: `EKS control plane of ${args.clusterName}`,
      tags,
    }, { parent: this });
    const clusterAttachments = CLUSTER_POLICIES.map((policyArn, i) => new aws.iam.RolePolicyAttachment(`${name}-cluster-policy-${i}`, {
      role: clusterRole.name, policyArn,
    }, { parent: this }));
    const nodeRole = new aws.iam.Role(`${name}-node-role`, {
      assumeRolePolicy: assumeRolePolicy("ec2.amazonaws.com"),
      description: `EKS nodes of ${args.clusterName}`,
      tags,
    }, { parent: this });
    const nodeAttachments = NODE_POLICIES.map((policyArn, i) => new aws.iam.RolePolicyAttachment(`${name}-node-policy-${i}`, {
      role: nodeRole.name, policyArn,
    }, { parent: this }));

    const cluster = new aws.eks.Cluster(`${name}-cluster`, {
      region,
      name: args.clusterName,
      version: args.spec.kubernetesVersion,
      roleArn: clusterRole.arn,
      vpcConfig: {
        subnetIds: args.subnetIds,
        endpointPrivateAccess: true,
        endpointPublicAccess: true,
        publicAccessCidrs: args.publicAccessCidrs ?? ["0.0.0.0/0"],
      },
      accessConfig: { authenticationMode: "API", bootstrapClusterCreatorAdminPermissions: true },
      enabledClusterLogTypes: ["api", "audit", "authenticator"],
      tags,
    }, { parent: this, dependsOn: clusterAttachments });

    new aws.eks.NodeGroup(`${name}-nodes`, {
      region,
      clusterName: cluster.name,
      nodeRoleArn: nodeRole.arn,
      subnetIds: args.subnetIds,
      instanceTypes: [args.spec.nodeType],
      capacityType: "ON_DEMAND",
      scalingConfig: { desiredSize: args.spec.minNodes, minSize: args.spec.minNodes, maxSize: args.spec.maxNodes },
      updateConfig: { maxUnavailable: 1 },
      labels: { "aragora.io/region": region },
      tags,
    }, { parent: this, dependsOn: nodeAttachments, ignoreChanges: ["scalingConfig.desiredSize"] });

    this.kubeconfig = pulumi.secret(pulumi
      .all([cluster.name, cluster.endpoint, cluster.certificateAuthority])
      .apply(([clusterName, endpoint, ca]) => buildKubeconfig({ clusterName, endpoint, certificateAuthorityData: ca.data, region })));
    this.provider = new k8s.Provider(`${name}-k8s`, { kubeconfig: this.kubeconfig, enableServerSideApply: true }, { parent: this });
    this.clusterName = cluster.name;
    this.endpoint = cluster.endpoint;
    this.registerOutputs({ clusterName: this.clusterName, endpoint: this.endpoint, kubeconfig: this.kubeconfig });
  }
}
