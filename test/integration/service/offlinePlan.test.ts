/**
 * `POST /regions?dryRun=true&resources=true`: the resources each planned stack step would register,
 * found under Pulumi mocks in child processes (the service's own offline planner). No engine (the
 * service runs with the fake one; a dry run never reaches it) and no credentials, for local and aws.
 * Nothing is recorded. Ports in the spec: 46000-46999 (never opened).
 */
import { createChildProcessPlanner } from "../../../server/plan/offlinePlanner";
import { startTestService, type FakeService } from "../../support/serviceDriver";
import { projectRoot } from "../../support/serviceProcess";

jest.setTimeout(600_000);

const PORT_BASE = 46000;
let t: FakeService;
const api: FakeService["req"] = (...args) => t.req(...args);

beforeAll(async () => {
  t = await startTestService({
    env: { ARAGORA_LOCAL_PORT_RANGE: `${String(PORT_BASE)}-${String(PORT_BASE + 999)}` },
    offlinePlanner: createChildProcessPlanner({ cwd: projectRoot() }),
  });
});

afterAll(async () => {
  await t.close();
});

const typesOf = (step: any): string[] => step.resources.map((r: any) => r.type);

test("when a local primary is dry-run with resources, then each step lists what its program registers and nothing is recorded", async () => {
  const res = await api("POST", "/regions?dryRun=true&resources=true", { token: "operator", body: { name: "us-east-1", primary: true, provider: "local", app: { replicas: 2 } } });
  expect(res.status).toBe(200);
  expect(res.body.spec).toMatchObject({ name: "us-east-1", provider: "local", primary: true, local: { portBase: PORT_BASE } });
  const [region, global] = res.body.steps;
  expect([region.id, global.id]).toEqual(["up:us-east-1", "up:global"]);
  expect(region.resourcesError).toBeUndefined();
  expect(typesOf(region)).toContain("aragora:local:Region");
  expect(region.resources.filter((r: any) => /AppProcess/.test(r.type) || /app-\d/.test(r.name)).length).toBeGreaterThanOrEqual(2);
  expect(region.resources.every((r: any) => typeof r.name === "string" && typeof r.custom === "boolean")).toBe(true);
  expect(global.resourcesError).toBeUndefined();
  expect(global.resources.length).toBeGreaterThan(0);
  expect((await api("GET", "/regions", { token: "viewer" })).body.regions).toEqual([]);
  expect((await api("GET", "/operations", { token: "viewer" })).body.operations).toEqual([]);
  expect(t.runner.calls).toEqual([]);
});

test("when an aws primary is dry-run with resources, then the AWS, Kubernetes and Cloudflare resources are listed without credentials", async () => {
  const res = await api("POST", "/regions?dryRun=true&resources=true", { token: "operator", body: { name: "us-east-1", primary: true, provider: "aws" } });
  expect(res.status).toBe(200);
  const region = res.body.steps.find((s: any) => s.id === "up:us-east-1");
  expect(region.resourcesError).toBeUndefined();
  const types = typesOf(region);
  for (const t of ["aws:ec2/vpc:Vpc", "aws:rds/instance:Instance", "aws:eks/cluster:Cluster", "kubernetes:helm.sh/v3:Release"]) expect(types).toContain(t);
  const global = res.body.steps.find((s: any) => s.id === "up:global");
  expect(Number(global.resources.length) + (global.resourcesError ? 1 : 0)).toBeGreaterThan(0);
});
