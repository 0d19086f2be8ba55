/**
 * Properties over random fleets of up to 20 regions, built the way the service builds them: specs
 * resolved one by one (random explicit or omitted CIDRs, geo codes, ports), with removals in between.
 */
import fc from "fast-check";
import { AWS_REGIONS, GEO_CODES, LOCAL_PORT_BLOCK, buildFleetView, fleetSettings, fleetViolations, mustParseCidr, cidrsOverlap, resolveRegionSpec, type RegionSpec } from "../../../../domain/spec";
import { appEnv, fingerprint, glbRegionPools, linkIngressRules, linkRoutes, peeringLinks, planOperation, stackInputs, type ChangeRequest, type FleetState, type Plan } from "../../../../domain/fleet";

const settings = fleetSettings.parse({});
const MAX_REGIONS = 20;

type Op = { add: Record<string, unknown> } | { removeAt: number };

const localName = fc.stringMatching(/^[a-z][a-z0-9]{1,5}-[a-z0-9]{1,3}$/).filter((n) => n !== "global" && n !== "fleet");
const cidr = fc.tuple(fc.integer({ min: 0, max: 40 }), fc.integer({ min: 0, max: 255 }), fc.integer({ min: 16, max: 24 })).map(([b, c, prefix]) => {
  const net = mustParseCidr(`10.${b}.0.0/16`).network + (c << 8);
  const mask = (0xffffffff << (32 - prefix)) >>> 0;
  const n = (net & mask) >>> 0;
  return `${n >>> 24}.${(n >>> 16) & 255}.${(n >>> 8) & 255}.${n & 255}/${prefix}`;
});

function specInput(name: string): fc.Arbitrary<Record<string, unknown>> {
  return fc.record(
    {
      network: fc.record({ cidr }),
      glb: fc.record({ geo: fc.uniqueArray(fc.constantFrom(...GEO_CODES), { maxLength: 3 }) }),
      app: fc.record({ replicas: fc.integer({ min: 1, max: 10 }) }),
      postgres: fc.constant({ maxReplicationSlots: 20, maxWalSenders: 20 }),
    },
    { requiredKeys: ["postgres"] },
  ).map((r) => ({ name, ...r }));
}

const fleetArb: fc.Arbitrary<{ provider: "aws" | "local"; ops: Op[] }> = fc.constantFrom<"aws" | "local">("aws", "local").chain((provider) =>
  fc
    .integer({ min: 1, max: MAX_REGIONS + 6 })
    .chain((n) => fc.uniqueArray(provider === "aws" ? fc.constantFrom(...AWS_REGIONS) : localName, { minLength: n, maxLength: n }))
    .chain((names) =>
      fc.tuple(...names.map((n) => fc.tuple(specInput(n), fc.oneof({ arbitrary: fc.constant(null), weight: 5 }, { arbitrary: fc.nat({ max: 30 }), weight: 1 })))).map((rows) => ({
        provider,
        ops: rows.flatMap(([add, removeAt]): Op[] => (removeAt === null ? [{ add }] : [{ add }, { removeAt }])),
      })),
    ),
);

/** Replays adds (skipping inputs the resolver rejects) and removals of non-primary regions. */
function build({ provider, ops }: { provider: "aws" | "local"; ops: Op[] }): RegionSpec[] {
  let fleet: RegionSpec[] = [];
  for (const op of ops) {
    if ("add" in op) {
      if (fleet.length >= MAX_REGIONS) continue;
      const r = resolveRegionSpec(op.add, fleet, "create", { defaultProvider: provider });
      if (r.ok) fleet.push(r.spec);
      else {
        // Drop the explicit choices that clashed and let the resolver allocate.
        const { network: _n, glb: _g, ...rest } = op.add;
        const retry = resolveRegionSpec(rest, fleet, "create", { defaultProvider: provider });
        if (retry.ok) fleet.push(retry.spec);
      }
    } else if (fleet.length > 1) {
      const victim = fleet[1 + (op.removeAt % (fleet.length - 1))];
      fleet = fleet.filter((s) => s !== victim);
    }
  }
  return fleet;
}

