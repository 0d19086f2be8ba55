/**
 * Limits over HTTP with the real store: request body size (default and configured).
 */
import { primary, startRig, type Rig } from "./helpers";

jest.setTimeout(60_000);

const rigs: Rig[] = [];
async function rigWith(env: Record<string, string> = {}): Promise<Rig> {
  const r = await startRig(env);
  rigs.push(r);
  return r;
}

afterEach(async () => {
  await Promise.all(rigs.splice(0).map((r) => r.close()));
});

describe("body size", () => {
  test("when a body is past the default 100kb limit, then 413 payload_too_large and nothing is recorded but the audit entry", async () => {
    const rig = await rigWith();
    const before = rig.dump();
    const res = await rig.req("POST", "/regions", { as: "operator", raw: JSON.stringify({ ...primary, pad: "x".repeat(101 * 1024) }), headers: { "content-type": "application/json" } });
    expect({ status: res.status, body: res.body }).toEqual({ status: 413, body: { error: { code: "payload_too_large", message: "the request body is too large" } } });
    expect(rig.dump()).toEqual(before);
    expect(rig.runner.calls).toEqual([]);
  });

  test("when ARAGORA_BODY_LIMIT is 2kb, then a 3kb body is 413 and a small spec is still accepted", async () => {
    const rig = await rigWith({ ARAGORA_BODY_LIMIT: "2kb" });
    const big = await rig.req("PUT", "/regions/us-east-1", { as: "operator", raw: JSON.stringify({ ...primary, pad: "x".repeat(3 * 1024) }), headers: { "content-type": "application/json" } });
    expect([big.status, big.body.error.code]).toEqual([413, "payload_too_large"]);
    const ok = await rig.req("POST", "/regions", { as: "operator", body: primary });
    expect(ok.status).toBe(202);
    expect((await rig.waitFor(ok.body.operation.id)).status).toBe("succeeded");
  });
});
