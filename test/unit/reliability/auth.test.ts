/**
 * Auth over HTTP with the real store: every endpoint the OpenAPI document lists (and unknown ones)
 * refuses a missing or bad token but `/health`; each role below an endpoint's required role gets
 * 403; a viewer changes nothing; tokens are compared against every entry in constant time; refused
 * requests are logged and audited without the presented token.
 */
import { authenticate, parseTokens } from "../../../server/auth/tokens";
import { primary, replica } from "../../support/fixtures";
import { TOKEN_ENV, TOKENS } from "../../support/http";
import { startRig, type Rig } from "./rig";

jest.setTimeout(60_000);

const RANK = { viewer: 0, operator: 1, admin: 2 } as const;
type Role = keyof typeof RANK;

let rig: Rig;
let opId: string;
let routes: { method: string; path: string; role: Role | null }[];

beforeAll(async () => {
  rig = await startRig();
  const add = await rig.req("POST", "/regions", { token: "operator", body: primary });
  opId = add.body.operation.id;
  await rig.waitFor(opId);
  const replicaAdd = await rig.req("POST", "/regions", { token: "operator", body: replica("eu-west-1") });
  await rig.waitFor(replicaAdd.body.operation.id);
  const doc = (await rig.req("GET", "/openapi.json", { token: "viewer" })).body;
  routes = [];
  for (const [p, methods] of Object.entries(doc.paths as Record<string, Record<string, { "x-required-role"?: Role }>>)) {
    for (const [m, op] of Object.entries(methods)) {
      routes.push({ method: m.toUpperCase(), path: p.replace("{name}", "eu-west-1").replace("{id}", opId), role: op["x-required-role"] ?? null });
    }
  }
});

afterAll(async () => {
  await rig.close();
});

const isError = (body: any, code: string): boolean => typeof body === "object" && body?.error?.code === code && typeof body.error.message === "string";

test("when any endpoint is called without a valid token, then only GET /health answers; the rest, listed or not, are 401 with the error shape", async () => {
  expect(routes.filter((r) => r.role === null).map((r) => `${r.method} ${r.path}`)).toEqual(["GET /health"]);
  expect(routes.length).toBeGreaterThanOrEqual(19);
  const extra = [{ method: "GET", path: "/no-such-route" }, { method: "POST", path: "/regions/eu-west-1/nothing" }, { method: "PATCH", path: "/regions" }];
  const bad = [null, "", `${TOKENS.admin}-`, TOKENS.admin.toUpperCase(), "x".repeat(4096)];
  const answers: string[] = [];
  for (const r of [...routes.filter((x) => x.role !== null), ...extra]) {
    for (const token of bad) {
      const res = await rig.req(r.method, r.path, token === null ? { token: null } : { token });
      answers.push(`${r.method} ${r.path} ${res.status} ${isError(res.body, "unauthenticated")}`);
    }
  }
  expect(answers.filter((a) => !a.endsWith(" 401 true"))).toEqual([]);
  const health = await rig.req("GET", "/health", { token: null });
  expect(health.status).toBe(200);
});

test("when each role calls each endpoint, then roles below the documented one get 403 and the others pass auth", async () => {
  const wrong: string[] = [];
  for (const r of routes.filter((x) => x.role !== null)) {
    if (r.method !== "GET") continue; // changes: next test
    for (const who of ["viewer", "operator", "admin"] as const) {
      const res = await rig.req(r.method, r.path, { token: who });
      const expected = RANK[who] < RANK[r.role!] ? 403 : 200;
      if (res.status !== expected) wrong.push(`${who} ${r.method} ${r.path} → ${res.status}`);
    }
  }
  expect(wrong).toEqual([]);
});

test("when a viewer (and an operator, for admin routes) tries every change, then each is 403 and the store and engine are untouched", async () => {
  const before = rig.dump();
  const calls = rig.runner.calls.length;
  const changes = routes.filter((r) => r.method !== "GET");
  expect(changes.length).toBeGreaterThanOrEqual(10);
  const wrong: string[] = [];
  for (const r of changes) {
    const body = r.path === "/failover" ? { to: "eu-west-1" } : r.path.startsWith("/regions") && r.method !== "DELETE" && !r.path.endsWith("/preview") ? replica("eu-west-1") : undefined;
    for (const who of ["viewer", "operator"] as const) {
      if (RANK[who] >= RANK[r.role!]) continue;
      const res = await rig.req(r.method, r.path, { token: who, ...(body ? { body } : {}) });
      if (!(res.status === 403 && isError(res.body, "forbidden"))) wrong.push(`${who} ${r.method} ${r.path} → ${res.status}`);
    }
  }
  expect(wrong).toEqual([]);
  expect(rig.runner.calls.length).toBe(calls);
  expect(rig.dump()).toEqual(before);
});

test("when a token is checked, then every entry is compared (same count whether the first, the last or none matches, whatever the length)", () => {
  const entries = parseTokens(`${TOKEN_ENV},extra:viewer:extra-token-0123456789`);
  // The module object itself (not an import namespace), so the spy sees the calls tokens.ts makes.
  const spy = jest.spyOn(jest.requireActual<typeof import("node:crypto")>("node:crypto"), "timingSafeEqual");
  try {
    const counts: Record<string, number> = {};
    for (const [label, presented] of [["first", TOKENS.viewer], ["last", "extra-token-0123456789"], ["none", "nope"], ["long", "y".repeat(10_000)], ["prefix", TOKENS.viewer.slice(0, 5)]] as const) {
      spy.mockClear();
      const p = authenticate(entries, presented);
      counts[label] = spy.mock.calls.length;
      for (const [a, b] of spy.mock.calls) expect([a.byteLength, b.byteLength]).toEqual([32, 32]);
      if (label === "first") expect(p).toEqual({ name: "vera", role: "viewer" });
      if (label === "none") expect(p).toBeUndefined();
    }
    expect(counts).toEqual({ first: 4, last: 4, none: 4, long: 4, prefix: 4 });
  } finally {
    spy.mockRestore();
  }
});

test("when authentication fails, then the request is logged and audited as anonymous with its status, and the presented token appears nowhere", async () => {
  const presented = "Sup3rSecretButWrong-token-4242";
  const from = rig.logs.lines.length;
  expect((await rig.req("POST", "/fleet/refresh", { token: presented })).status).toBe(401);
  expect((await rig.req("GET", "/regions", { token: presented })).status).toBe(401);
  const lines = rig.logs.lines.slice(from).map((l) => JSON.parse(l) as Record<string, unknown>);
  expect(lines.filter((l) => l["msg"] === "request").map((l) => [l["method"], l["path"], l["status"], l["actor"]])).toEqual([
    ["POST", "/fleet/refresh", 401, undefined],
    ["GET", "/regions", 401, undefined],
  ]);
  expect(rig.logs.lines.join("\n")).not.toContain(presented);
  const audit = (await rig.req("GET", "/audit?limit=1")).body.entries;
  expect(audit).toEqual([expect.objectContaining({ actor: "anonymous", role: "none", method: "POST", path: "/fleet/refresh", status: 401 })]);
  expect(JSON.stringify(rig.dump({ withAudit: true }))).not.toContain(presented);
});
