import fc from "fast-check";
import { subnetLayout } from "../../../../components/aws/subnetLayout";
import { parameterGroupFamily, pgSizeToMb, postgresParameters } from "../../../../components/aws/postgresParameters";
import { homeRegion, regionRole, stackReferenceName } from "../../../../components/aws/fleetRoles";
import { buildKubeconfig } from "../../../../components/aws/kubeconfig";
import { cidrsOverlap, formatCidr, mustParseCidr, type Cidr } from "../../../../domain/spec/cidr";
import { postgresSpec } from "../../../../domain/spec/regionSpec";
import { fleetOf } from "./mockWorld";

/** Parses any IPv4 CIDR (subnets are smaller than the /24 region-network limit of mustParseCidr). */
function anyCidr(text: string): Cidr {
  const [ip, prefix] = text.split("/");
  const network = ip!.split(".").reduce((acc, o) => acc * 256 + Number(o), 0) >>> 0;
  return { network, prefix: Number(prefix) };
}

describe("subnetLayout", () => {
  test.each([
    ["10.0.0.0/16", 3, ["10.0.0.0/19", "10.0.32.0/19", "10.0.64.0/19"], ["10.0.192.0/21", "10.0.200.0/21", "10.0.208.0/21"]],
    ["10.1.0.0/16", 1, ["10.1.0.0/19"], ["10.1.192.0/21"]],
    ["10.2.0.0/20", 2, ["10.2.0.0/23", "10.2.2.0/23"], ["10.2.12.0/25", "10.2.12.128/25"]],
    ["10.3.0.0/23", 6, ["10.3.0.0/26", "10.3.0.64/26", "10.3.0.128/26", "10.3.0.192/26", "10.3.1.0/26", "10.3.1.64/26"],
      ["10.3.1.128/28", "10.3.1.144/28", "10.3.1.160/28", "10.3.1.176/28", "10.3.1.192/28", "10.3.1.208/28"]],
  ])("when the VPC is %s over %i AZs, then private and public subnets are laid out exactly", (cidr, azs, priv, pub) => {
    const l = subnetLayout(cidr, azs);
    expect(l.private.map((s) => s.cidr)).toEqual(priv);
    expect(l.public.map((s) => s.cidr)).toEqual(pub);
    expect(l.private.map((s) => s.azIndex)).toEqual(priv.map((_, i) => i));
  });

  test.each([
    ["10.0.0.0/24", 3, /too small/],
    ["10.0.0.0/16", 0, /azCount/],
    ["10.0.0.0/16", 7, /azCount/],
    ["10.0.0.1/16", 3, /invalid CIDR/],
  ])("when the VPC is %s with %i AZs, then it is refused", (cidr, azs, message) => {
    expect(() => subnetLayout(cidr, azs)).toThrow(message);
  });

  test("when any valid VPC and AZ count is laid out, then subnets never overlap and stay inside the VPC", () => {
    fc.assert(fc.property(fc.integer({ min: 0, max: 255 }), fc.integer({ min: 16, max: 23 }), fc.integer({ min: 1, max: 6 }), (second, prefix, azs) => {
      const vpc = mustParseCidr(formatCidr({ network: (((10 << 24) >>> 0) + second * 65536) >>> 0 & ((0xffffffff << (32 - prefix)) >>> 0), prefix }));
      const l = subnetLayout(formatCidr(vpc), azs);
      const all = [...l.private, ...l.public].map((s) => anyCidr(s.cidr));
      expect(all).toHaveLength(2 * azs);
      all.forEach((a, i) => {
        expect(cidrsOverlap(a, vpc)).toBe(true);
        expect(formatCidr(a)).toBe(formatCidr({ network: (a.network & ((0xffffffff << (32 - a.prefix)) >>> 0)) >>> 0, prefix: a.prefix }));
        expect(a.prefix).toBeGreaterThan(vpc.prefix);
        expect(a.prefix).toBeLessThanOrEqual(28);
        all.slice(i + 1).forEach((b) => { expect(cidrsOverlap(a, b)).toBe(false); });
      });
    }));
  });
});

describe("postgresParameters", () => {
  test.each([["2GB", 2048], ["512MB", 512], ["64kB", 1], ["1TB", 1048576]])("when wal_keep_size is %s, then RDS gets %i MB", (size, mb) => {
    expect(pgSizeToMb(size)).toBe(mb);
  });

  test("when the spec has the runbook's defaults, then the parameter group carries them", () => {
    expect(parameterGroupFamily("16")).toBe("postgres16");
    expect(postgresParameters(postgresSpec.parse({ maxWalSenders: 12, maxReplicationSlots: 8, walKeepSize: "4GB" }))).toEqual([
      { name: "max_wal_senders", value: "12", applyMethod: "pending-reboot" },
      { name: "max_replication_slots", value: "8", applyMethod: "pending-reboot" },
      { name: "wal_keep_size", value: "4096", applyMethod: "immediate" },
      { name: "hot_standby_feedback", value: "1", applyMethod: "immediate" },
    ]);
  });
});

describe("fleetRoles", () => {
  const fleet = fleetOf(["us-east-1", "eu-west-1", "ap-south-1"], "eu-west-1");
  test.each([
    ["us-east-1", { isPrimary: false, isHome: true, referencedStacks: ["eu-west-1"] }],
    ["eu-west-1", { isPrimary: true, isHome: false, referencedStacks: ["us-east-1"] }],
    ["ap-south-1", { isPrimary: false, isHome: false, referencedStacks: ["us-east-1", "eu-west-1"] }],
  ])("when the primary is eu-west-1 and the region is %s, then its role is %o", (region, role) => {
    expect(regionRole(fleet, region)).toMatchObject({ ...role, home: "us-east-1", primary: "eu-west-1" });
  });

  test("when asked about an unknown region or a fleet without its primary, then it throws", () => {
    expect(() => regionRole(fleet, "sa-east-1")).toThrow(/not in the fleet/);
    expect(() => regionRole({ ...fleet, primary: "sa-east-1" }, "us-east-1")).toThrow(/primary/);
    expect(() => homeRegion({ ...fleet, regions: [] })).toThrow(/no regions/);
  });

  test("when the home is the oldest by order, then it does not depend on array order", () => {
    expect(homeRegion({ ...fleet, regions: [...fleet.regions].reverse() })).toBe("us-east-1");
    expect(stackReferenceName("eu-west-1")).toBe("organization/aragora/eu-west-1");
  });
});

describe("buildKubeconfig", () => {
  test("when built, then it is an exec kubeconfig for the cluster's region", () => {
    const k = JSON.parse(buildKubeconfig({ clusterName: "c", endpoint: "https://e", certificateAuthorityData: "Q0E=", region: "eu-west-1" }));
    expect(k["current-context"]).toBe("c");
    expect(k.contexts).toEqual([{ name: "c", context: { cluster: "c", user: "c" } }]);
    expect(k.users[0].user.exec.args).toEqual(["eks", "get-token", "--cluster-name", "c", "--region", "eu-west-1", "--output", "json"]);
  });
});
