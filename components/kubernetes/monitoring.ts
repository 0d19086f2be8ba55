/**
 * The runbook's monitoring in a region's cluster: the `multi_region` alert rules as a
 * prometheus-operator `PrometheusRule` and the multi-region Grafana dashboard as a ConfigMap for the
 * Grafana sidecar (`grafana_dashboard: "1"`). Needs the prometheus-operator CRDs in the cluster
 * (kube-prometheus-stack).
 */
import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import { MULTI_REGION_ALERTS, MULTI_REGION_RULE_GROUP, multiRegionDashboard } from "./alertRules";

export interface RegionMonitoringArgs {
  provider: k8s.Provider;
  namespace: pulumi.Input<string>;
  region: string;
  /** Labels the Prometheus ruleSelector matches (kube-prometheus-stack: `release: <name>`). */
  ruleLabels?: Record<string, string>;
}

export class RegionMonitoring extends pulumi.ComponentResource {
  public readonly ruleName: pulumi.Output<string>;
  public readonly dashboardName: pulumi.Output<string>;

  constructor(name: string, args: RegionMonitoringArgs, opts?: pulumi.ComponentResourceOptions) {
    super("aragora:kubernetes:RegionMonitoring", name, {}, opts);
    const provider = args.provider;
    const rule = new k8s.apiextensions.CustomResource(`${name}-rules`, {
      apiVersion: "monitoring.coreos.com/v1",
      kind: "PrometheusRule",
      metadata: {
        name: "aragora-multi-region",
        namespace: args.namespace,
        labels: { "app.kubernetes.io/part-of": "aragora", region: args.region, ...args.ruleLabels },
      },
      spec: { groups: [{ name: MULTI_REGION_RULE_GROUP, rules: MULTI_REGION_ALERTS.map((r) => ({ ...r })) }] },
    }, { parent: this, provider });
    const dashboard = new k8s.core.v1.ConfigMap(`${name}-dashboard`, {
      metadata: {
        name: "aragora-multi-region-dashboard",
        namespace: args.namespace,
        labels: { grafana_dashboard: "1", "app.kubernetes.io/part-of": "aragora" },
      },
      data: { "aragora-multi-region.json": JSON.stringify(multiRegionDashboard()) },
    }, { parent: this, provider });
    this.ruleName = pulumi.output(rule.metadata).apply((m) => m.name);
    this.dashboardName = dashboard.metadata.name;
    this.registerOutputs({ ruleName: this.ruleName, dashboardName: this.dashboardName });
  }
}
