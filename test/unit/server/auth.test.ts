import { parseTokens, authenticate, ensureBootstrapToken } from "../../../server/auth/tokens";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { primary } from "../../support/fixtures";
import { TOKENS } from "../../support/http";
import { startTestService, type FakeService } from "../../support/serviceDriver";

const OP = "00000000-0000-4000-8000-000000000000";
/** Every route, with the role it needs (null = open). Bodies are valid enough to get past auth. */
const ROUTES: { method: string; path: string; role: "viewer" | "operator" | "admin" | null; body?: unknown }[] = [
  { method: "GET", path: "/health", role: null },
  { method: "GET", path: "/openapi.json", role: "viewer" },
  { method: "GET", path: "/metrics", role: "viewer" },
  { method: "GET", path: "/regions", role: "viewer" },
  { method: "GET", path: "/regions/us-east-1", role: "viewer" },
  { method: "GET", path: "/operations", role: "viewer" },
  { method: "GET", path: `/operations/${OP}`, role: "viewer" },
  { method: "GET", path: `/operations/${OP}/events`, role: "viewer" },
  { method: "POST", path: "/regions?dryRun=true", role: "operator", body: primary },
  { method: "POST", path: "/regions", role: "operator", body: { name: "x" } },
  { method: "PUT", path: "/regions/us-east-1", role: "operator", body: primary },
  { method: "POST", path: "/regions/us-east-1/preview", role: "operator" },
  { method: "POST", path: "/fleet/refresh", role: "operator" },
  { method: "POST", path: "/fleet/validate", role: "operator" },
  { method: "POST", path: "/fleet/reconcile", role: "operator" },
  { method: "POST", path: `/operations/${OP}/cancel`, role: "operator" },
  { method: "POST", path: `/operations/${OP}/retry`, role: "operator" },
  { method: "DELETE", path: "/regions/us-east-1", role: "admin" },
  { method: "POST", path: "/failover", role: "admin", body: { to: "us-east-1" } },
  { method: "GET", path: "/audit", role: "admin" },
];
const RANK = { viewer: 0, operator: 1, admin: 2 } as const;

describe("auth matrix: every route × no token, bad token, each role", () => {
  let h: FakeService;
  beforeAll(async () => { h = await startTestService(); });
  afterAll(async () => { await h.close(); });

  for (const route of ROUTES) {
    test(`when ${route.method} ${route.path} is called without and with each token, then only ${route.role ?? "anyone"} and above pass auth`, async () => {
      const callers: [string, string | null][] = [["none", null], ["bad", "not-a-real-token-at-all"], ["viewer", "viewer"], ["operator", "operator"], ["admin", "admin"]];
      for (const [who, token] of callers) {
        const res = await h.req(route.method, route.path, { token, ...(route.body !== undefined ? { body: route.body } : {}) });
        if (route.role === null) {
          expect(res.status).toBe(200);
          continue;
        }
        if (who === "none" || who === "bad") {
          expect({ who, status: res.status, code: res.body.error?.code }).toEqual({ who, status: 401, code: "unauthenticated" });
        } else if (RANK[who as keyof typeof RANK] < RANK[route.role]) {
          expect({ who, status: res.status, code: res.body.error?.code }).toEqual({ who, status: 403, code: "forbidden" });
        } else {
          expect({ who, passed: ![401, 403].includes(res.status), status: res.status }).toMatchObject({ who, passed: true });
          expect(res.status).toBeLessThan(500);
        }
      }
    });
  }

  test("when a change is made or refused, then the audit log records who, what and the outcome; secrets never appear", async () => {
    const entries = (await h.req("GET", "/audit?limit=500")).body.entries;
    expect(entries.length).toBeGreaterThan(10);
    expect(entries).toEqual(expect.arrayContaining([
      expect.objectContaining({ actor: "ada", role: "admin", method: "DELETE", path: "/regions/us-east-1" }),
      expect.objectContaining({ actor: "anonymous", method: "POST", path: "/failover", status: 401 }),
      expect.objectContaining({ actor: "vera", role: "viewer", method: "POST", path: "/fleet/reconcile", status: 403 }),
    ]));
    const accepted = entries.find((e: any) => e.actor === "otto" && e.path === "/fleet/reconcile" && e.status === 202);
    expect(accepted.operationId).toEqual(expect.any(String));
    for (const token of Object.values(TOKENS)) expect(JSON.stringify(entries)).not.toContain(token);
  });

  test("when the Authorization header is malformed, then 401 says how to send it", async () => {
    const res = await fetch(`${h.url}/regions`, { headers: { authorization: "Basic abc" } });
    expect(res.status).toBe(401);
    expect(((await res.json()) as any).error.message).toMatch(/Bearer/);
  });
});

describe("tokens", () => {
  test("when tokens are parsed, then names and roles are kept and secrets only as digests", () => {
    const entries = parseTokens("a:viewer:aaaaaaaaaaaaaaaa, b:admin:bbbbbbbb:bbbbbbbbbb");
    expect(entries.map((e) => [e.name, e.role])).toEqual([["a", "viewer"], ["b", "admin"]]);
    expect(JSON.stringify(entries)).not.toContain("aaaaaaaa");
    expect(authenticate(entries, "bbbbbbbb:bbbbbbbbbb")).toEqual({ name: "b", role: "admin" });
    expect(authenticate(entries, "bbbbbbbb:bbbbbbbbb")).toBeUndefined();
  });

  test.each([["a:root:aaaaaaaaaaaaaaaa"], ["a:viewer:short"], ["noroles"], ["a:viewer:aaaaaaaaaaaaaaaa,a:admin:bbbbbbbbbbbbbbbb"]])(
    "when ARAGORA_API_TOKENS is %p, then parsing fails without echoing the secret",
    (raw) => {
      expect(() => parseTokens(raw)).toThrow(/ARAGORA_API_TOKENS entry/);
      try { parseTokens(raw); } catch (e) { expect(String(e)).not.toContain("aaaaaaaaaaaaaaaa"); }
    },
  );

  test("when no tokens are configured, then an admin token is created once in the state dir with mode 0600", () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "aragora-token-"));
    try {
      const first = ensureBootstrapToken(dir);
      const second = ensureBootstrapToken(dir);
      expect([first.created, second.created]).toEqual([true, false]);
      expect(fs.statSync(first.file).mode & 0o777).toBe(0o600);
      const secret = fs.readFileSync(first.file, "utf8").trim();
      expect(authenticate([second.entry], secret)).toEqual({ name: "admin", role: "admin" });
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});
