/**
 * Cancel and retry of an operation need the role its kind needed to be started: an operator may
 * cancel and retry an update, but a removal or a failover only an admin may (403 naming the kind
 * and the role, with nothing changed).
 */
import { ADMIN_OPERATION_KINDS, roleForKind } from "../../../server/auth/operationRoles";
import { OPERATION_KINDS } from "../../../domain/model";
import { primary, replica } from "../../support/fixtures";
import { until } from "../../support/http";
import { startTestService, type FakeService } from "../../support/serviceDriver";

let h: FakeService;
beforeEach(async () => {
  h = await startTestService();
  const res = await h.req("POST", "/fleet/apply", { body: { regions: [primary, replica("eu-west-1"), replica("ap-south-1")] } });
  expect((await h.waitFor(res.body.operation.id)).status).toBe("succeeded");
});
afterEach(async () => {
  await h.close();
});

/** Holds `action` on `stack` in the fake engine until the returned function is called. */
function hold(action: string, stack: string): () => void {
  let release = (): void => undefined;
  h.runner.gates.set(`${action}:${stack}`, new Promise<void>((r) => { release = r; }));
  return () => {
    h.runner.gates.delete(`${action}:${stack}`);
    release();
  };
}

const engineRunning = (stack: string): Promise<true> => until(() => (h.runner.running.has(stack) ? true : undefined), 5000, `a step on ${stack}`);

/** The operator is refused cancel and retry of `id` (a `kind` operation) with a 403 naming both; nothing changes. */
async function operatorRefused(id: string, kind: string): Promise<void> {
  const status = (await h.req("GET", `/operations/${id}`)).body.status as string;
  const calls = h.runner.calls.length;
  for (const verb of ["cancel", "retry"]) {
    const res = await h.req("POST", `/operations/${id}/${verb}`, { token: "operator" });
    expect({ verb, status: res.status, code: res.body.error?.code }).toEqual({ verb, status: 403, code: "forbidden" });
    expect(res.body.error.message).toBe(`operation ${id} is a ${kind} operation: to ${verb} it needs the admin role, as starting it does; otto is operator`);
  }
  expect((await h.req("GET", `/operations/${id}`)).body.status).toBe(status);
  expect(h.runner.calls.length).toBe(calls);
}

test("the admin kinds are removal and failover, the two kinds whose routes need admin", async () => {
  expect(ADMIN_OPERATION_KINDS).toEqual(["remove", "failover"]);
  expect(OPERATION_KINDS.filter((k) => roleForKind(k) === "admin")).toEqual(["remove", "failover"]);
  const doc = (await h.req("GET", "/openapi.json", { token: "viewer" })).body;
  expect(doc.paths["/regions/{name}"].delete["x-required-role"]).toBe("admin");
  expect(doc.paths["/failover"].post["x-required-role"]).toBe("admin");
});

/** The two admin kinds: how each starts (held in the engine on `stack`), and what its success leaves. */
const ADMIN_CASES = [
  {
    name: "a removal", kind: "remove", action: "destroy", stack: "ap-south-1",
    start: () => h.req("DELETE", "/regions/ap-south-1"),
    succeeded: async () => { expect((await h.req("GET", "/regions/ap-south-1")).status).toBe(404); },
  },
  {
    name: "a failover", kind: "failover", action: "up", stack: "eu-west-1",
    start: () => h.req("POST", "/failover", { body: { to: "eu-west-1" } }),
    succeeded: async () => { expect((await h.req("GET", "/regions/eu-west-1")).body.spec.primary).toBe(true); },
  },
];

test.each(ADMIN_CASES)("when $name runs, then an operator may neither cancel nor retry it; an admin cancels and retries it to success", async (c) => {
  const release = hold(c.action, c.stack);
  const res = await c.start();
  expect(res.status).toBe(202);
  const id = res.body.operation.id as string;
  await engineRunning(c.stack);

  await operatorRefused(id, c.kind);
  expect(h.runner.running.has(c.stack)).toBe(true);

  expect((await h.req("POST", `/operations/${id}/cancel`, { token: "admin" })).status).toBe(200);
  expect((await h.waitFor(id)).status).toBe("cancelled");
  await operatorRefused(id, c.kind);

  release();
  expect((await h.req("POST", `/operations/${id}/retry`, { token: "admin" })).status).toBe(202);
  expect((await h.waitFor(id)).status).toBe("succeeded");
  await c.succeeded();
});

test("when an update runs, then the operator who may start it may cancel and retry it", async () => {
  const release = hold("up", "eu-west-1");
  const res = await h.req("PUT", "/regions/eu-west-1", { token: "operator", body: { ...replica("eu-west-1"), app: { replicas: 2 } } });
  expect(res.status).toBe(202);
  const id = res.body.operation.id as string;
  await engineRunning("eu-west-1");

  expect((await h.req("POST", `/operations/${id}/cancel`, { token: "operator" })).status).toBe(200);
  expect((await h.waitFor(id)).status).toBe("cancelled");
  release();
  expect((await h.req("POST", `/operations/${id}/retry`, { token: "operator" })).status).toBe(202);
  expect((await h.waitFor(id)).status).toBe("succeeded");
});

test("when the operation does not exist, then cancel and retry are 404 for an operator", async () => {
  for (const verb of ["cancel", "retry"]) {
    expect((await h.req("POST", `/operations/00000000-0000-4000-8000-000000000000/${verb}`, { token: "operator" })).status).toBe(404);
  }
});
