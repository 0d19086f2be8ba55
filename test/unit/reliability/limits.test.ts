/**
 * Limits over HTTP with the real store: request body size (default and configured), a per-token
 * rate limit on changes, and a bounded operation queue.
 */
import type { Request, Response } from "express";
import { rateLimitChanges } from "../../../server/auth/rateLimit";
import { loadConfig } from "../../../server/config";
import { RateLimitedError } from "../../../server/errors";
import { primary } from "../../support/fixtures";
import { startRig, type Rig } from "./rig";

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
    const res = await rig.req("POST", "/regions", { token: "operator", raw: JSON.stringify({ ...primary, pad: "x".repeat(101 * 1024) }), headers: { "content-type": "application/json" } });
    expect({ status: res.status, body: res.body }).toEqual({ status: 413, body: { error: { code: "payload_too_large", message: "the request body is too large" } } });
    expect(rig.dump()).toEqual(before);
    expect(rig.runner.calls).toEqual([]);
  });

  test("when ARAGORA_BODY_LIMIT is 2kb, then a 3kb body is 413 and a small spec is still accepted", async () => {
    const rig = await rigWith({ ARAGORA_BODY_LIMIT: "2kb" });
    const big = await rig.req("PUT", "/regions/us-east-1", { token: "operator", raw: JSON.stringify({ ...primary, pad: "x".repeat(3 * 1024) }), headers: { "content-type": "application/json" } });
    expect([big.status, big.body.error.code]).toEqual([413, "payload_too_large"]);
    const ok = await rig.req("POST", "/regions", { token: "operator", body: primary });
    expect(ok.status).toBe(202);
    expect((await rig.waitFor(ok.body.operation.id)).status).toBe("succeeded");
  });
});

describe("per-token rate limit on changes", () => {
  test("when ARAGORA_RATE_LIMIT_PER_MIN is 5 and a token sends a 6th change within the minute, then 429 rate_limited with Retry-After; reads and other tokens still pass", async () => {
    const rig = await rigWith({ ARAGORA_RATE_LIMIT_PER_MIN: "5" });
    const statuses: number[] = [];
    for (let i = 0; i < 5; i++) statuses.push((await rig.req("POST", "/regions?dryRun=true", { token: "operator", body: primary })).status);
    expect(statuses).toEqual([200, 200, 200, 200, 200]);
    const before = rig.dump();
    const limited = await rig.req("POST", "/regions", { token: "operator", body: primary });
    expect({ status: limited.status, code: limited.body.error.code }).toEqual({ status: 429, code: "rate_limited" });
    expect(Number(limited.headers.get("retry-after"))).toBeGreaterThanOrEqual(1);
    expect(Number(limited.headers.get("retry-after"))).toBeLessThanOrEqual(60);
    expect(rig.dump()).toEqual(before);
    expect((await rig.req("GET", "/regions", { token: "operator" })).status).toBe(200);
    expect((await rig.req("POST", "/regions?dryRun=true", { token: "admin", body: primary })).status).toBe(200);
    const audit = (await rig.req("GET", "/audit?limit=2")).body.entries;
    expect(audit[1]).toEqual(expect.objectContaining({ actor: "otto", method: "POST", path: "/regions", status: 429 }));
  });

  test("when the limit is left at its default (120 a minute), then a burst of 130 changes by one token lets the first 120 through and refuses the rest but what refilled meanwhile", async () => {
    expect(loadConfig({ ARAGORA_STATE_DIR: "x" }).rateLimitPerMin).toBe(120);
    const rig = await rigWith();
    const t = Date.now();
    const statuses = await Promise.all(Array.from({ length: 130 }, () => rig.req("POST", "/regions?dryRun=true", { token: "operator", body: primary }).then((r) => r.status)));
    // The bucket refills 2 per second: at most a few more than 120 can pass while the burst lasts.
    const refilled = Math.floor(((Date.now() - t) / 60_000) * 120);
    const ok = statuses.filter((x) => x === 200).length;
    expect(statuses.filter((x) => x !== 200 && x !== 429)).toEqual([]);
    expect(ok).toBeGreaterThanOrEqual(120);
    expect(ok).toBeLessThanOrEqual(120 + refilled);
  });
});

test("when a token's bucket is empty, then it refills at limit/60 per second, never above the limit, and Retry-After says when the next change fits", () => {
  let now = 0;
  const limit = rateLimitChanges(6, () => now);
  const res = (name: string) => ({ locals: { principal: { name, role: "operator" } } }) as unknown as Response;
  const call = (name = "otto", method = "POST"): unknown => {
    let out: unknown = "passed";
    limit({ method } as unknown as Request, res(name), (err?: unknown) => { if (err !== undefined) out = err; });
    return out instanceof RateLimitedError ? `429 retry ${out.retryAfterSeconds}` : out;
  };
  expect(Array.from({ length: 7 }, () => call())).toEqual([...Array<string>(6).fill("passed"), "429 retry 10"]);
  expect([call("ada"), call("otto", "GET")]).toEqual(["passed", "passed"]);
  now = 5_000;
  expect(call()).toBe("429 retry 5");
  now = 10_000;
  expect([call(), call()]).toEqual(["passed", "429 retry 10"]);
  now = 10_000 + 3_600_000;
  expect(Array.from({ length: 7 }, () => call())).toEqual([...Array<string>(6).fill("passed"), "429 retry 10"]);
});

describe("bounded operation queue", () => {
  test("when ARAGORA_MAX_QUEUED_OPERATIONS is 2 and two operations are in flight, then a third change is 503 queue_full with Retry-After and recorded nowhere; once they finish it is accepted", async () => {
    const rig = await rigWith({ ARAGORA_MAX_QUEUED_OPERATIONS: "2" });
    let release!: () => void;
    rig.runner.gates.set("up:us-east-1", new Promise<void>((resolve) => { release = resolve; }));
    const a = await rig.req("POST", "/regions", { token: "operator", body: primary });
    const b = await rig.req("POST", "/regions", { token: "operator", body: { name: "eu-west-1", app: { replicas: 1 } } });
    expect([a.status, b.status]).toEqual([202, 202]);
    const recorded = (): unknown => { const d = rig.dump(); return { operations: d["operations"]!.length, regions: d["regions"]!.map((r: any) => r.name) }; };
    const before = recorded();
    const c = await rig.req("POST", "/regions", { token: "operator", body: { name: "ap-south-1", app: { replicas: 1 } } });
    expect({ status: c.status, code: c.body.error.code }).toEqual({ status: 503, code: "queue_full" });
    expect(c.body.error.message).toMatch(/2 operations/);
    expect(Number(c.headers.get("retry-after"))).toBeGreaterThanOrEqual(1);
    expect(recorded()).toEqual(before);
    expect(before).toEqual({ operations: 2, regions: ["us-east-1", "eu-west-1"] });
    // A dry run queues nothing: still answered.
    expect((await rig.req("POST", "/regions?dryRun=true", { token: "operator", body: { name: "ap-south-1", app: { replicas: 1 } } })).status).toBe(200);
    release();
    expect((await rig.waitFor(a.body.operation.id)).status).toBe("succeeded");
    expect((await rig.waitFor(b.body.operation.id)).status).toBe("succeeded");
    const again = await rig.req("POST", "/regions", { token: "operator", body: { name: "ap-south-1", app: { replicas: 1 } } });
    expect(again.status).toBe(202);
    expect((await rig.waitFor(again.body.operation.id)).status).toBe("succeeded");
  });
});
