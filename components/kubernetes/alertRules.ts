/**
 * The runbook's Prometheus rules and Grafana dashboard, as pure data.
 */
export interface AlertRule {
  alert: string;
  expr: string;
  for: string;
  labels: { severity: "warning" | "critical" };
  annotations: { summary: string };
}

export const MULTI_REGION_RULE_GROUP = "multi_region";

/** Runbook "Monitoring › Multi-Region Metrics", verbatim. */
export const MULTI_REGION_ALERTS: readonly AlertRule[] = [
  {
    alert: "CrossRegionReplicationLag",
    expr: "pg_replication_lag_seconds > 60",
    for: "5m",
    labels: { severity: "warning" },
    annotations: { summary: "Cross-region replication lag > 60s" },
  },
  {
    alert: "RegionDown",
    expr: 'up{job="aragora"} == 0',
    for: "2m",
    labels: { severity: "critical" },
    annotations: { summary: "Region {{ $labels.region }} is down" },
  },
];

export interface DashboardPanel {
  title: string;
  type: "timeseries" | "state-timeline";
  expr: string;
}

/** Runbook "Grafana Dashboard": the four key panels. */
export const DASHBOARD_PANELS: readonly DashboardPanel[] = [
  {
    title: "Request latency by region (p95)",
    type: "timeseries",
    expr: 'histogram_quantile(0.95, sum by (region, le) (rate(http_request_duration_seconds_bucket{job="aragora"}[5m])))',
  },
  { title: "Cross-region replication lag", type: "timeseries", expr: "max by (region) (pg_replication_lag_seconds)" },
  { title: "Regional traffic distribution", type: "timeseries", expr: 'sum by (region) (rate(http_requests_total{job="aragora"}[5m]))' },
  {
    title: "Failover events timeline",
    type: "state-timeline",
    expr: 'changes(aragora_primary_region_info{job="aragora"}[5m]) > 0 or ALERTS{alertname="RegionDown"}',
  },
];

/** Grafana dashboard JSON model (schema 39) for the panels above. */
export function multiRegionDashboard(): Record<string, unknown> {
  return {
    uid: "aragora-multi-region",
    title: "Aragora multi-region",
    schemaVersion: 39,
    time: { from: "now-6h", to: "now" },
    panels: DASHBOARD_PANELS.map((p, i) => ({
      id: i + 1,
      title: p.title,
      type: p.type,
      gridPos: { x: (i % 2) * 12, y: Math.floor(i / 2) * 8, w: 12, h: 8 },
      targets: [{ refId: "A", expr: p.expr, legendFormat: "{{region}}" }],
    })),
  };
}
