import { fleetSettings, type RegionSpec } from "../../../../domain/spec";
import { PlanError, fingerprint, planOperation, stackInputs, type FleetState, type Plan } from "../../../../domain/fleet";
import { fleetOf } from "../spec/fixtures";

const settings = fleetSettings.parse({});
const threeSpecs = (): RegionSpec[] => fleetOf("local", { name: "us-east-1" }, { name: "eu-west-1" }, { name: "ap-south-1" });
const stateOf = (specs: RegionSpec[]): FleetState => ({ specs, settings });
/** lastApplied as if every stack of `state` had just been applied. */
function applied(state: FleetState): Record<string, string> {
  const out: Record<string, string> = {};
  for (const stack of [...state.specs.map((s) => s.name), "global"]) out[stack] = fingerprint(stackInputs(stack, state));
  return out;
}
const shape = (plan: Plan) => plan.steps.map((s) => [s.id, s.dependsOn]);

describe("planOperation: add", () => {
  it("when a replica joins an applied fleet, then the primary goes first, replicas in parallel, global last", () => {
    const [a, b, c] = threeSpecs();
    const before = stateOf([a!, b!]);
    const plan = planOperation(before, { kind: "add", spec: c! }, applied(before));
    expect(shape(plan)).toEqual([
      ["up:us-east-1", []],
      ["up:eu-west-1", ["up:us-east-1"]],
      ["up:ap-south-1", ["up:us-east-1"]],
      ["up:global", ["up:us-east-1", "up:eu-west-1", "up:ap-south-1"]],
    ]);
    expect(plan.steps.map((s) => s.why)).toEqual([
      "add region ap-south-1: inputs changed since its last successful up (primary region, first)",
      "add region ap-south-1: inputs changed since its last successful up",
      "add region ap-south-1: stack not applied yet",
      "add region ap-south-1: inputs changed since its last successful up (global load balancer, last)",
    ]);
    expect(plan.after.specs.map((s) => s.name)).toEqual(["us-east-1", "eu-west-1", "ap-south-1"]);
    expect(plan.steps[2]!.fingerprint).toBe(fingerprint(stackInputs("ap-south-1", plan.after)));
    expect(plan.skipped).toEqual([]);
  });

  it("when the first region is added, then it is up'd before global", () => {
    const [a] = threeSpecs();
    const plan = planOperation(stateOf([]), { kind: "add", spec: a! }, {});
    expect(shape(plan)).toEqual([["up:us-east-1", []], ["up:global", ["up:us-east-1"]]]);
  });

  it("when the region already exists, then it is a conflict", () => {
    const specs = threeSpecs();
    expect(() => planOperation(stateOf(specs), { kind: "add", spec: specs[1]! }, {})).toThrow(new PlanError("conflict", 'region "eu-west-1" already exists'));
  });

  it("when the new region is a second primary, then it is a conflict naming the broken invariant", () => {
    const [a, b, c] = threeSpecs();
    expect(() => planOperation(stateOf([a!, b!]), { kind: "add", spec: { ...c!, primary: true } }, {})).toThrow(
      "the change would leave an unsound fleet: expected exactly one primary, found 2",
    );
  });
});

describe("planOperation: update", () => {
  it("when only a replica's image changes, then only that region is up'd and nothing waits on the skipped primary", () => {
    const state = stateOf(threeSpecs());
    const eu = state.specs[1]!;
    const plan = planOperation(state, { kind: "update", spec: { ...eu, app: { ...eu.app, image: "aragora/server:1.1.0" } } }, applied(state));
    expect(shape(plan)).toEqual([["up:eu-west-1", []]]);
    expect(plan.skipped.map((s) => s.stack)).toEqual(["us-east-1", "ap-south-1", "global"]);
    expect(plan.skipped[0]!.why).toBe("update region eu-west-1: inputs unchanged since its last successful up");
  });

  it("when the primary's image changes, then only the primary is up'd", () => {
    const state = stateOf(threeSpecs());
    const us = state.specs[0]!;
    const plan = planOperation(state, { kind: "update", spec: { ...us, app: { ...us.app, image: "aragora/server:1.1.0" } } }, applied(state));
    expect(shape(plan)).toEqual([["up:us-east-1", []]]);
  });

  it("when a replica's geo codes change, then that region and global are up'd", () => {
    const state = stateOf(threeSpecs());
    const eu = state.specs[1]!;
    const plan = planOperation(state, { kind: "update", spec: { ...eu, glb: { geo: ["WEU"] } } }, applied(state));
    // geo is part of the fleet view every region carries, so every region's inputs change.
    expect(shape(plan)).toEqual([
      ["up:us-east-1", []],
      ["up:eu-west-1", ["up:us-east-1"]],
      ["up:ap-south-1", ["up:us-east-1"]],
      ["up:global", ["up:us-east-1", "up:eu-west-1", "up:ap-south-1"]],
    ]);
  });

  it("when the region does not exist, then it is not-found", () => {
    const [a, b, c] = threeSpecs();
    expect(() => planOperation(stateOf([a!, b!]), { kind: "update", spec: c! }, {})).toThrow(new PlanError("not-found", 'region "ap-south-1" does not exist'));
  });

  it("when the update flips the primary flag, then it is a conflict", () => {
    const state = stateOf(threeSpecs());
    expect(() => planOperation(state, { kind: "update", spec: { ...state.specs[1]!, primary: true } }, {})).toThrow(
      new PlanError("conflict", "the primary changes only through failover"),
    );
  });
});

