/**
 * The chart as Helm renders it: `helm lint` and `helm template` with the values the region stacks
 * compute, asserted on the parsed manifests. Needs a real `helm` on PATH (`bash scripts/with-env.sh`
 * or `npm test` put the toolchain's helm there); without it these tests fail, they never skip.
 */
import { execFileSync, spawnSync } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { parseAllDocuments } from "yaml";
import { aragoraHelmValues, CHART_PATH, CONNECTION_SECRET_NAME, ORIGIN_SERVICE_NAME, RELEASE_NAME, APP_NAMESPACE } from "../../../components/kubernetes/helmValues";
import { configOf, EXAMPLE_REGIONS, fleetOf } from "../components/aws/mockWorld";

const HELM_MISSING = "helm is not on PATH: run the tests through `bash scripts/with-env.sh npx jest ...` or `npm test` (scripts/toolchain.sh builds helm v3.22.0)";

function helm(args: string[]): { status: number | null; stdout: string; stderr: string } {
  const r = spawnSync("helm", args, { encoding: "utf8", timeout: 60_000 });
  if (r.error && (r.error as NodeJS.ErrnoException).code === "ENOENT") throw new Error(HELM_MISSING);
  if (r.error) throw r.error;
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

let dir: string;
beforeAll(() => {
  const which = spawnSync("helm", ["version", "--short"], { encoding: "utf8" });
  if (which.error) throw new Error(HELM_MISSING);
  dir = mkdtempSync(join(tmpdir(), "aragora-chart-"));
});
afterAll(() => {
  rmSync(dir, { recursive: true, force: true });
});

const fleet = fleetOf(EXAMPLE_REGIONS.map((r) => r.name), "us-east-1");
function valuesFile(region: string): string {
  const file = join(dir, `${region}.json`);
  writeFileSync(file, JSON.stringify(aragoraHelmValues(configOf(region, fleet).region, fleet)));
  return file;
}

interface K8sObject { apiVersion: string; kind: string; metadata: { name: string; annotations?: Record<string, string> }; spec: any }
function render(region: string): K8sObject[] {
  const out = helm(["template", RELEASE_NAME, CHART_PATH, "--namespace", APP_NAMESPACE, "-f", valuesFile(region)]);
  expect(out.stderr).toBe("");
  expect(out.status).toBe(0);
  return parseAllDocuments(out.stdout).map((d) => d.toJS() as K8sObject).filter(Boolean);
}
const find = (objs: K8sObject[], kind: string, name: string): K8sObject => {
  const o = objs.find((x) => x.kind === kind && x.metadata.name === name);
  if (!o) throw new Error(`no ${kind}/${name} in ${objs.map((x) => `${x.kind}/${x.metadata.name}`).join(", ")}`);
  return o;
};
const secretEnv = ["DATABASE_URL", "DATABASE_URL_PRIMARY", "REDIS_URL"].map((name) => ({
  name, valueFrom: { secretKeyRef: { name: CONNECTION_SECRET_NAME, key: name } },
}));

describe("charts/aragora", () => {
  test("when helm lints the chart with its defaults and with every region's computed values, then it is clean", () => {
    const plain = helm(["lint", "--strict", CHART_PATH]);
    expect([plain.status, plain.stdout]).toEqual([0, expect.stringContaining("1 chart(s) linted, 0 chart(s) failed")]);
    for (const r of EXAMPLE_REGIONS) {
      const withValues = helm(["lint", "--strict", CHART_PATH, "-f", valuesFile(r.name)]);
      expect([r.name, withValues.status, withValues.stdout]).toEqual([r.name, 0, expect.not.stringContaining("[ERROR]")]);
      expect(withValues.stdout).not.toContain("[WARNING]");
    }
  });

  test("when rendered for the primary region, then the env contract says it is the primary and secrets come from the Secret", () => {
    const objs = render("us-east-1");
    const dep = find(objs, "Deployment", "aragora");
    const c = dep.spec.template.spec.containers[0];
    expect(c.env).toEqual([
      { name: "ARAGORA_PEER_REGIONS", value: "eu-west-1,ap-south-1" },
      { name: "ARAGORA_PRIMARY_REGION", value: "true" },
      { name: "ARAGORA_PRIMARY_REGION_NAME", value: "us-east-1" },
      { name: "ARAGORA_REGION", value: "us-east-1" },
      ...secretEnv,
    ]);
    expect(dep.spec.template.spec.nodeSelector).toEqual({ "topology.kubernetes.io/region": "us-east-1" });
  });

  test("when rendered for a replica region, then every object and the env contract match the region and the fleet", () => {
    const objs = render("ap-south-1");
    const kinds = objs.map((o) => `${o.kind}/${o.metadata.name}`).sort();
    expect(kinds).toEqual([
      "Deployment/aragora", "HorizontalPodAutoscaler/aragora", "PodDisruptionBudget/aragora",
      "Service/aragora", `Service/${ORIGIN_SERVICE_NAME}`,
    ]);
    const dep = find(objs, "Deployment", "aragora");
    const pod = dep.spec.template.spec;
    const c = pod.containers[0];
    // ARAGORA_PRINT_RENDER=1 prints the replica's objects and env block.
    if (process.env["ARAGORA_PRINT_RENDER"]) console.log(JSON.stringify({ kinds, env: c.env }, null, 2));
    expect(dep.spec.replicas).toBe(3);
    expect(pod.nodeSelector).toEqual({ "topology.kubernetes.io/region": "ap-south-1" });
    expect(c.image).toBe("aragora/server:1.0.0");
    expect(c.env).toEqual([
      { name: "ARAGORA_PEER_REGIONS", value: "us-east-1,eu-west-1" },
      { name: "ARAGORA_PRIMARY_REGION", value: "false" },
      { name: "ARAGORA_PRIMARY_REGION_NAME", value: "us-east-1" },
      { name: "ARAGORA_REGION", value: "ap-south-1" },
      ...secretEnv,
    ]);
    expect(c.readinessProbe.httpGet).toEqual({ path: "/health", port: "http" });
    expect(c.livenessProbe.httpGet).toEqual({ path: "/health", port: "http" });
    expect(c.resources).toEqual({ requests: { cpu: "250m", memory: "512Mi" }, limits: { cpu: "1", memory: "1Gi" } });

    const origin = find(objs, "Service", ORIGIN_SERVICE_NAME);
    expect(origin.spec.type).toBe("LoadBalancer");
    expect(origin.metadata.annotations).toMatchObject({
      "service.beta.kubernetes.io/aws-load-balancer-type": "nlb",
      "service.beta.kubernetes.io/aws-load-balancer-scheme": "internet-facing",
    });
    expect(origin.spec.selector).toEqual(dep.spec.selector.matchLabels);
    expect(find(objs, "Service", "aragora").spec.type).toBe("ClusterIP");
    expect(find(objs, "PodDisruptionBudget", "aragora").spec).toEqual({ minAvailable: 1, selector: { matchLabels: dep.spec.selector.matchLabels } });
    const hpa = find(objs, "HorizontalPodAutoscaler", "aragora").spec;
    expect(hpa).toMatchObject({ scaleTargetRef: { kind: "Deployment", name: "aragora" }, minReplicas: 3, maxReplicas: 9 });
  });

  test("when the rendered manifests are searched, then no connection string or password appears in them", () => {
    const text = execFileSync("helm", ["template", RELEASE_NAME, CHART_PATH, "-f", valuesFile("eu-west-1")], { encoding: "utf8" });
    expect(text).not.toMatch(/postgres(ql)?:\/\/|rediss?:\/\//);
    expect(text).not.toMatch(/kind: Secret/);
  });

  test("when values lack the connection Secret's name or use a bad primary flag, then the chart's schema rejects them", () => {
    const bad = join(dir, "bad.json");
    writeFileSync(bad, JSON.stringify({ connectionSecret: { name: "" }, env: { ARAGORA_PRIMARY_REGION: "yes" } }));
    const r = helm(["template", RELEASE_NAME, CHART_PATH, "-f", bad]);
    expect(r.status).not.toBe(0);
    expect(r.stderr).toMatch(/values don't meet the specifications of the schema/);
  });
});
