/**
 * The README's quick start as root, from a state dir under a 0700 directory (as a clone in /root,
 * or `mktemp -d`, gives): the service brings up a primary and a streaming replica region. The local
 * daemons run as the unprivileged daemon user, with their data in a directory outside the state
 * dir that the user can reach, recorded in the state dir and linked from `<state dir>/local`.
 */
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { daemonIds } from "../../components/local/impl/daemonFs";
import { ROOT_LOCAL_BASE } from "../../server/localRoot";
import { request } from "../integration/local/helpers";
import { apiFor, TOKEN_ENV, waitForOperation } from "../support/http";
import { freePortBlock } from "../support/ports";
import { killAll, processesMentioning } from "../support/processTree";
import { spawnService, waitHealthy, type ServiceChild } from "../support/serviceProcess";

jest.setTimeout(600_000);

const asRoot = process.getuid?.() === 0;

let parent: string;
let service: ServiceChild | undefined;
let localRoot: string | undefined;

/** Real uid of a process, from /proc. */
function uidOf(pid: number): number | undefined {
  try {
    const line = fs.readFileSync(`/proc/${String(pid)}/status`, "utf8").split("\n").find((l) => l.startsWith("Uid:"));
    return line === undefined ? undefined : Number(line.split(/\s+/)[1]);
  } catch {
    return undefined;
  }
}

beforeEach(() => {
  parent = fs.mkdtempSync(path.join(os.tmpdir(), "aragora-root-"));
  expect(fs.statSync(parent).mode & 0o777).toBe(0o700);
});

afterEach(async () => {
  if (service && service.child.exitCode === null) {
    service.child.kill("SIGKILL");
    await new Promise((r) => service?.child.once("exit", r));
  }
  if (localRoot !== undefined) {
    killAll(processesMentioning(localRoot).map((p) => p.pid));
    await new Promise((r) => setTimeout(r, 500));
    fs.rmSync(localRoot, { recursive: true, force: true });
  }
  fs.rmSync(parent, { recursive: true, force: true });
});

(asRoot ? test : test.skip)("when root starts the service with its state dir under a 0700 directory, then a primary and a replica come up, their daemons run as the daemon user", async () => {
  const stateDir = path.join(parent, "state");
  const base = await freePortBlock(42, 16000, 19999);
  const port = base + 41;
  service = spawnService({
    PORT: String(port),
    ARAGORA_STATE_DIR: stateDir,
    ARAGORA_API_TOKENS: TOKEN_ENV,
    ARAGORA_LOCAL_PORT_RANGE: `${String(base)}-${String(base + 39)}`,
    ARAGORA_GLB_PORT: String(base + 40),
    ARAGORA_LOG_LEVEL: "info",
  });
  await waitHealthy(service, port);
  const api = apiFor(`http://127.0.0.1:${String(port)}`);

  // Where the data went: recorded, linked, outside the unreachable parent.
  localRoot = fs.readFileSync(path.join(stateDir, "local-root"), "utf8").trim();
  expect(localRoot).toMatch(new RegExp(`^${ROOT_LOCAL_BASE}/[0-9a-f]{16}$`));
  expect(fs.readlinkSync(path.join(stateDir, "local"))).toBe(localRoot);
  expect(service.output()).toContain("local target data lives outside the state dir");

  for (const spec of [{ name: "us-east-1", primary: true, app: { replicas: 1 } }, { name: "eu-west-1", app: { replicas: 1 } }]) {
    const res = await api("POST", "/regions", { token: "operator", body: spec });
    expect(res.status).toBe(202);
    const op = await waitForOperation(api, res.body.operation.id);
    expect({ region: spec.name, status: op.status, error: op.error }).toEqual({ region: spec.name, status: "succeeded", error: undefined });
  }

  // Every daemon of the fleet runs as the daemon user; none as root.
  const { uid, gid } = daemonIds();
  const procs = processesMentioning(localRoot);
  const kinds = new Set(procs.map((p) => (/postgres -D/.test(p.cmd) ? "postgres" : /redis-server/.test(p.cmd) ? "redis" : /sentinel/.test(p.cmd) ? "sentinel" : /haproxy/.test(p.cmd) ? "haproxy" : /standin-app/.test(p.cmd) ? "app" : "other")));
  expect([...kinds].filter((k) => k !== "other").sort()).toEqual(["app", "haproxy", "postgres", "redis", "sentinel"]);
  const notDaemon = procs.filter((p) => uidOf(p.pid) !== uid).map((p) => `${String(uidOf(p.pid))} ${p.cmd}`);
  expect(notDaemon).toEqual([]);

  // Directories: root's down to each region, the daemon user's below.
  const region = path.join(localRoot, "us-east-1");
  expect(fs.statSync(region).uid).toBe(0);
  for (const dir of ["postgres", "redis", "sentinel", "app-0"]) {
    const st = fs.lstatSync(path.join(region, dir));
    expect({ dir, uid: st.uid, gid: st.gid, mode: st.mode & 0o777 }).toEqual({ dir, uid, gid, mode: 0o700 });
  }

  // The replica streams from the primary: a write through the primary's app is read on the replica's.
  const outputs = (name: string) => api("GET", `/regions/${name}`, { token: "viewer" }).then((r) => r.body.outputs as { appPorts: number[] });
  const appPort = (o: { appPorts: number[] }) => o.appPorts[0] ?? 0;
  const us = await outputs("us-east-1");
  const eu = await outputs("eu-west-1");
  const created = await request(appPort(us), "POST", "/debates", { body: { topic: "root quick start", body: "as the daemon user" } });
  expect(created.status).toBe(201);
  const id = (created.body as { debate: { id: string } }).debate.id;
  let seen: number | undefined;
  for (let i = 0; i < 100 && seen !== 200; i++) {
    seen = (await request(appPort(eu), "GET", `/debates/${id}`)).status;
    if (seen !== 200) await new Promise((r) => setTimeout(r, 100));
  }
  expect(seen).toBe(200);
});
