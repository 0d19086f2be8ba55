import { resolveRegionSpec, regionSpec, type RegionSpec } from "../../../../domain/spec";
import { awsThree, fleetOf, localTwo } from "./fixtures";

function ok(input: unknown, fleet: RegionSpec[], mode: "create" | "update" = "create", provider: "aws" | "local" = "local"): RegionSpec {
  const r = resolveRegionSpec(input, fleet, mode, { defaultProvider: provider });
  if (!r.ok) throw new Error(JSON.stringify(r.issues));
  return r.spec;
}

describe("resolveRegionSpec defaults", () => {
  it("when a spec omits everything optional, then the runbook's values are filled in", () => {
    const spec = ok({ name: "us-east-1" }, []);
    expect(spec).toEqual({
      name: "us-east-1",
      provider: "local",
      primary: true,
      network: { cidr: "10.0.0.0/16", azCount: 3 },
      postgres: { version: "15", instanceClass: "db.r6g.large", allocatedStorageGb: 100, walKeepSize: "2GB", maxWalSenders: 10, maxReplicationSlots: 10, deletionProtection: false },
      redis: { nodeType: "cache.r6g.large", replTimeoutSec: 120, replPingReplicaPeriodSec: 10, sentinel: { quorum: 2, downAfterMs: 30000, failoverTimeoutMs: 180000, parallelSyncs: 1 } },
      app: { image: "aragora/server:1.0.0", replicas: 3 },
      cluster: { kubernetesVersion: "1.31", nodeType: "m6i.large", minNodes: 3, maxNodes: 6 },
      glb: { geo: ["WNAM", "ENAM"] },
      local: { portBase: 21000 },
    });
  });

  it("when two specs are resolved, then defaults are not shared between them", () => {
    const a = regionSpec.parse({ name: "aaa" });
    a.network.azCount = 1;
    expect(regionSpec.parse({ name: "bbb" }).network.azCount).toBe(3);
  });

  it("when a second region omits primary, cidr, geo and ports, then it gets the next free values", () => {
    expect(localTwo()[1]).toMatchObject({ primary: false, provider: "local", network: { cidr: "10.1.0.0/16" }, glb: { geo: ["WEU", "EEU"] }, local: { portBase: 21020 } });
  });

  it("when a gap exists, then the lowest free /16 is allocated", () => {
    const fleet = fleetOf("local", { name: "us-east-1" }, { name: "eu-west-1", network: { cidr: "10.2.0.0/16" } });
    expect(ok({ name: "ap-south-1" }, fleet).network.cidr).toBe("10.1.0.0/16");
  });

  it("when a /24 sits inside 10.1.0.0/16, then that /16 is not allocated", () => {
    const fleet = fleetOf("local", { name: "us-east-1" }, { name: "eu-west-1", network: { cidr: "10.1.200.0/24" } });
    expect(ok({ name: "ap-south-1" }, fleet).network.cidr).toBe("10.2.0.0/16");
  });

  it("when a network outside 10/8 is given, then allocation still starts at 10.0.0.0/16", () => {
    expect(ok({ name: "us-east-1", network: { cidr: "172.16.0.0/16" } }, []).network.cidr).toBe("172.16.0.0/16");
    const fleet = fleetOf("local", { name: "us-east-1", network: { cidr: "172.16.0.0/16" } });
    expect(ok({ name: "eu-west-1" }, fleet).network.cidr).toBe("10.0.0.0/16");
  });

  it("when geo defaults are partly taken, then only the free codes are used", () => {
    const fleet = fleetOf("local", { name: "us-east-1", glb: { geo: ["WNAM", "ENAM", "WEU"] } });
    expect(ok({ name: "eu-west-1" }, fleet).glb.geo).toEqual(["EEU"]);
  });

  it("when a region has no default geo codes, then it serves none", () => {
    expect(ok({ name: "sa-east-1" }, awsThree(), "create", "aws").glb.geo).toEqual([]);
  });

  it("when a port block is freed in the middle, then the lowest free block is reused", () => {
    const [a, , c] = fleetOf("local", { name: "us-east-1" }, { name: "eu-west-1" }, { name: "ap-south-1" });
    expect(ok({ name: "sa-east-1" }, [a!, c!]).local.portBase).toBe(21020);
  });

  it("when a custom port range is given, then blocks are aligned at its start", () => {
    const r = resolveRegionSpec({ name: "us-east-1" }, [], "create", { defaultProvider: "local", localPortRange: { start: 40005, end: 40100 } });
    expect(r.ok && r.spec.local).toEqual({ portBase: 40005 });
  });

  it("when the fleet runs on aws and the server default is local, then a new region inherits aws and has no ports", () => {
    const spec = ok({ name: "sa-east-1" }, awsThree(), "create", "local");
    expect(spec.provider).toBe("aws");
    expect(spec.local).toEqual({});
  });

  it("when an update omits cidr, provider, primary and portBase, then they are kept", () => {
    const fleet = fleetOf("local", { name: "us-east-1" }, { name: "eu-west-1", network: { cidr: "10.7.0.0/16" }, local: { portBase: 25000 } });
    const spec = ok({ name: "eu-west-1", app: { replicas: 5 } }, fleet, "update", "aws");
    expect(spec).toMatchObject({ provider: "local", primary: false, network: { cidr: "10.7.0.0/16" }, local: { portBase: 25000 }, app: { replicas: 5 } });
  });

  it("when an update repeats the same cidr, then it passes (only a change is a conflict)", () => {
    const fleet = localTwo();
    expect(ok({ name: "eu-west-1", network: { cidr: "10.1.0.0/16" }, primary: false }, fleet, "update").network.cidr).toBe("10.1.0.0/16");
  });

  it("when an update keeps its own geo codes, then they are not 'taken' by itself", () => {
    expect(ok({ name: "eu-west-1", glb: { geo: ["WEU"] } }, localTwo(), "update").glb.geo).toEqual(["WEU"]);
  });

  it("when a spec breaks several rules, then every issue is reported at once", () => {
    const r = resolveRegionSpec(
      { name: "ap-south-1", primary: true, extra: 1, network: { cidr: "10.0.0.0/16" }, app: { replicas: 0 }, glb: { geo: ["WNAM"] }, local: { portBase: 21000 } },
      localTwo(), "create", { defaultProvider: "local" },
    );
    expect(r.ok).toBe(false);
    expect(!r.ok && r.issues.map((i) => `${i.kind} ${i.path}`).sort()).toEqual([
      "conflict glb.geo.0",
      "conflict local.portBase",
      "conflict network.cidr",
      "conflict primary",
      "invalid app.replicas",
      "invalid extra",
    ]);
  });

  it("when the input object is resolved, then it is not mutated", () => {
    const input = { name: "us-east-1", network: { azCount: 2 } };
    ok(input, []);
    expect(input).toEqual({ name: "us-east-1", network: { azCount: 2 } });
  });
});
