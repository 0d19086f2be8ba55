/**
 * The program of the `global` stack on the `local` target: an HAProxy global load balancer
 * (components/local/localGlb.ts) in `<fleet.localRoot>/global` on `fleet.settings.local.glbPort`.
 * Each region's backend lists the app ports from that region's stack (`appPorts`, through
 * `organization/aragora/<region>`); geo codes map to regions through the same table as Cloudflare
 * (topology.glbRegionPools), and the fallback is topology.fallbackRegion (the write primary).
 *
 * ## Outputs contract (keys are stable API; nothing secret)
 * - `glbUrl` (http://127.0.0.1:<glbPort>), `glbPort`, `geoHeader`, `healthPath`
 * - `regionPools` (geo code → region), `fallbackRegion`, `backends` (region → app ports)
 * - `dataDir` (`<localRoot>/global`), `haproxyConfigFile`, `haproxyPidFile`
 */
import * as pulumi from "@pulumi/pulumi";
import type { PulumiFn } from "@pulumi/pulumi/automation";
import type { GlobalStackConfig } from "../../domain/spec/stackConfig";
import { GEO_CODES } from "../../domain/spec/regionSpec";
import { fallbackRegion, glbRegionPools } from "../../domain/fleet/topology";
import { LocalGlobalLoadBalancer } from "../../components/local/localGlb";
import { LOCAL_REGION_OUTPUT_KEYS, requireLocalRoot } from "./localRegion";

export const LOCAL_GLOBAL_OUTPUT_KEYS = {
  glbUrl: "glbUrl",
  glbPort: "glbPort",
  geoHeader: "geoHeader",
  healthPath: "healthPath",
  regionPools: "regionPools",
  fallbackRegion: "fallbackRegion",
  backends: "backends",
  dataDir: "dataDir",
  haproxyConfigFile: "haproxyConfigFile",
  haproxyPidFile: "haproxyPidFile",
} as const;

export function localGlobalProgram(config: GlobalStackConfig): PulumiFn {
  return () => {
    const { fleet } = config;
    const localRoot = requireLocalRoot(fleet.localRoot);
    const pools = glbRegionPools(fleet);
    const fallback = fallbackRegion(fleet);
    const regions = fleet.regions
      .filter((r) => r.provider === "local")
      .map((r) => {
        const ref = new pulumi.StackReference(`organization/aragora/${r.name}`);
        return {
          name: r.name,
          appPorts: ref.requireOutput(LOCAL_REGION_OUTPUT_KEYS.appPorts) as pulumi.Output<number[]>,
          geo: GEO_CODES.filter((code) => pools[code] === r.name),
        };
      });
    const { glbPort, geoHeader } = fleet.settings.local;
    const glb = new LocalGlobalLoadBalancer("global", {
      localRoot,
      port: glbPort,
      geoHeader,
      healthPath: fleet.settings.healthPath,
      regions,
      fallbackRegion: fallback,
    });
    const K = LOCAL_GLOBAL_OUTPUT_KEYS;
    return Promise.resolve({
      [K.glbUrl]: `http://127.0.0.1:${glbPort}`,
      [K.glbPort]: glbPort,
      [K.geoHeader]: geoHeader,
      [K.healthPath]: fleet.settings.healthPath,
      [K.regionPools]: pools,
      [K.fallbackRegion]: fallback,
      [K.backends]: pulumi.all(Object.fromEntries(regions.map((r) => [r.name, r.appPorts]))),
      [K.dataDir]: glb.dataDir,
      [K.haproxyConfigFile]: glb.haproxy.configFile,
      [K.haproxyPidFile]: glb.haproxy.pidFile,
    });
  };
}
