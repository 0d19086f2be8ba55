import { MockWorld, valueOf, configOf, fleetOf, type Registration } from "../aws/mockWorld";

const world = new MockWorld();
world.install();
// Programs under mocks register ~100 resources; leave room when the suite runs in parallel.
jest.setTimeout(30_000);

describe("AragoraApp and RegionMonitoring on an EKS provider", () => {
  let regs: Registration[] = [];
  let originHostname = "";
  let providerRef = "";

  beforeAll(async () => {
    const k8s = await import("@pulumi/kubernetes");
    const { AragoraApp } = await import("../../../../components/kubernetes/aragoraApp");
    const { RegionMonitoring } = await import("../../../../components/kubernetes/monitoring");
    const { aragoraHelmValues } = await import("../../../../components/kubernetes/helmValues");
    world.current = "app";
    const provider = new k8s.Provider("eks-k8s", { kubeconfig: "{}" });
    const fleet = fleetOf(["us-east-1", "eu-west-1"], "us-east-1");
    const app = new AragoraApp("eu-west-1-app", {
      provider,
      values: aragoraHelmValues(configOf("eu-west-1", fleet).region, fleet),
      databaseUrl: "postgresql://u:local-pw@replica:5432/aragora",
      databaseUrlPrimary: "postgresql://u:local-pw@primary:5432/aragora",
      redisUrl: "rediss://:tok@redis:6379",
    });
    const mon = new RegionMonitoring("eu-west-1-monitoring", { provider, namespace: app.namespace, region: "eu-west-1" });
    originHostname = await valueOf(app.originHostname);
    await valueOf(mon.ruleName);
    providerRef = `${await valueOf(provider.urn)}::${await valueOf(provider.id)}`;
    await world.settle();
    regs = world.of("app");
  }, 30_000);

  const one = (type: string): Registration => {
    const found = regs.filter((r) => r.type === type);
    expect(found).toHaveLength(1);
    return found[0]!;
  };

  test("when the app is installed, then every Kubernetes child uses the cluster's one provider", () => {
    const k8sChildren = regs.filter((r) => r.custom && r.type.startsWith("kubernetes:"));
    expect(k8sChildren.map((r) => r.type).sort()).toEqual([
      "kubernetes:core/v1:ConfigMap", "kubernetes:core/v1:Namespace", "kubernetes:core/v1:Secret", "kubernetes:core/v1:Service",
      "kubernetes:helm.sh/v3:Release", "kubernetes:monitoring.coreos.com/v1:PrometheusRule",
    ]);
    for (const r of k8sChildren) expect([r.type, r.provider]).toEqual([r.type, providerRef]);
  });

  test("when the app is installed, then the Release uses the relative chart path and the region's computed values", () => {
    const rel = one("kubernetes:helm.sh/v3:Release");
    expect(rel.inputs).toMatchObject({ name: "aragora", chart: "charts/aragora", namespace: "aragora", atomic: true, createNamespace: false });
    expect(rel.inputs.values).toMatchObject({
      region: "eu-west-1", replicaCount: 3, image: "aragora/server:1.0.0", healthPath: "/health",
      env: { ARAGORA_REGION: "eu-west-1", ARAGORA_PRIMARY_REGION: "false", ARAGORA_PRIMARY_REGION_NAME: "us-east-1", ARAGORA_PEER_REGIONS: "us-east-1" },
      connectionSecret: { name: "aragora-connections" },
    });
    expect(JSON.stringify(rel.inputs)).not.toContain("local-pw");
  });

  test("when the app is installed, then connection strings live only in a secret Kubernetes Secret", () => {
    const secret = one("kubernetes:core/v1:Secret");
    expect(secret.inputs.metadata).toMatchObject({ name: "aragora-connections", namespace: "aragora" });
    expect(secret.inputs.stringData).toEqual({
      DATABASE_URL: "postgresql://u:local-pw@replica:5432/aragora",
      DATABASE_URL_PRIMARY: "postgresql://u:local-pw@primary:5432/aragora",
      REDIS_URL: "rediss://:tok@redis:6379",
    });
    expect(secret.secretInputs).toContain("stringData");
  });

  test("when the release is up, then the origin hostname is read from its LoadBalancer Service", () => {
    const svc = one("kubernetes:core/v1:Service");
    expect(svc.id).toBe("aragora/aragora-origin");
    expect(originHostname).toBe("a1b2-app.elb.app.amazonaws.com");
  });

  test("when monitoring is installed, then the PrometheusRule carries the runbook's two alerts and the dashboard is a ConfigMap", () => {
    const rule = one("kubernetes:monitoring.coreos.com/v1:PrometheusRule");
    expect(rule.inputs.apiVersion).toBe("monitoring.coreos.com/v1");
    expect(rule.inputs.metadata).toMatchObject({ name: "aragora-multi-region", namespace: "aragora" });
    expect(rule.inputs.spec.groups).toEqual([{
      name: "multi_region",
      rules: [
        { alert: "CrossRegionReplicationLag", expr: "pg_replication_lag_seconds > 60", for: "5m", labels: { severity: "warning" }, annotations: { summary: "Cross-region replication lag > 60s" } },
        { alert: "RegionDown", expr: 'up{job="aragora"} == 0', for: "2m", labels: { severity: "critical" }, annotations: { summary: "Region {{ $labels.region }} is down" } },
      ],
    }]);
    const cm = one("kubernetes:core/v1:ConfigMap");
    expect(cm.inputs.metadata.labels).toMatchObject({ grafana_dashboard: "1" });
    const dash = JSON.parse(cm.inputs.data["aragora-multi-region.json"]);
    expect(dash.panels).toHaveLength(4);
  });
});
