import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import type { FleetDomain } from "../../../server/domain";
import { createFleetDomain } from "../../../server/fleetDomain";
import { SqliteStore } from "../../../server/store/sqliteStore";
import { primary, replica } from "../../support/fixtures";
import { startTestService, type FakeService } from "../../support/serviceDriver";

/** The real domain, counting its plans. */
function countingDomain(): FleetDomain & { plans: string[] } {
  const real = createFleetDomain();
  const plans: string[] = [];
  return {
    ...real,
    plans,
    plan(state, change, lastApplied) {
      plans.push(change.kind);
      return real.plan(state, change, lastApplied);
    },
  };
}

describe("each operation is planned once", () => {
  let h: FakeService;
  let domain: ReturnType<typeof countingDomain>;
  beforeEach(async () => {
    domain = countingDomain();
    h = await startTestService({ domain });
  });
  afterEach(async () => { await h.close(); });

  test.each([
    ["POST", "/regions", primary],
    ["POST", "/regions?dryRun=true", primary],
    ["POST", "/fleet/apply", { regions: [primary, replica("eu-west-1")] }],
    ["POST", "/fleet/apply?dryRun=true", { regions: [primary, replica("eu-west-1")] }],
  ])("when %s %s is sent, then the change is planned once, and the operation runs that plan", async (method, url, body) => {
    const res = await h.req(method, url, { body });
    expect([200, 202]).toContain(res.status);
    expect(domain.plans).toHaveLength(1);
    if (res.status === 202) {
      const op = await h.waitFor(res.body.operation.id);
      expect(op.status).toBe("succeeded");
      expect(h.runner.calls.map((c) => `${c.action}:${c.stack}`).sort()).toEqual(op.steps.map((s: any) => s.id).sort());
      expect(domain.plans).toHaveLength(1);
    }
  });

  test("when a region is updated, removed, failed over to or previewed, or the fleet reconciled, then each request is planned once", async () => {
    for (const body of [primary, replica("eu-west-1"), replica("ap-south-1")]) await h.waitFor((await h.req("POST", "/regions", { body })).body.operation.id);
    domain.plans.length = 0;
    for (const [method, url, body] of [
      ["PUT", "/regions/eu-west-1", { ...replica("eu-west-1"), app: { replicas: 2 } }],
      ["DELETE", "/regions/ap-south-1", undefined],
      ["POST", "/failover", { to: "eu-west-1" }],
      ["POST", "/regions/eu-west-1/preview", undefined],
      ["POST", "/fleet/reconcile", undefined],
    ] as const) {
      const res = await h.req(method, url, body !== undefined ? { body } : {});
      expect([url, res.status]).toEqual([url, 202]);
      expect((await h.waitFor(res.body.operation.id)).status).toBe("succeeded");
    }
    expect(domain.plans).toEqual(["update", "remove", "failover", "preview", "reconcile"]);
  });

  test("when a failed operation is retried, then its stored steps run again and nothing is planned", async () => {
    h.runner.failures.set("up:global", "the GLB did not start");
    const op = await h.waitFor((await h.req("POST", "/regions", { body: primary })).body.operation.id);
    expect(op.status).toBe("failed");
    const retry = await h.req("POST", `/operations/${op.id}/retry`);
    expect(retry.status).toBe(202);
    expect((await h.waitFor(op.id)).status).toBe("succeeded");
    expect(domain.plans).toEqual(["add"]);
  });
});

describe("after a restart", () => {
  test("when an operation interrupted by a shutdown is retried by the next process, then it runs its stored plan without planning again", async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "aragora-plan-once-"));
    const file = path.join(dir, "aragora.db");
    try {
      let h = await startTestService({ store: new SqliteStore(file) });
      h.runner.gates.set("up:us-east-1", new Promise<void>(() => undefined));
      const id = (await h.req("POST", "/fleet/apply", { body: { regions: [primary, replica("eu-west-1")] } })).body.operation.id as string;
      for (let i = 0; i < 200 && h.runner.calls.length === 0; i++) await new Promise((r) => setTimeout(r, 5));
      const planned = (await h.req("GET", `/operations/${id}`)).body.steps.map((s: any) => [s.id, s.dependsOn]);
      await h.close();

      const domain = countingDomain();
      h = await startTestService({ store: new SqliteStore(file), domain });
      try {
        const interrupted = (await h.req("GET", `/operations/${id}`)).body;
        expect([interrupted.status, interrupted.steps.map((s: any) => s.status)]).toEqual(["interrupted", ["interrupted", "pending", "pending"]]);
        expect((await h.req("POST", `/operations/${id}/retry`)).status).toBe(202);
        const op = await h.waitFor(id);
        expect(op.status).toBe("succeeded");
        expect(op.steps.map((s: any) => [s.id, s.dependsOn])).toEqual(planned);
        expect(h.runner.calls.map((c) => c.stack)).toEqual(["us-east-1", "eu-west-1", "global"]);
        expect(domain.plans).toEqual([]);
      } finally {
        await h.close();
      }
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});
