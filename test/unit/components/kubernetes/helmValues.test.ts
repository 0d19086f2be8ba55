import { aragoraHelmValues, CONNECTION_SECRET_NAME } from "../../../../components/kubernetes/helmValues";
import { MULTI_REGION_ALERTS, multiRegionDashboard } from "../../../../components/kubernetes/alertRules";
import { configOf, fleetOf } from "../aws/mockWorld";

const names = ["us-east-1", "eu-west-1", "ap-south-1"];

describe("aragoraHelmValues", () => {
  test.each([
    ["us-east-1", "us-east-1", "true", "eu-west-1,ap-south-1"],
    ["eu-west-1", "us-east-1", "false", "us-east-1,ap-south-1"],
    ["ap-south-1", "us-east-1", "false", "us-east-1,eu-west-1"],
    ["eu-west-1", "eu-west-1", "true", "us-east-1,ap-south-1"],
    ["us-east-1", "eu-west-1", "false", "eu-west-1,ap-south-1"],
  ])("when %s runs in a fleet whose primary is %s, then ARAGORA_PRIMARY_REGION=%s and peers are %s", (region, primary, isPrimary, peers) => {
    const fleet = fleetOf(names, primary);
    const v = aragoraHelmValues(configOf(region, fleet).region, fleet);
    expect(v.region).toBe(region);
    expect(v.env).toEqual({
      ARAGORA_REGION: region, ARAGORA_PRIMARY_REGION: isPrimary, ARAGORA_PRIMARY_REGION_NAME: primary, ARAGORA_PEER_REGIONS: peers,
    });
    expect(v.connectionSecret).toEqual({ name: CONNECTION_SECRET_NAME });
    expect(JSON.stringify(v)).not.toMatch(/postgres|rediss?:|password/i);
  });

  test.each([
    [1, 0, 1, 3],
    [3, 1, 3, 9],
    [10, 5, 10, 30],
    [50, 25, 50, 100],
  ])("when the spec asks for %i replicas, then PDB minAvailable=%i and the HPA scales %i..%i", (replicas, minAvailable, min, max) => {
    const fleet = fleetOf(["us-east-1"], "us-east-1");
    const v = aragoraHelmValues(configOf("us-east-1", fleet, { app: { replicas } }).region, fleet);
    expect(v.replicaCount).toBe(replicas);
    expect(v.pdb.minAvailable).toBe(minAvailable);
    expect([v.autoscaling.minReplicas, v.autoscaling.maxReplicas]).toEqual([min, max]);
  });
});

describe("runbook monitoring data", () => {
  test("when the alert rules are read, then they are the runbook's two alerts with its thresholds", () => {
    expect(MULTI_REGION_ALERTS.map((a) => [a.alert, a.expr, a.for, a.labels.severity])).toEqual([
      ["CrossRegionReplicationLag", "pg_replication_lag_seconds > 60", "5m", "warning"],
      ["RegionDown", 'up{job="aragora"} == 0', "2m", "critical"],
    ]);
  });

  test("when the dashboard is built, then it has the four runbook panels", () => {
    const d = multiRegionDashboard() as { panels: { title: string }[] };
    expect(d.panels.map((p) => p.title)).toEqual([
      "Request latency by region (p95)", "Cross-region replication lag", "Regional traffic distribution", "Failover events timeline",
    ]);
  });
});