const fleets = fleetArb.map(build);

function applied(state: FleetState): Record<string, string> {
  const out: Record<string, string> = {};
  for (const stack of [...state.specs.map((s) => s.name), "global"]) out[stack] = fingerprint(stackInputs(stack, state));
  return out;
}

/** lastApplied after every step of `plan` succeeded. */
function apply(plan: Plan, last: Record<string, string>): Record<string, string> {
  const destroyed = new Set(plan.steps.filter((s) => s.action === "destroy").map((s) => s.stack));
  const next: Record<string, string> = Object.fromEntries(Object.entries(last).filter(([stack]) => !destroyed.has(stack)));
  for (const s of plan.steps) if (s.fingerprint !== undefined) next[s.stack] = s.fingerprint;
  return next;
}

/** Every step `id` transitively depends on. */
function ancestors(plan: Plan, id: string): Set<string> {
  const out = new Set<string>();
  const visit = (x: string) => {
    for (const d of plan.steps.find((s) => s.id === x)?.dependsOn ?? []) {
      if (!out.has(d)) {
        out.add(d);
        visit(d);
      }
    }
  };
  visit(id);
  return out;
}

function checkOrder(plan: Plan): void {
  const ids = plan.steps.map((s) => s.id);
  expect(new Set(ids).size).toBe(ids.length);
  plan.steps.forEach((s, i) => {
    for (const d of s.dependsOn) expect(ids.slice(0, i)).toContain(d);
  });
  const primary = plan.after.specs.find((s) => s.primary)!.name;
  const regionIdx = plan.steps.flatMap((s, i) => (s.stack !== "global" && (s.action === "up" || s.action === "promote") ? [[s.stack, i] as const] : []));
  const pIdx = regionIdx.find(([n]) => n === primary)?.[1];
  if (pIdx !== undefined) {
    for (const [n, i] of regionIdx) {
      if (n !== primary) {
        expect(i).toBeGreaterThan(pIdx);
        expect(plan.steps[i]!.dependsOn).toEqual([plan.steps[pIdx]!.id]);
      }
    }
  }
  const g = ids.indexOf("up:global");
  if (g >= 0) {
    const removal = plan.steps.some((s) => s.action === "destroy");
    if (removal) expect(g).toBe(0);
    else {
      expect(g).toBe(plan.steps.length - 1);
      expect([...ancestors(plan, "up:global")].sort()).toEqual(ids.slice(0, g).sort());
    }
  }
}

