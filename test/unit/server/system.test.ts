import * as fs from "node:fs";
import { createLogger } from "../../../server/logger";
import { maskOutputs, scrubText, SecretScrubber } from "../../../server/mask";
import { primary } from "../../support/fixtures";
import { TOKENS } from "../../support/http";
import { startTestService, LogSink, type FakeService } from "../../support/serviceDriver";

describe("health, metrics, OpenAPI, logs", () => {
  let h: FakeService;
  beforeAll(async () => { h = await startTestService({ handlers: {} }); });
  afterAll(async () => { await h.close(); });

  test("when /health is called without a token, then 200 ok", async () => {
    const res = await h.req("GET", "/health", { token: null });
    expect(res.status).toBe(200);
    expect(res.body).toEqual({ status: "ok", version: (JSON.parse(fs.readFileSync("package.json", "utf8")) as { version: string }).version });
  });

  test("when operations have run, then /metrics exports operations by kind and status, step duration histograms and queue depth", async () => {
    const p = await h.req("POST", "/regions", { body: primary });
    await h.waitFor(p.body.operation.id);
    const res = await h.req("GET", "/metrics", { token: "viewer" });
    expect(res.status).toBe(200);
    expect(res.headers.get("content-type")).toBe("text/plain; version=0.0.4; charset=utf-8");
    const lines = (res.body as string).split("\n");
    const ours = lines.filter((l) => /^aragora_/.test(l));
    // One add of a primary: two `up` steps, each well under a second.
    expect(ours.filter((l) => l.startsWith("aragora_operations"))).toEqual(['aragora_operations{kind="add",status="succeeded"} 1']);
    expect(ours.filter((l) => l.startsWith("aragora_step_duration_seconds_") && !l.includes("_sum"))).toEqual([
      ...[1, 5, 15, 30, 60, 120, 300, 600, 1800, "+Inf"].map((le) => `aragora_step_duration_seconds_bucket{action="up",le="${le}"} 2`),
      'aragora_step_duration_seconds_count{action="up"} 2',
    ]);
    expect(ours.find((l) => l.startsWith("aragora_step_duration_seconds_sum"))).toMatch(/^aragora_step_duration_seconds_sum\{action="up"\} 0(\.\d+)?$/);
    expect(ours.filter((l) => /^aragora_(queue_depth|steps_)/.test(l))).toEqual(["aragora_queue_depth 0", "aragora_steps_waiting 0", "aragora_steps_running 0"]);
    // prom-client's process series beside ours, from this service's own registry.
    for (const name of ["process_cpu_seconds_total", "process_resident_memory_bytes", "nodejs_eventloop_lag_p99_seconds", "nodejs_eventloop_lag_max_seconds", "nodejs_heap_size_used_bytes"]) {
      expect(lines).toContainEqual(expect.stringMatching(new RegExp(`^${name} [0-9.e-]+$`)));
    }
    expect(res.body).not.toContain("pg_replication_lag_seconds");
  });

  test("when /openapi.json is read, then it is OpenAPI 3 with every v1 path and the zod-generated schemas", async () => {
    const res = await h.req("GET", "/openapi.json", { token: "viewer" });
    expect(res.status).toBe(200);
    expect(res.body.openapi).toMatch(/^3\./);
    expect(Object.keys(res.body.paths).sort()).toEqual([
      "/audit", "/failover", "/fleet/apply", "/fleet/reconcile", "/fleet/refresh", "/fleet/validate", "/health", "/metrics", "/openapi.json",
      "/operations", "/operations/{id}", "/operations/{id}/cancel", "/operations/{id}/events", "/operations/{id}/retry",
      "/regions", "/regions/{name}", "/regions/{name}/preview", "/stacks/{name}/pending-operations",
    ]);
    const schemas = res.body.components.schemas;
    for (const id of ["RegionSpec", "RegionSpecInput", "Region", "Operation", "Step", "Event", "Error", "DryRun", "FailoverRequest", "PendingDecisions", "PendingOperations"]) expect(schemas[id]).toBeDefined();
    expect(schemas.RegionSpecInput.properties.postgres).toBeDefined();
    expect(res.body.paths["/regions/{name}"].delete["x-required-role"]).toBe("admin");
    expect(JSON.stringify(res.body)).not.toContain('"$id"');
  });

  test("when requests are served, then each is logged as structured JSON without the Authorization header", async () => {
    await h.req("GET", "/regions", { token: "viewer" });
    const lines = h.logs.lines.map((l) => JSON.parse(l));
    const req = lines.find((l) => l.msg === "request" && l.path === "/regions" && l.method === "GET");
    expect(req).toMatchObject({ method: "GET", status: 200, actor: "vera" });
    expect(h.logs.lines.join("\n")).not.toContain(TOKENS.viewer);
  });
});

describe("masking and redaction", () => {
  test("when a logger is given secret-named fields, then they are redacted at the logger", () => {
    const sink = new LogSink();
    const log = createLogger({ destination: sink });
    log.info({ password: "p1", req: { headers: { authorization: "Bearer t0k" } }, env: { DATABASE_URL: "postgres://u:p@h/db" }, step: { token: "t2" } }, "hello");
    const line = sink.lines.join("\n");
    for (const s of ["p1", "t0k", "postgres://u:p@h/db", "t2"]) expect(line).not.toContain(s);
    expect(line).toContain("[secret]");
  });

  test("when outputs are masked, then secret outputs and secret-named keys become [secret] and URL credentials are scrubbed", () => {
    expect(
      maskOutputs({
        dbPassword: { value: "pw", secret: true },
        kubeconfig: { value: "apiVersion: v1", secret: false },
        appUrl: { value: "http://127.0.0.1:1", secret: false },
        note: { value: "redis://:pw@host:6379", secret: false },
        nested: { value: { redisUrl: "redis://x", port: 1 }, secret: false },
      }),
    ).toEqual({ dbPassword: "[secret]", kubeconfig: "[secret]", appUrl: "http://127.0.0.1:1", note: "redis://:[secret]@host:6379", nested: { redisUrl: "[secret]", port: 1 } });
    expect(scrubText("postgres://app:s3cr3t@db:5432/x password=abc PGPASSWORD='q'")).toBe("postgres://app:[secret]@db:5432/x password=[secret] PGPASSWORD=[secret]");
  });

  test("when an engine message prints a serialized secret or a value learned from secret outputs, then it is scrubbed", () => {
    const flattened = "bytes,,24,kind,,,secret,value,,,,,4dabf18193072939515e22adb298388d,,,1b47061264138c4ac30d75fd1eb44270,value,,,Zx9-pw_Q,,info";
    expect(scrubText(flattened)).toBe("bytes,,24,kind,,,secret,value,,,,,4dabf18193072939515e22adb298388d,,,1b47061264138c4ac30d75fd1eb44270,value,,,[secret],,info");
    const json = JSON.stringify({ "4dabf18193072939515e22adb298388d": "1b47061264138c4ac30d75fd1eb44270", value: "Zx9-pw_Q" });
    expect(scrubText(json)).not.toContain("Zx9-pw_Q");
    const s = new SecretScrubber();
    s.learn({ pw: { value: "hunter2hunter2", secret: true }, port: { value: "5432-open", secret: false } });
    expect(s.scrub("started with hunter2hunter2 on 5432-open")).toBe("started with [secret] on 5432-open");
  });
});
