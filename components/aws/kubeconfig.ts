/**
 * kubeconfig of an EKS cluster (pure). Exec-based (`aws eks get-token`), so it does not expire
 * the way a `getClusterAuth` token does during a long update. The caller wraps it in
 * `pulumi.secret`.
 */
export interface KubeconfigArgs {
  clusterName: string;
  endpoint: string;
  /** Base64 cluster CA (`cluster.certificateAuthority.data`). */
  certificateAuthorityData: string;
  region: string;
}

export function buildKubeconfig(a: KubeconfigArgs): string {
  return JSON.stringify({
    apiVersion: "v1",
    kind: "Config",
    clusters: [{ name: a.clusterName, cluster: { server: a.endpoint, "certificate-authority-data": a.certificateAuthorityData } }],
    contexts: [{ name: a.clusterName, context: { cluster: a.clusterName, user: a.clusterName } }],
    "current-context": a.clusterName,
    users: [{
      name: a.clusterName,
      user: {
        exec: {
          apiVersion: "client.authentication.k8s.io/v1beta1",
          command: "aws",
          args: ["eks", "get-token", "--cluster-name", a.clusterName, "--region", a.region, "--output", "json"],
          interactiveMode: "Never",
        },
      },
    }],
  });
}
