/**
 * Values of the `charts/aragora` release in one region: a pure function of the region spec and
 * the fleet, so a failover (a new `fleet.primary`) changes exactly the env contract.
 * Connection strings are not values: the chart reads them from the Secret named here.
 */
import { appEnv, type AppEnv } from "../../domain/fleet/topology";
import type { RegionSpecParsed } from "../../domain/spec/regionSpec";
import type { FleetView } from "../../domain/spec/stackConfig";

/** Chart directory, relative to the Pulumi project directory (an absolute path would diff between machines). */
export const CHART_PATH = "charts/aragora";
export const RELEASE_NAME = "aragora";
export const APP_NAMESPACE = "aragora";
export const CONNECTION_SECRET_NAME = "aragora-connections";
/** Name of the LoadBalancer Service the chart renders for release `aragora`. */
export const ORIGIN_SERVICE_NAME = "aragora-origin";
/** HPA ceiling relative to the spec's replicas. */
export const HPA_MAX_FACTOR = 3;
export const HPA_MAX_REPLICAS = 100;

export interface AragoraHelmValues {
  region: string;
  image: string;
  replicaCount: number;
  healthPath: string;
  env: AppEnv;
  connectionSecret: { name: string };
  origin: { enabled: boolean; port: number; annotations: Record<string, string> };
  pdb: { minAvailable: number };
  autoscaling: { enabled: boolean; minReplicas: number; maxReplicas: number; targetCPUUtilizationPercentage: number };
}

export function aragoraHelmValues(spec: Pick<RegionSpecParsed, "name" | "app">, fleet: FleetView): AragoraHelmValues {
  const replicas = spec.app.replicas;
  return {
    region: spec.name,
    image: spec.app.image,
    replicaCount: replicas,
    healthPath: fleet.settings.healthPath,
    env: appEnv(spec.name, fleet),
    connectionSecret: { name: CONNECTION_SECRET_NAME },
    origin: {
      enabled: true,
      port: 80,
      annotations: {
        "service.beta.kubernetes.io/aws-load-balancer-type": "nlb",
        "service.beta.kubernetes.io/aws-load-balancer-scheme": "internet-facing",
        "service.beta.kubernetes.io/aws-load-balancer-healthcheck-path": fleet.settings.healthPath,
      },
    },
    // Keep at least one pod through voluntary disruptions; with one replica, allow the drain.
    pdb: { minAvailable: replicas > 1 ? Math.max(1, Math.floor(replicas / 2)) : 0 },
    autoscaling: {
      enabled: true,
      minReplicas: replicas,
      maxReplicas: Math.min(HPA_MAX_REPLICAS, replicas * HPA_MAX_FACTOR),
      targetCPUUtilizationPercentage: 70,
    },
  };
}
