import { resolveRegionSpec, type FieldIssue, type RegionSpec, type ResolveOptions } from "../../../../domain/spec";
import { fleetOf, localTwo } from "./fixtures";

const LOCAL: ResolveOptions = { defaultProvider: "local" };
const AWS: ResolveOptions = { defaultProvider: "aws" };
const NAME_RULE =
  "must be 3-32 characters of lowercase letters, digits and single dashes, starting with a letter and ending with a letter or digit";

interface RuleCase {
  rule: string;
  input: unknown;
  fleet: () => RegionSpec[];
  mode?: "create" | "update";
  opts?: ResolveOptions;
  issues: FieldIssue[];
}

const inv = (path: string, message: string): FieldIssue => ({ path, message, kind: "invalid" });
const con = (path: string, message: string): FieldIssue => ({ path, message, kind: "conflict" });
const none = (): RegionSpec[] => [];

/** One row per validation rule: the exact issues it reports. */
const rules: RuleCase[] = [
  { rule: "body must be an object", input: "eu-west-1", fleet: none, issues: [inv("", "must be an object (a region spec)")] },
  { rule: "name is required", input: {}, fleet: none, issues: [inv("name", "is required")] },
  { rule: "name must be a string", input: { name: 7 }, fleet: none, issues: [inv("name", "must be a string")] },
  { rule: "name: no uppercase", input: { name: "EU-west-1" }, fleet: none, issues: [inv("name", NAME_RULE)] },
  { rule: "name: no path traversal", input: { name: "../etc" }, fleet: none, issues: [inv("name", NAME_RULE)] },
  { rule: "name: no slash", input: { name: "eu/west" }, fleet: none, issues: [inv("name", NAME_RULE)] },
  { rule: "name: no leading dash (flag injection)", input: { name: "-rf-all" }, fleet: none, issues: [inv("name", NAME_RULE)] },
  { rule: "name: no double dash", input: { name: "eu--west" }, fleet: none, issues: [inv("name", NAME_RULE)] },
  { rule: "name: no spaces", input: { name: "eu west" }, fleet: none, issues: [inv("name", NAME_RULE)] },
  { rule: "name: no trailing newline", input: { name: "eu-west-1\n" }, fleet: none, issues: [inv("name", NAME_RULE)] },
  { rule: "name: at most 32 characters", input: { name: `a${"b".repeat(32)}` }, fleet: none, issues: [inv("name", NAME_RULE)] },
  { rule: "name: not the global stack", input: { name: "global" }, fleet: none, issues: [inv("name", "is a reserved name (global, fleet)")] },
  { rule: "name: not the fleet pseudo-stack", input: { name: "fleet" }, fleet: none, issues: [inv("name", "is a reserved name (global, fleet)")] },
  {
    rule: "name: a real AWS region code for provider aws",
    input: { name: "eu-mars-1" }, fleet: none, opts: AWS,
    issues: [inv("name", '"eu-mars-1" is not an AWS region code (such as "us-east-1"); provider aws needs one')],
  },
  { rule: "name: unique (create)", input: { name: "eu-west-1" }, fleet: localTwo, issues: [con("name", 'region "eu-west-1" already exists')] },
  { rule: "name: must exist (update)", input: { name: "ap-south-1" }, fleet: localTwo, mode: "update", issues: [con("name", 'region "ap-south-1" does not exist')] },
  { rule: "provider: known value", input: { name: "eu-west-1", provider: "gcp" }, fleet: none, issues: [inv("provider", 'must be one of "aws", "local"')] },
  {
    rule: "provider: one per fleet",
    input: { name: "ap-south-1", provider: "aws" }, fleet: localTwo,
    issues: [con("provider", 'the fleet runs on "local": all regions share one provider')],
  },
  {
    rule: "provider: fixed for an existing region",
    input: { name: "eu-west-1", provider: "aws" }, fleet: localTwo, mode: "update",
    issues: [con("provider", 'cannot change from "local" to "aws": the provider of an existing region is fixed')],
  },
  { rule: "primary: a boolean", input: { name: "us-east-1", primary: "yes" }, fleet: none, issues: [inv("primary", "must be a boolean")] },
  { rule: "primary: the first region is it", input: { name: "us-east-1", primary: false }, fleet: none, issues: [inv("primary", "the first region of a fleet must be the primary")] },
  {
    rule: "primary: no second primary",
    input: { name: "ap-south-1", primary: true }, fleet: localTwo,
    issues: [con("primary", 'region "us-east-1" is already the primary; the primary changes only through failover')],
  },
  {
    rule: "primary: changes only through failover (update)",
    input: { name: "eu-west-1", primary: true }, fleet: localTwo, mode: "update",
    issues: [con("primary", "cannot change from false to true: the primary changes only through failover")],
  },
  { rule: "cidr: IPv4 syntax", input: { name: "us-east-1", network: { cidr: "10.1.0/16" } }, fleet: none, issues: [inv("network.cidr", 'must be an IPv4 CIDR such as "10.1.0.0/16"')] },
  { rule: "cidr: no leading zeros", input: { name: "us-east-1", network: { cidr: "10.01.0.0/16" } }, fleet: none, issues: [inv("network.cidr", 'must be an IPv4 CIDR such as "10.1.0.0/16"')] },
  {
    rule: "cidr: octets 0-255",
    input: { name: "us-east-1", network: { cidr: "10.256.0.0/16" } }, fleet: none,
    issues: [inv("network.cidr", 'must be an IPv4 CIDR such as "10.1.0.0/16" (octets 0-255)')],
  },
  {
    rule: "cidr: host bits zero",
    input: { name: "us-east-1", network: { cidr: "10.1.2.0/16" } }, fleet: none,
    issues: [inv("network.cidr", 'host bits must be zero: did you mean "10.1.0.0/16"?')],
  },
  {
    rule: "cidr: at least /16",
    input: { name: "us-east-1", network: { cidr: "10.0.0.0/8" } }, fleet: none,
    issues: [inv("network.cidr", "prefix /8 is out of range: region networks are /16 to /24")],
  },
  {
    rule: "cidr: at most /24",
    input: { name: "us-east-1", network: { cidr: "10.0.0.0/28" } }, fleet: none,
    issues: [inv("network.cidr", "prefix /28 is out of range: region networks are /16 to /24")],
  },
  {
    rule: "cidr: no overlap with another region",
    input: { name: "ap-south-1", network: { cidr: "10.1.7.0/24" } }, fleet: localTwo,
    issues: [con("network.cidr", 'overlaps 10.1.0.0/16 of region "eu-west-1"')],
  },
  {
    rule: "cidr: fixed for an existing region",
    input: { name: "eu-west-1", network: { cidr: "10.9.0.0/16" } }, fleet: localTwo, mode: "update",
    issues: [con("network.cidr", "cannot change from 10.1.0.0/16: the CIDR of an existing region is fixed")],
  },
  {
    // Unreachable with a sound fleet (the primary's 100 slots at most cap it first): the fixture has no primary.
    rule: "cidr: room left in 10.0.0.0/8 when auto-allocating",
    input: { name: "last-one" },
    fleet: () => {
      const [first] = localTwo();
      return Array.from({ length: 256 }, (_, i) => ({ ...first!, name: `r${i}-x`, primary: false, network: { azCount: 3, cidr: `10.${i}.0.0/16` }, glb: { geo: [] }, local: {} }));
    },
    issues: [con("network.cidr", "no free /16 left in 10.0.0.0/8; give a smaller network explicitly")],
  },
  { rule: "network: azCount within 1-6", input: { name: "us-east-1", network: { azCount: 7 } }, fleet: none, issues: [inv("network.azCount", "must be at most 6")] },
  {
    rule: "geo: Cloudflare region codes only",
    input: { name: "us-east-1", glb: { geo: ["MARS"] } }, fleet: none,
    issues: [inv("glb.geo.0", 'must be one of "WNAM", "ENAM", "WEU", "EEU", "NSAM", "SSAM", "OC", "ME", "NAF", "SAF", "SAS", "SEAS", "NEAS"')],
  },
  { rule: "geo: no duplicates", input: { name: "us-east-1", glb: { geo: ["WEU", "EEU", "WEU"] } }, fleet: none, issues: [inv("glb.geo.2", "duplicate geo code WEU")] },
  {
    rule: "geo: each code served by at most one region",
    input: { name: "ap-south-1", glb: { geo: ["SEAS", "WEU"] } }, fleet: localTwo,
    issues: [con("glb.geo.1", 'WEU is already served by region "eu-west-1"')],
  },
  { rule: "unknown top-level field", input: { name: "us-east-1", region: "x" }, fleet: none, issues: [inv("region", "unknown field")] },
  { rule: "unknown nested field", input: { name: "us-east-1", redis: { sentinel: { quorom: 2 } } }, fleet: none, issues: [inv("redis.sentinel.quorom", "unknown field")] },
  { rule: "postgres: version supported", input: { name: "us-east-1", postgres: { version: "9" } }, fleet: none, issues: [inv("postgres.version", 'must be one of "14", "15", "16", "17"')] },
  { rule: "postgres: storage at least 20 GiB", input: { name: "us-east-1", postgres: { allocatedStorageGb: 10 } }, fleet: none, issues: [inv("postgres.allocatedStorageGb", "must be at least 20")] },
  { rule: "postgres: storage at most 65536 GiB", input: { name: "us-east-1", postgres: { allocatedStorageGb: 70000 } }, fleet: none, issues: [inv("postgres.allocatedStorageGb", "must be at most 65536")] },
  { rule: "postgres: walKeepSize a PostgreSQL size", input: { name: "us-east-1", postgres: { walKeepSize: "2 GB" } }, fleet: none, issues: [inv("postgres.walKeepSize", 'must be a PostgreSQL size such as "2GB" or "512MB"')] },
  { rule: "postgres: instance class shape", input: { name: "us-east-1", postgres: { instanceClass: "r6g.large" } }, fleet: none, issues: [inv("postgres.instanceClass", 'must look like "db.r6g.large"')] },
  { rule: "postgres: maxWalSenders at least 1", input: { name: "us-east-1", postgres: { maxWalSenders: 0 } }, fleet: none, issues: [inv("postgres.maxWalSenders", "must be at least 1")] },
  {
    rule: "postgres: the primary has a slot for every replica region (create)",
    input: { name: "ap-south-1" },
    fleet: () => fleetOf("local", { name: "us-east-1", postgres: { maxReplicationSlots: 1 } }, { name: "eu-west-1" }),
    issues: [con("name", 'the primary "us-east-1" has postgres.maxReplicationSlots 1 and would need 2 (one per replica region); raise it on the primary first')],
  },
  {
    rule: "postgres: the primary keeps a WAL sender per replica region (update)",
    input: { name: "us-east-1", postgres: { maxWalSenders: 1 } },
    fleet: () => fleetOf("local", { name: "us-east-1" }, { name: "eu-west-1" }, { name: "ap-south-1" }), mode: "update",
    issues: [con("postgres.maxWalSenders", "must be at least 2: the primary needs one per replica region")],
  },
  { rule: "redis: no t-type nodes", input: { name: "us-east-1", redis: { nodeType: "cache.t4g.micro" } }, fleet: none, issues: [inv("redis.nodeType", "t-type nodes cannot join a global datastore")] },
  {
    rule: "redis: ping period below repl timeout",
    input: { name: "us-east-1", redis: { replTimeoutSec: 10, replPingReplicaPeriodSec: 10 } }, fleet: none,
    issues: [inv("redis.replPingReplicaPeriodSec", "must be less than replTimeoutSec (Redis needs pings more often than the timeout)")],
  },
  { rule: "sentinel: quorum at least 1", input: { name: "us-east-1", redis: { sentinel: { quorum: 0 } } }, fleet: none, issues: [inv("redis.sentinel.quorum", "must be at least 1")] },
  { rule: "app: replicas at least 1", input: { name: "us-east-1", app: { replicas: 0 } }, fleet: none, issues: [inv("app.replicas", "must be at least 1")] },
  { rule: "app: replicas at most 50", input: { name: "us-east-1", app: { replicas: 51 } }, fleet: none, opts: AWS, issues: [inv("app.replicas", "must be at most 50")] },
  { rule: "app: replicas an integer", input: { name: "us-east-1", app: { replicas: 1.5 } }, fleet: none, issues: [inv("app.replicas", "must be an integer")] },
  { rule: "app: replicas a number", input: { name: "us-east-1", app: { replicas: "3" } }, fleet: none, issues: [inv("app.replicas", "must be a number")] },
  {
    rule: "app: at most 10 processes on local",
    input: { name: "us-east-1", app: { replicas: 11 } }, fleet: none,
    issues: [inv("app.replicas", "must be at most 10 for provider local (one port each in the region's block)")],
  },
  { rule: "app: image reference", input: { name: "us-east-1", app: { image: "Aragora Server" } }, fleet: none, issues: [inv("app.image", "must be a container image reference")] },
  { rule: "cluster: maxNodes >= minNodes", input: { name: "us-east-1", cluster: { minNodes: 5, maxNodes: 4 } }, fleet: none, issues: [inv("cluster.maxNodes", "must be at least minNodes")] },
  { rule: "cluster: minNodes at least 1", input: { name: "us-east-1", cluster: { minNodes: 0 } }, fleet: none, issues: [inv("cluster.minNodes", "must be at least 1")] },
  { rule: "cluster: Kubernetes version shape", input: { name: "us-east-1", cluster: { kubernetesVersion: "v1.31" } }, fleet: none, issues: [inv("cluster.kubernetesVersion", 'must be a Kubernetes minor version such as "1.31"')] },
  {
    rule: "local.portBase: only for provider local",
    input: { name: "us-east-1", local: { portBase: 21000 } }, fleet: none, opts: AWS,
    issues: [inv("local.portBase", "applies only to provider local (this region's provider is aws)")],
  },
  {
    rule: "local.portBase: inside the port range",
    input: { name: "us-east-1", local: { portBase: 29990 } }, fleet: none,
    issues: [inv("local.portBase", "must leave a block of 20 ports within 21000-29999")],
  },
  {
    rule: "local.portBase: no overlap with another region's block",
    input: { name: "ap-south-1", local: { portBase: 21030 } }, fleet: localTwo,
    issues: [con("local.portBase", 'ports 21030-21049 overlap region "eu-west-1" (21020-21039)')],
  },
  {
    rule: "local.portBase: room left in the range when auto-allocating",
    input: { name: "ap-south-1" }, fleet: localTwo, opts: { defaultProvider: "local", localPortRange: { start: 21000, end: 21039 } },
    issues: [con("local.portBase", "no free block of 20 ports left in 21000-21039")],
  },
];

describe("resolveRegionSpec rules", () => {
  it.each(rules)("when the spec breaks '$rule', then it reports exactly that issue", ({ input, fleet, mode, opts, issues }) => {
    const r = resolveRegionSpec(input, fleet(), mode ?? "create", opts ?? LOCAL);
    expect(r).toEqual({ ok: false, issues });
  });
});
