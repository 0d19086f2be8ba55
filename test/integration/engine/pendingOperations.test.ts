/**
 * Pending operations with the real engine on a file backend. A killed `pulumi up` leaves the
 * resource operations it had started in the stack's checkpoint; the test writes that state into
 * the checkpoint the way a killed CLI leaves it (a create started, never recorded), since a kill at
 * an exact point is a race. Then: Pulumi itself keeps a pending create across an `up` (and creates
 * the resource again: the duplicate a cloud resource must never get); the runner lists pending
 * operations; `resolvePending` settles an own-provider create by re-running it (the create adopts
 * what is there) and keeps a cloud create for an admin; `decidePending` clears what the admin says
 * never happened. Nothing is ever dropped silently.
 */
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import * as pulumi from "@pulumi/pulumi";
import type { PulumiFn } from "@pulumi/pulumi/automation";
import { createAutomationRunner } from "../../../server/engine/automationRunner";
import { findPulumiBinDir, projectDir } from "../../../server/engine/toolchain";
import { ownPlugins } from "../../../stacks/plugins";
import { OwnedDir } from "../../../components/local/resources";

jest.setTimeout(300_000);

let stateDir: string;
let root: string;
let runner: ReturnType<typeof createAutomationRunner>;

const program: PulumiFn = async () => {
  await Promise.resolve();
  const stack = pulumi.getStack();
  const a = new OwnedDir("a", { root, path: path.join(root, stack, "a") });
  const b = new OwnedDir("b", { root, path: path.join(root, stack, "b") });
  return { a: a.path, b: b.path };
};
const req = (stack: string) => ({ stack, config: {} });

function checkpointFile(stack: string): string {
  return path.join(stateDir, "backend", ".pulumi", "stacks", "aragora", `${stack}.json`);
}

interface Checkpoint { checkpoint: { latest: { resources: Record<string, unknown>[]; pending_operations?: unknown[] } } }

/**
 * What a CLI killed mid-create leaves: the resource named `name` is not recorded, its create is
 * pending (inputs known, no id, no outputs). `extra` adds pending creates of other types.
 */
function killMidCreate(stack: string, name: string, extra: unknown[] = []): string {
  const file = checkpointFile(stack);
  const cp = JSON.parse(fs.readFileSync(file, "utf8")) as Checkpoint;
  const latest = cp.checkpoint.latest;
  const res = latest.resources.find((r) => String(r["urn"]).endsWith(`::${name}`));
  if (!res) throw new Error(`no resource ${name}`);
  latest.resources = latest.resources.filter((r) => r !== res);
  const { id: _id, outputs: _outputs, ...started } = res;
  latest.pending_operations = [{ resource: started, type: "creating" }, ...extra];
  fs.writeFileSync(file, JSON.stringify(cp));
  fs.rmSync(`${file}.attrs`, { force: true });
  return String(res["urn"]);
}

/** A pending create of a cloud resource (its provider cannot be asked here; it never needs to be). */
function cloudCreate(stack: string, from: Record<string, unknown>): { resource: Record<string, unknown>; type: string } {
  const urn = `urn:pulumi:${stack}::aragora::aws:rds/instance:Instance::db`;
  return { type: "creating", resource: { urn, custom: true, type: "aws:rds/instance:Instance", inputs: { engine: "postgres" }, parent: from["parent"], provider: from["provider"] } };
}

async function recorded(stack: string): Promise<string[]> {
  const outputs = await runner.outputs(stack);
  return Object.keys(outputs ?? {}).sort();
}

beforeAll(() => {
  stateDir = fs.mkdtempSync(path.join(os.tmpdir(), "aragora-pending-"));
  fs.chmodSync(stateDir, 0o755);
  root = path.join(stateDir, "local");
  const bin = findPulumiBinDir();
  runner = createAutomationRunner({ stateDir, passphrase: "test-passphrase", projectDir: projectDir(), program, plugins: ownPlugins(), ...(bin ? { pulumiBinDir: bin } : {}) });
});

afterAll(async () => {
  await runner.close();
  fs.rmSync(stateDir, { recursive: true, force: true });
});