describe("planOperation: apply", () => {
  it("when a whole fleet is applied to nothing, then each stack is up'd once: primary, replicas in parallel, global", () => {
    const specs = threeSpecs();
    const plan = planOperation(stateOf([]), { kind: "apply", specs }, {});
    expect(shape(plan)).toEqual([
      ["up:us-east-1", []],
      ["up:eu-west-1", ["up:us-east-1"]],
      ["up:ap-south-1", ["up:us-east-1"]],
      ["up:global", ["up:us-east-1", "up:eu-west-1", "up:ap-south-1"]],
    ]);
    expect(plan.steps[0]!.why).toBe("apply us-east-1, eu-west-1, ap-south-1: stack not applied yet (primary region, first)");
    expect(plan.after.specs).toEqual(specs);
    for (const step of plan.steps) expect(step.fingerprint).toBe(fingerprint(stackInputs(step.stack, plan.after)));
  });

  it("when the same fleet is applied again after it went through, then there is nothing to do", () => {
    const state = stateOf(threeSpecs());
    const plan = planOperation(state, { kind: "apply", specs: threeSpecs() }, applied(state));
    expect(plan.steps).toEqual([]);
    expect(plan.skipped.map((s) => s.stack)).toEqual(["us-east-1", "eu-west-1", "ap-south-1", "global"]);
  });

  it("when one listed region changes and one is new, then the existing one is replaced in place and the new one appended", () => {
    const [a, b, c] = threeSpecs();
    const before = stateOf([a!, b!]);
    const changed = { ...b!, app: { ...b!.app, image: "aragora:2" } };
    const plan = planOperation(before, { kind: "apply", specs: [c!, changed] }, applied(before));
    expect(plan.after.specs.map((s) => s.name)).toEqual(["us-east-1", "eu-west-1", "ap-south-1"]);
    expect(plan.after.specs[1]!.app.image).toBe("aragora:2");
    expect(plan.steps.map((s) => s.id)).toEqual(["up:us-east-1", "up:eu-west-1", "up:ap-south-1", "up:global"]);
  });

  it("when a region is listed twice, then it is a conflict naming it", () => {
    const [a, b] = threeSpecs();
    expect(() => planOperation(stateOf([]), { kind: "apply", specs: [a!, b!, b!] }, {})).toThrow(new PlanError("conflict", 'region "eu-west-1" is listed twice'));
  });

  it("when an existing region's primary flag flips, then it is a conflict: failover only", () => {
    const [a, b] = threeSpecs();
    expect(() => planOperation(stateOf([a!, b!]), { kind: "apply", specs: [{ ...a!, primary: false }, { ...b!, primary: true }] }, {})).toThrow(
      new PlanError("conflict", 'region "us-east-1": the primary changes only through failover'),
    );
  });

  it("when the list would leave no primary, then it is a conflict naming the broken invariant", () => {
    const [, b, c] = threeSpecs();
    expect(() => planOperation(stateOf([]), { kind: "apply", specs: [b!, c!] }, {})).toThrow("the change would leave an unsound fleet: expected exactly one primary, found 0");
  });
});

