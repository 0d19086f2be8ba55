/**
 * Secret scan. The fake engine prints each stack's generated password in its events (in a URL, as
 * `password=`, as Pulumi's serialized secret, and bare once the value is known) and in step error
 * messages, and returns it as secret outputs. After a fleet's lifecycle through the API (adds,
 * update, preview, refresh, validate, failover, removal, a failure and its retry, refused tokens),
 * no response body, no SSE stream, no log line, no SQLite row and no byte of the database files
 * holds a password, the passphrase or an API token in plain text.
 */
import * as fs from "node:fs";
import * as path from "node:path";
import { primary, replica } from "../../support/fixtures";
import { TOKENS } from "../../support/http";
import { passwordOf } from "../../support/fakeRunner";
import { hits } from "../../support/secrets";
import { PASSPHRASE } from "../../support/serviceDriver";
import { startRig, type Rig } from "./rig";

jest.setTimeout(60_000);

const REGIONS = ["us-east-1", "eu-west-1", "ap-south-1"];
const SECRETS = [...REGIONS, "global"].map(passwordOf);
const NEEDLES = [...SECRETS, PASSPHRASE, ...Object.values(TOKENS)];

let rig: Rig;
const opIds: string[] = [];

async function accepted(method: string, urlPath: string, opts: Parameters<Rig["req"]>[2] = {}): Promise<any> {
  const r = await rig.req(method, urlPath, opts);
  expect({ call: `${method} ${urlPath}`, status: r.status }).toEqual({ call: `${method} ${urlPath}`, status: 202 });
  opIds.push(r.body.operation.id);
  return rig.waitFor(r.body.operation.id);
}

beforeAll(async () => {
  rig = await startRig();
});

afterAll(async () => {
  await rig.close();
});

test("when a fleet goes through its lifecycle with an engine that prints secrets, then no response, SSE stream, log line or database byte holds a secret, the passphrase or a token", async () => {
  // The first up of the primary fails with a message carrying credentials (URL form): scrubbed by shape.
  rig.runner.failures.set("up:us-east-1", `could not connect: postgres://aragora:${passwordOf("us-east-1")}@127.0.0.1:5432/aragora refused`);
  const failed = await accepted("POST", "/regions", { token: "operator", body: primary });
  expect(failed.status).toBe("failed");
  expect((await accepted("POST", `/operations/${failed.id}/retry`, { token: "operator" })).status).toBe("succeeded");
  for (const n of REGIONS.slice(1)) expect((await accepted("POST", "/regions", { token: "operator", body: replica(n) })).status).toBe("succeeded");
  // A later failure prints the (now known) password bare.
  rig.runner.failures.set("preview:eu-west-1", `psql: authentication failed for user aragora using ${passwordOf("eu-west-1")}`);
  expect((await accepted("POST", "/regions/eu-west-1/preview", { token: "operator" })).status).toBe("failed");
  expect((await accepted("PUT", "/regions/us-east-1", { token: "operator", body: { ...primary, app: { replicas: 2 } } })).status).toBe("succeeded");
  for (const kind of ["refresh", "validate", "reconcile"]) expect((await accepted("POST", `/fleet/${kind}`, { token: "operator" })).status).toBe("succeeded");
  expect((await accepted("POST", "/failover", { body: { to: "eu-west-1" } })).status).toBe("succeeded");
  expect((await accepted("DELETE", "/regions/ap-south-1")).status).toBe("succeeded");

  // Refused credentials: near-misses of real tokens, and the passphrase presented as a token.
  for (const token of [`${TOKENS.admin}x`, TOKENS.operator.slice(0, -1), PASSPHRASE]) {
    expect((await rig.req("GET", "/regions", { token })).status).toBe(401);
  }
  expect((await rig.req("DELETE", "/regions/eu-west-1", { token: "viewer" })).status).toBe(403);

  // Every read the API offers, by every role.
  for (const as of ["viewer", "operator", "admin"] as const) {
    for (const p of ["/regions", "/operations?limit=500", "/metrics", "/openapi.json", "/health", ...REGIONS.map((r) => `/regions/${r}`)]) await rig.req("GET", p, { token: as });
  }
  await rig.req("GET", "/audit?limit=500");
  const sseTexts: string[] = [];
  for (const id of opIds) {
    await rig.req("GET", `/operations/${id}`, { token: "viewer" });
    sseTexts.push((await rig.sse(id)).text);
  }

  // The scan is only meaningful if the secrets really went through: the engine printed them and the events were stored.
  const rawEvents = rig.runner.calls.length;
  expect(rawEvents).toBeGreaterThan(20);
  const sse = sseTexts.join("\n");
  expect(sse).toContain("replication user ready, secret [secret]");
  expect(sse).toContain("postgres://aragora:[secret]@");
  expect(sse.match(/event: end/g)?.length).toBe(opIds.length);

  const responses = rig.seen.join("\n");
  const logs = rig.logs.lines.join("\n");
  const table = JSON.stringify(rig.dump({ withAudit: true }));
  const files = fs
    .readdirSync(rig.stateDir)
    .filter((f) => f.startsWith("aragora.db"))
    .map((f) => fs.readFileSync(path.join(rig.stateDir, f)).toString("latin1"))
    .join("\n");
  expect(logs).toContain("\"status\":401");
  expect(table).toContain("[secret]");

  const found = {
    responses: hits(responses, NEEDLES),
    sse: hits(sse, NEEDLES),
    logs: hits(logs, NEEDLES),
    tables: hits(table, NEEDLES),
    dbFiles: hits(files, NEEDLES),
  };
  const total = Object.fromEntries(Object.entries(found).map(([k, v]) => [k, Object.values(v).reduce((a, b) => a + b, 0)]));
  console.log(
    `secret scan: ${NEEDLES.length} needles over ${rig.seen.length} response bodies (${responses.length} chars), ${opIds.length} SSE streams (${sse.length} chars), ` +
      `${rig.logs.lines.length} log lines, ${Object.keys(rig.dump({ withAudit: true })).length} tables, db files ${files.length} bytes; hits ${JSON.stringify(total)}`,
  );
  const zero = Object.fromEntries(NEEDLES.map((n) => [n, 0]));
  expect(found).toEqual({ responses: zero, sse: zero, logs: zero, tables: zero, dbFiles: zero });
});
