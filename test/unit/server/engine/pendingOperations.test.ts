/** Reading pending operations from an exported deployment, and the import an admin's "it exists, id X" becomes. */
import { adoptable, importRequest, pendingIn, refusedDecisions } from "../../../../server/engine/pendingOperations";
import { describePending } from "../../../../server/engine/stackRunner";

const stackUrn = "urn:pulumi:us-east-1::aragora::pulumi:pulumi:Stack::aragora-us-east-1";
const awsProvider = "urn:pulumi:us-east-1::aragora::pulumi:providers:aws::default_7_48_0";
const deployment = {
  resources: [],
  pending_operations: [
    { type: "creating", resource: { urn: "urn:pulumi:us-east-1::aragora::aws:rds/instance:Instance::db", type: "aws:rds/instance:Instance", parent: stackUrn, provider: `${awsProvider}::4f1c-9e` } },
    { type: "updating", resource: { urn: "urn:pulumi:us-east-1::aragora::aragora-local:index:Dir::d", type: "aragora-local:index:Dir", id: "dir:/srv/d" } },
    { type: "creating", resource: { urn: "urn:pulumi:us-east-1::aragora::aragora-local:index:Redis::r", type: "aragora-local:index:Redis", parent: stackUrn } },
  ],
};
const plugins = [{ name: "aragora-local", launcherDir: "/x", main: "/x/main", createsAdopt: true }];

describe("pending operations in a deployment", () => {
  test("when a deployment holds pending operations, then each is read with its urn, type, operation and id (when known)", () => {
    expect(pendingIn(deployment)).toEqual([
      { urn: "urn:pulumi:us-east-1::aragora::aws:rds/instance:Instance::db", type: "aws:rds/instance:Instance", operation: "creating" },
      { urn: "urn:pulumi:us-east-1::aragora::aragora-local:index:Dir::d", type: "aragora-local:index:Dir", operation: "updating", id: "dir:/srv/d" },
      { urn: "urn:pulumi:us-east-1::aragora::aragora-local:index:Redis::r", type: "aragora-local:index:Redis", operation: "creating" },
    ]);
    expect(pendingIn({ resources: [] })).toEqual([]);
    expect(pendingIn(undefined)).toEqual([]);
  });

  test("when asked which pending operations settle alone, then only creates of a plugin whose creates adopt, of provider resources and of components do", () => {
    expect(pendingIn(deployment).map((o) => adoptable(o, plugins))).toEqual([false, false, true]);
    expect(pendingIn(deployment).map((o) => adoptable(o, [{ ...plugins[0]!, createsAdopt: false }]))).toEqual([false, false, false]);
    const engineOnly = pendingIn({
      pending_operations: [
        { type: "creating", resource: { urn: "urn:pulumi:g::aragora::pulumi:providers:aragora-local::default_0_1_0", type: "pulumi:providers:aragora-local", custom: true } },
        { type: "creating", resource: { urn: "urn:pulumi:g::aragora::aragora:local:Region::g", type: "aragora:local:Region", custom: false } },
        { type: "creating", resource: { urn: "urn:pulumi:g::aragora::pulumi:providers:aws::default", type: "pulumi:providers:aws", custom: true } },
      ],
    });
    expect(engineOnly.map((o) => adoptable(o, []))).toEqual([true, true, true]);
    expect(engineOnly[1]).toEqual({ urn: "urn:pulumi:g::aragora::aragora:local:Region::g", type: "aragora:local:Region", operation: "creating", custom: false });
  });

  test("when an admin says a create happened with id X, then the import names its type, name, parent and provider (without the provider's id)", () => {
    expect(importRequest(deployment, [{ urn: "urn:pulumi:us-east-1::aragora::aws:rds/instance:Instance::db", id: "db-abc" }])).toEqual({
      resources: [{ type: "aws:rds/instance:Instance", name: "db", id: "db-abc", parent: "r0", provider: "r1" }],
      nameTable: { r0: stackUrn, r1: awsProvider },
    });
    expect(() => importRequest(deployment, [{ urn: "urn:pulumi:us-east-1::aragora::aws:s3/bucket:Bucket::nope", id: "x" }])).toThrow("is not a pending create of this stack");
  });

  test("when pending operations are described, then each reads as operation, type and name", () => {
    expect(describePending(pendingIn(deployment).slice(0, 2))).toBe("creating aws:rds/instance:Instance db, updating aragora-local:index:Dir d");
  });

  test("when an admin's decisions are checked, then each pending create must be decided exactly once, and only those", () => {
    const ops = pendingIn(deployment);
    const [db, , redis] = ops.map((o) => o.urn) as [string, string, string];
    expect(refusedDecisions(ops, [{ urn: db, action: "import", id: "db-1" }, { urn: redis, action: "clear" }])).toBeUndefined();
    expect(refusedDecisions(ops, [{ urn: db, action: "clear" }, { urn: db, action: "clear" }, { urn: ops[1]!.urn, action: "clear" }])).toEqual({
      undecided: [redis], notPending: [ops[1]!.urn], twice: [db],
    });
    expect(refusedDecisions([], [])).toBeUndefined();
  });
});