describe("planOperation: reconcile", () => {
  it("when nothing changed since the last apply, then there are no steps and every stack is skipped", () => {
    const state = stateOf(threeSpecs());
    const plan = planOperation(state, { kind: "reconcile" }, applied(state));
    expect(plan.steps).toEqual([]);
    expect(plan.skipped.map((s) => s.stack)).toEqual(["us-east-1", "eu-west-1", "ap-south-1", "global"]);
  });

  it("when nothing was ever applied, then every stack is up'd in order", () => {
    const plan = planOperation(stateOf(threeSpecs()), { kind: "reconcile" }, {});
    expect(shape(plan)).toEqual([
      ["up:us-east-1", []],
      ["up:eu-west-1", ["up:us-east-1"]],
      ["up:ap-south-1", ["up:us-east-1"]],
      ["up:global", ["up:us-east-1", "up:eu-west-1", "up:ap-south-1"]],
    ]);
    expect(plan.steps[0]!.why).toBe("reconcile: stack not applied yet (primary region, first)");
  });

  it("when one replica's last apply differs, then only it is up'd", () => {
    const state = stateOf(threeSpecs());
    const plan = planOperation(state, { kind: "reconcile" }, { ...applied(state), "ap-south-1": "stale" });
    expect(shape(plan)).toEqual([["up:ap-south-1", []]]);
  });

  it("when only global is stale, then global runs alone", () => {
    const state = stateOf(threeSpecs());
    const plan = planOperation(state, { kind: "reconcile" }, { ...applied(state), global: "stale" });
    expect(shape(plan)).toEqual([["up:global", []]]);
  });
});

describe("planOperation: remove", () => {
  it("when a replica is removed, then global drains first, the region is destroyed, then the rest are updated", () => {
    const state = stateOf(threeSpecs());
    const plan = planOperation(state, { kind: "remove", name: "eu-west-1" }, applied(state));
    expect(plan.steps.map((s) => [s.id, s.action, s.dependsOn])).toEqual([
      ["up:global", "up", []],
      ["destroy:eu-west-1", "destroy", ["up:global"]],
      ["up:us-east-1", "up", ["destroy:eu-west-1"]],
      ["up:ap-south-1", "up", ["up:us-east-1"]],
    ]);
    expect(plan.steps[0]!.why).toBe("remove region eu-west-1: drain it from the global load balancer first");
    expect(plan.steps[1]!.fingerprint).toBeUndefined();
    expect(plan.after.specs.map((s) => s.name)).toEqual(["us-east-1", "ap-south-1"]);
  });

  it("when the primary is removed, then it is a conflict: fail over first", () => {
    expect(() => planOperation(stateOf(threeSpecs()), { kind: "remove", name: "us-east-1" }, {})).toThrow(
      new PlanError("conflict", 'region "us-east-1" is the primary: fail over to another region first'),
    );
  });

  it("when the region does not exist, then it is not-found", () => {
    expect(() => planOperation(stateOf(threeSpecs()), { kind: "remove", name: "sa-east-1" }, {})).toThrow(new PlanError("not-found", 'region "sa-east-1" does not exist'));
  });
});

describe("planOperation: failover", () => {
  it("when failing over to eu-west-1, then it is promoted, the others re-pointed in parallel, global last", () => {
    const state = stateOf(threeSpecs());
    const plan = planOperation(state, { kind: "failover", to: "eu-west-1" }, applied(state));
    expect(plan.steps.map((s) => [s.id, s.stack, s.action, s.dependsOn])).toEqual([
      ["promote:eu-west-1", "eu-west-1", "promote", []],
      ["up:us-east-1", "us-east-1", "up", ["promote:eu-west-1"]],
      ["up:ap-south-1", "ap-south-1", "up", ["promote:eu-west-1"]],
      ["up:global", "global", "up", ["up:us-east-1", "up:ap-south-1"]],
    ]);
    expect(plan.after.specs.map((s) => [s.name, s.primary])).toEqual([["us-east-1", false], ["eu-west-1", true], ["ap-south-1", false]]);
    expect(plan.steps[0]!.fingerprint).toBe(fingerprint(stackInputs("eu-west-1", plan.after)));
    expect(plan.steps[3]!.why).toBe("failover to eu-west-1: move the load balancer's fallback pool to eu-west-1");
  });

  it("when the target is already the primary, then it is a conflict", () => {
    expect(() => planOperation(stateOf(threeSpecs()), { kind: "failover", to: "us-east-1" }, {})).toThrow(
      new PlanError("conflict", 'region "us-east-1" is already the primary (run a reconcile to re-point the others)'),
    );
  });

  it("when the target is unknown, then it is not-found", () => {
    expect(() => planOperation(stateOf(threeSpecs()), { kind: "failover", to: "sa-east-1" }, {})).toThrow(new PlanError("not-found", 'region "sa-east-1" does not exist'));
  });

  it("when the target has too few replication slots to be primary, then it is a conflict", () => {
    const specs = fleetOf("local", { name: "us-east-1" }, { name: "eu-west-1", postgres: { maxReplicationSlots: 1 } }, { name: "ap-south-1" });
    expect(() => planOperation(stateOf(specs), { kind: "failover", to: "eu-west-1" }, {})).toThrow(
      new PlanError("conflict", 'region "eu-west-1" has postgres.maxReplicationSlots 1 but as primary needs 2 (one per replica region); update it first'),
    );
  });
});

