import type { FleetState } from "../../../server/domain";
import type { FailoverAssessment } from "../../../server/drills/failoverCheck";
import type { FailoverProbe } from "../../../server/orchestrator/failoverAssessment";
import { primary, replica } from "../../support/fixtures";
import { startTestService, type FakeService } from "../../support/serviceDriver";

/** A split-brain check that answers `verdict` and records what it was asked. */
function probe(verdict: (to: string, force: boolean) => FailoverAssessment | undefined): FailoverProbe & { asked: { to: string; force: boolean; regions: string[] }[] } {
  const asked: { to: string; force: boolean; regions: string[] }[] = [];
  return {
    asked,
    assessFailover(state: FleetState, to: string, force: boolean) {
      asked.push({ to, force, regions: state.specs.map((s) => s.name) });
      return Promise.resolve(verdict(to, force));
    },
  };
}

const behind = (to: string, force: boolean): FailoverAssessment => ({
  target: to,
  problems: [{ code: "target_behind", region: to, message: `${to} is behind us-east-1 (0/3000060 < 0/3000148)` }],
  allowed: force,
  forced: force,
  writable: [],
  seen: ["us-east-1: unreachable", `${to}: standby at 0/3000060`],
});

describe("POST /failover with a split-brain check", () => {
  let h: FakeService;
  afterEach(async () => { await h.close(); });

  async function fleetWith(check: FailoverProbe): Promise<void> {
    h = await startTestService({ failoverProbe: check });
    for (const body of [primary, replica("eu-west-1")]) await h.waitFor((await h.req("POST", "/regions", { body })).body.operation.id);
  }

  test("when the check refuses, then 409 failover_refused with the problems and positions, and nothing is recorded", async () => {
    const check = probe(behind);
    await fleetWith(check);
    const before = (await h.req("GET", "/operations")).body.operations.length;
    const res = await h.req("POST", "/failover", { body: { to: "eu-west-1" } });
    expect(res.status).toBe(409);
    expect(res.body.error.message).toBe(
      'failover to eu-west-1 refused: eu-west-1 is behind us-east-1 (0/3000060 < 0/3000148). WAL positions seen: us-east-1: unreachable; eu-west-1: standby at 0/3000060. Pass "force": true to override',
    );
    expect(res.body.error.details).toEqual({ reason: "failover_refused", problems: behind("eu-west-1", false).problems, positions: behind("eu-west-1", false).seen });
    expect(check.asked).toEqual([{ to: "eu-west-1", force: false, regions: ["us-east-1", "eu-west-1"] }]);
    expect((await h.req("GET", "/operations")).body.operations.length).toBe(before);
    expect((await h.req("GET", "/regions/eu-west-1")).body).toMatchObject({ primary: false, status: "ready" });
  });

  test("when forced past the check, then it is asked with force, the failover is accepted and recorded as forced", async () => {
    const check = probe(behind);
    await fleetWith(check);
    const res = await h.req("POST", "/failover", { body: { to: "eu-west-1", force: true } });
    expect(res.status).toBe(202);
    expect(check.asked.map((a) => a.force)).toEqual([true]);
    const op = await h.waitFor(res.body.operation.id);
    expect(op.status).toBe("succeeded");
    expect(op.request).toEqual({ to: "eu-west-1", force: true });
    expect((await h.req("GET", "/regions/eu-west-1")).body.primary).toBe(true);
  });

  test("when the check has nothing to say about the target, then the failover goes ahead", async () => {
    const check = probe(() => undefined);
    await fleetWith(check);
    const res = await h.req("POST", "/failover", { body: { to: "eu-west-1" } });
    expect(res.status).toBe(202);
    expect((await h.waitFor(res.body.operation.id)).status).toBe("succeeded");
    expect(check.asked).toHaveLength(1);
  });

  test.each([
    ["us-east-1", 409, /already the primary/],
    ["nowhere-1", 404, /does not exist/],
  ])("when the target is %s, then the check is not asked and the answer is %d", async (to, status, message) => {
    const check = probe(behind);
    await fleetWith(check);
    const res = await h.req("POST", "/failover", { body: { to } });
    expect(res.status).toBe(status);
    expect(res.body.error.message).toMatch(message);
    expect(check.asked).toEqual([]);
  });
});
