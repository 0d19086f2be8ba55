import { hasUnknowns } from "../../../../components/local/impl/common";
import { appProcess } from "../../../../components/local/impl/app";

const UNKNOWN = "04da6b54-80e4-46f7-96ec-b56ff0331ba9";

describe("inputs not known yet during a preview", () => {
  it("when an input anywhere is Pulumi's unknown marker, then hasUnknowns says so", () => {
    expect(hasUnknowns({ a: 1, b: [2, { c: UNKNOWN }] })).toBe(true);
    expect(hasUnknowns(UNKNOWN)).toBe(true);
    expect(hasUnknowns({ a: 1, b: [2, { c: "known" }], d: null })).toBe(false);
  });

  it("when an app's env is still unknown, then check accepts it and leaves validation to create", async () => {
    const inputs = { kind: "app", region: "eu-west-1", index: 0, dir: "/srv/x", port: 30010, script: "/srv/app.js", nodePath: "/srv/node_modules", env: UNKNOWN };
    const res = await appProcess.check!({}, inputs);
    expect(res.failures ?? []).toEqual([]);
  });

  it("when a known app env has a bad variable name, then check fails naming it", async () => {
    const inputs = { kind: "app", region: "eu-west-1", index: 0, dir: "/srv/x", port: 30010, script: "/srv/app.js", nodePath: "/srv/node_modules", env: { "bad name": "x" } };
    const res = await appProcess.check!({}, inputs);
    expect(res.failures).toEqual([{ property: "inputs", reason: expect.stringContaining('env: "bad name" is not a valid variable') }]);
  });
});