describe("fleet properties (random fleets of up to 20 regions)", () => {
  it("when fleets are generated, then they span 1 to 20 regions on both providers", () => {
    const sample = fc.sample(fleets, { numRuns: 100, seed: 42 });
    const sizes = sample.map((f) => f.length);
    expect(Math.min(...sizes)).toBe(1);
    expect(Math.max(...sizes)).toBe(MAX_REGIONS);
    expect(new Set(sample.map((f) => f[0]!.provider))).toEqual(new Set(["aws", "local"]));
  });

  it("when a fleet is built by the resolver, then no two CIDRs overlap and exactly one region, the first, is primary", () => {
    fc.assert(
      fc.property(fleets, (specs) => {
        expect(fleetViolations(specs)).toEqual([]);
        const overlapping: string[] = [];
        for (let i = 0; i < specs.length; i++) {
          for (let j = i + 1; j < specs.length; j++) {
            if (cidrsOverlap(mustParseCidr(specs[i]!.network.cidr), mustParseCidr(specs[j]!.network.cidr))) overlapping.push(`${specs[i]!.name}/${specs[j]!.name}`);
          }
        }
        expect(overlapping).toEqual([]);
        expect(specs.filter((s) => s.primary).map((s) => s.name)).toEqual([specs[0]!.name]);
      }),
    );
  });

  it("when links are derived, then every pair is linked exactly once, owned by the younger, with routes and rules both ways", () => {
    fc.assert(
      fc.property(fleets, (specs) => {
        const view = buildFleetView(specs, settings);
        const links = peeringLinks(view);
        expect(links).toHaveLength((specs.length * (specs.length - 1)) / 2);
        const order = new Map(view.regions.map((r) => [r.name, r.order]));
        const pairs = new Set<string>();
        const wrong: string[] = [];
        for (const l of links) {
          if (order.get(l.owner)! <= order.get(l.peer)!) wrong.push(`${l.name}: owner not younger`);
          pairs.add([l.owner, l.peer].sort().join("|"));
          const [there, back] = linkRoutes(l);
          if (there.region !== l.owner || there.destinationCidr !== l.peerCidr || back.region !== l.peer || back.destinationCidr !== l.ownerCidr) wrong.push(`${l.name}: routes`);
          const rules = linkIngressRules(l);
          if (rules.length !== 4 || rules.some((r) => r.fromCidr !== (r.region === l.owner ? l.peerCidr : l.ownerCidr))) wrong.push(`${l.name}: rules`);
        }
        expect(wrong).toEqual([]);
        expect(pairs.size).toBe(links.length);
      }),
    );
  });

  it("when geo codes and ports are assigned, then each code has one region and local port blocks are disjoint", () => {
    fc.assert(
      fc.property(fleets, (specs) => {
        const view = buildFleetView(specs, settings);
        const codes = specs.flatMap((s) => s.glb.geo);
        expect(new Set(codes).size).toBe(codes.length);
        expect(Object.keys(glbRegionPools(view)).sort()).toEqual([...codes].sort());
        const bases = specs.flatMap((s) => (s.local.portBase === undefined ? [] : [s.local.portBase])).sort((a, b) => a - b);
        bases.forEach((b, i) => {
          if (i > 0) expect(b - bases[i - 1]!).toBeGreaterThanOrEqual(LOCAL_PORT_BLOCK);
        });
        expect(bases.length).toBe(specs[0]!.provider === "local" ? specs.length : 0);
        expect(specs.map((s) => appEnv(s.name, view).ARAGORA_PRIMARY_REGION).filter((v) => v === "true")).toHaveLength(1);
      }),
    );
  });

  it("when any change is planned, then the primary runs before the replicas, global last (first on removal), and re-planning yields no steps", () => {
    const changeArb = (specs: RegionSpec[]): fc.Arbitrary<ChangeRequest> => {
      const names = specs.map((s) => s.name);
      const replicas = names.slice(1);
      const opts: fc.Arbitrary<ChangeRequest>[] = [
        fc.constant({ kind: "reconcile" }),
        fc.constantFrom(...specs).chain((s) => fc.integer({ min: 1, max: 10 }).map((n): ChangeRequest => ({ kind: "update", spec: { ...s, app: { ...s.app, replicas: n } } }))),
      ];
      if (replicas.length > 0) {
        opts.push(fc.constantFrom(...replicas).map((n): ChangeRequest => ({ kind: "remove", name: n })));
        opts.push(fc.constantFrom(...replicas).map((n): ChangeRequest => ({ kind: "failover", to: n })));
      }
      if (specs.length > 1) {
        opts.push(fc.constant<ChangeRequest>({ kind: "add", spec: specs[specs.length - 1]! }));
      }
      return fc.oneof(...opts);
    };
    const scenario = fleets.chain((specs) => fc.tuple(fc.constant(specs), changeArb(specs), fc.boolean()));
    fc.assert(
      fc.property(scenario, ([specs, change, fresh]) => {
        // "add" re-adds the youngest region to the fleet without it.
        const state: FleetState = change.kind === "add" ? { specs: specs.slice(0, -1), settings } : { specs, settings };
        const last = fresh ? {} : applied(state);
        const plan = planOperation(state, change, last);
        checkOrder(plan);
        expect(fleetViolations(plan.after.specs)).toEqual([]);
        const again = planOperation(plan.after, { kind: "reconcile" }, apply(plan, last));
        expect(again.steps).toEqual([]);
      }),
      { numRuns: 150 },
    );
  });
});