describe("planOperation: preview, refresh, validate", () => {
  it("when previewing a region, then there is one preview step", () => {
    const plan = planOperation(stateOf(threeSpecs()), { kind: "preview", name: "eu-west-1" }, {});
    expect(plan.steps).toEqual([{ id: "preview:eu-west-1", stack: "eu-west-1", action: "preview", why: "preview of eu-west-1: what an up would change", dependsOn: [] }]);
  });

  it("when previewing global, then there is one preview step for it", () => {
    expect(shape(planOperation(stateOf(threeSpecs()), { kind: "preview", name: "global" }, {}))).toEqual([["preview:global", []]]);
  });

  it("when previewing an unknown region, then it is not-found", () => {
    expect(() => planOperation(stateOf(threeSpecs()), { kind: "preview", name: "sa-east-1" }, {})).toThrow(PlanError);
  });

  it("when refreshing, then every stack is refreshed in parallel", () => {
    const plan = planOperation(stateOf(threeSpecs()), { kind: "refresh" }, {});
    expect(plan.steps.map((s) => [s.id, s.action, s.dependsOn])).toEqual([
      ["refresh:us-east-1", "refresh", []],
      ["refresh:eu-west-1", "refresh", []],
      ["refresh:ap-south-1", "refresh", []],
      ["refresh:global", "refresh", []],
    ]);
  });

  it("when validating, then there is one fleet-wide step", () => {
    const state = stateOf(threeSpecs());
    const plan = planOperation(state, { kind: "validate" }, {});
    expect(plan.steps).toEqual([{ id: "validate:fleet", stack: "fleet", action: "validate", why: "cross-region consistency checks (replication, row counts, checksums)", dependsOn: [] }]);
    expect(plan.after).toBe(state);
  });
});

describe("fingerprint and stackInputs", () => {
  it("when keys are reordered or undefined members added, then the fingerprint is the same", () => {
    expect(fingerprint({ a: 1, b: { c: [1, 2], d: "x" } })).toBe(fingerprint({ b: { d: "x", c: [1, 2] }, a: 1, e: undefined }));
  });

  it.each([
    [{ a: 1 }, { a: 2 }],
    [{ a: [1, 2] }, { a: [2, 1] }],
    [{ a: "1" }, { a: 1 }],
    [{ a: null }, {}],
  ])("when %j and %j differ, then their fingerprints differ", (x, y) => {
    expect(fingerprint(x)).not.toBe(fingerprint(y));
  });

  it("when fingerprinting, then it is a sha256 hex digest", () => {
    expect(fingerprint({})).toBe("44136fa355b3678a1146ad16f7e8649e94fb4fc21fe77e8310c060f61caaff8a");
  });

  it("when asking a region stack's inputs, then they are its spec and the fleet view", () => {
    const state = stateOf(threeSpecs());
    const inputs = stackInputs("eu-west-1", state);
    expect(inputs).toMatchObject({ region: state.specs[1], fleet: { primary: "us-east-1" } });
    expect(Object.keys(stackInputs("global", state))).toEqual(["fleet"]);
    expect(() => stackInputs("sa-east-1", state)).toThrow(new PlanError("not-found", 'region "sa-east-1" does not exist'));
  });
});

describe("PlanError kinds", () => {
  const specs = threeSpecs;
  it.each<[string, "not-found" | "conflict", () => unknown]>([
    ["add existing", "conflict", () => planOperation(stateOf(specs()), { kind: "add", spec: specs()[0]! }, {})],
    ["update unknown", "not-found", () => planOperation(stateOf(specs().slice(0, 2)), { kind: "update", spec: specs()[2]! }, {})],
    ["remove primary", "conflict", () => planOperation(stateOf(specs()), { kind: "remove", name: "us-east-1" }, {})],
    ["remove unknown", "not-found", () => planOperation(stateOf(specs()), { kind: "remove", name: "zz-top" }, {})],
    ["failover to primary", "conflict", () => planOperation(stateOf(specs()), { kind: "failover", to: "us-east-1" }, {})],
    ["failover unknown", "not-found", () => planOperation(stateOf(specs()), { kind: "failover", to: "zz-top" }, {})],
    ["preview unknown", "not-found", () => planOperation(stateOf(specs()), { kind: "preview", name: "zz-top" }, {})],
  ])("when planning %s, then a PlanError of kind %s is thrown", (_case, kind, run) => {
    let caught: unknown;
    try {
      run();
    } catch (e) {
      caught = e;
    }
    expect(caught).toBeInstanceOf(PlanError);
    expect((caught as PlanError).kind).toBe(kind);
    expect((caught as PlanError).name).toBe("PlanError");
  });
});