describe("pending operations with the real engine", () => {
  it("when an up runs over a pending create, then Pulumi creates the resource again and still keeps the pending create: it is never dropped by itself", async () => {
    await runner.up(req("plain"));
    const urn = killMidCreate("plain", "b");
    expect(await runner.pendingOperations("plain")).toEqual([{ urn, type: "aragora-local:index:Dir", operation: "creating" }]);
    const up = await runner.up(req("plain"));
    expect(up.summary).toEqual({ create: 1, same: 2 });
    expect((await runner.pendingOperations("plain")).map((o) => o.urn)).toEqual([urn]);
  });

  it("when a create of the local provider was left pending, then resolvePending re-runs it, it adopts what is there, and nothing stays pending", async () => {
    await runner.up(req("local"));
    const urn = killMidCreate("local", "b");
    // The killed create had made its directory; put a file in it that adoption must keep.
    fs.writeFileSync(path.join(root, "local", "b", "keep"), "data");
    const events: string[] = [];
    const res = await runner.resolvePending(req("local"), { onEvent: (e) => events.push(`${e.kind}: ${e.message}`) });
    expect(res).toEqual({ resolved: [{ urn, type: "aragora-local:index:Dir", operation: "creating" }], remaining: [] });
    expect(events.find((e) => e.startsWith("pending.found"))).toMatch(/left 1 resource operation\(s\) pending on stack local: creating aragora-local:index:Dir b/);
    expect(await runner.pendingOperations("local")).toEqual([]);
    expect(fs.readFileSync(path.join(root, "local", "b", "keep"), "utf8")).toBe("data");
    expect(await recorded("local")).toEqual(["a", "b"]);
    // The state now records it: a plain up changes nothing, and a destroy removes what the killed create made.
    expect((await runner.up(req("local"))).summary).toEqual({ same: 3 });
    await runner.destroy(req("local"));
    expect(fs.existsSync(path.join(root, "local", "b"))).toBe(false);
  });

  it("when a cloud create was left pending beside a local one, then resolvePending keeps both for an admin, and decidePending clears them only when each is decided", async () => {
    await runner.up(req("cloud"));
    const cp = JSON.parse(fs.readFileSync(checkpointFile("cloud"), "utf8")) as Checkpoint;
    const anyDir = cp.checkpoint.latest.resources.find((r) => String(r["urn"]).endsWith("::a"))!;
    const localUrn = killMidCreate("cloud", "b", [cloudCreate("cloud", anyDir)]);
    const cloud = { urn: "urn:pulumi:cloud::aragora::aws:rds/instance:Instance::db", type: "aws:rds/instance:Instance", operation: "creating" };
    const local = { urn: localUrn, type: "aragora-local:index:Dir", operation: "creating" };

    const res = await runner.resolvePending(req("cloud"));
    // Pulumi clears pending creates per stack, and one of them may exist in the cloud: none is cleared.
    expect(res).toEqual({ resolved: [], remaining: [local, cloud] });
    expect(await runner.pendingOperations("cloud")).toEqual([local, cloud]);

    expect(await runner.decidePending("cloud", [{ urn: cloud.urn, action: "clear" }, { urn: cloud.urn, action: "clear" }, { urn: "urn:pulumi:cloud::aragora::x:y:Z::none", action: "clear" }])).toEqual({
      refused: { undecided: [localUrn], notPending: ["urn:pulumi:cloud::aragora::x:y:Z::none"], twice: [cloud.urn] },
    });
    expect(await runner.pendingOperations("cloud")).toEqual([local, cloud]);
    const left = await runner.decidePending("cloud", [{ urn: cloud.urn, action: "clear" }, { urn: localUrn, action: "clear" }]);
    expect(left).toEqual({ remaining: [] });
    expect(await runner.pendingOperations("cloud")).toEqual([]);
    // The local create that was cleared runs again with the next up (and adopts its directory).
    expect((await runner.up(req("cloud"))).summary).toEqual({ create: 1, same: 2 });
  });

  it("when a killed run's lock is left, then recover removes it and returns the pending operations without dropping them", async () => {
    await runner.up(req("locked"));
    const urn = killMidCreate("locked", "a");
    const pending = await runner.recover("locked");
    expect(pending).toEqual([{ urn, type: "aragora-local:index:Dir", operation: "creating" }]);
    expect(await runner.pendingOperations("locked")).toEqual(pending);
  });
});
