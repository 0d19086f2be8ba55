/**
 * The Aragora app in a region's cluster: its namespace, the Secret with the connection strings
 * (DATABASE_URL, DATABASE_URL_PRIMARY, REDIS_URL: they carry passwords, so never Helm values), the
 * `charts/aragora` Helm release (`helm.v3.Release`: real Helm history, atomic upgrades), and a read
 * of the release's LoadBalancer Service for the region's public origin hostname.
 * Every Kubernetes child gets the cluster's provider explicitly.
 */
import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import {
  APP_NAMESPACE,
  CHART_PATH,
  CONNECTION_SECRET_NAME,
  ORIGIN_SERVICE_NAME,
  RELEASE_NAME,
  type AragoraHelmValues,
} from "./helmValues";

export interface AragoraAppArgs {
  /** The cluster's Kubernetes provider. */
  provider: k8s.Provider;
  /** From `aragoraHelmValues(spec, fleet)`. */
  values: AragoraHelmValues;
  /** Local database (the replica in replica regions), with password. */
  databaseUrl: pulumi.Input<string>;
  /** The write primary's database, with password. */
  databaseUrlPrimary: pulumi.Input<string>;
  /** Local Redis, with AUTH token. */
  redisUrl: pulumi.Input<string>;
  /** Helm timeout in seconds (the LoadBalancer takes a while). */
  timeoutSeconds?: number;
}

export class AragoraApp extends pulumi.ComponentResource {
  public readonly namespace: pulumi.Output<string>;
  public readonly releaseStatus: pulumi.Output<string>;
  /** Public hostname of the origin LoadBalancer Service. */
  public readonly originHostname: pulumi.Output<string>;

  constructor(name: string, args: AragoraAppArgs, opts?: pulumi.ComponentResourceOptions) {
    if (args.values.connectionSecret.name !== CONNECTION_SECRET_NAME) {
      throw new Error(`AragoraApp ${name}: values must read connection strings from ${CONNECTION_SECRET_NAME}`);
    }
    super("aragora:kubernetes:AragoraApp", name, {}, opts);
    const provider = args.provider;
    const ns = new k8s.core.v1.Namespace(`${name}-ns`, {
      metadata: { name: APP_NAMESPACE, labels: { "app.kubernetes.io/part-of": "aragora" } },
    }, { parent: this, provider });
    const secret = new k8s.core.v1.Secret(`${name}-connections`, {
      metadata: { name: CONNECTION_SECRET_NAME, namespace: ns.metadata.name },
      type: "Opaque",
      stringData: {
        DATABASE_URL: pulumi.secret(args.databaseUrl),
        DATABASE_URL_PRIMARY: pulumi.secret(args.databaseUrlPrimary),
        REDIS_URL: pulumi.secret(args.redisUrl),
      },
    }, { parent: this, provider });
    const release = new k8s.helm.v3.Release(`${name}-release`, {
      name: RELEASE_NAME,
      chart: CHART_PATH,
      namespace: ns.metadata.name,
      createNamespace: false,
      values: args.values,
      atomic: true,
      cleanupOnFail: true,
      timeout: args.timeoutSeconds ?? 900,
      maxHistory: 10,
    }, { parent: this, provider, dependsOn: [secret] });
    const origin = k8s.core.v1.Service.get(`${name}-origin`, pulumi.interpolate`${release.status.namespace}/${ORIGIN_SERVICE_NAME}`, {
      parent: this, provider, dependsOn: [release],
    });

    this.namespace = ns.metadata.name;
    this.releaseStatus = release.status.status;
    this.originHostname = origin.status.loadBalancer.ingress.apply((ingress) => {
      const first = ingress[0];
      return first?.hostname ?? first?.ip ?? "";
    });
    this.registerOutputs({ namespace: this.namespace, releaseStatus: this.releaseStatus, originHostname: this.originHostname });
  }
}
