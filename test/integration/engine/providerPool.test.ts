/**
 * The `aragora-local` provider servers as processes: leased to one run at a time, pooled after a
 * good run, killed after a bad one, retired after maxRuns; a server that cannot start is a clear error.
 */
import * as net from "node:net";
import * as os from "node:os";
import * as path from "node:path";
import { ProviderPool } from "../../../server/engine/providerPool";
import { alive } from "../../support/processTree";
import { localProviderPlugin } from "../../../components/local/provider";

const plugin = localProviderPlugin();

jest.setTimeout(120_000);

async function gone(pid: number): Promise<void> {
  const deadline = Date.now() + 10_000;
  while (alive(pid)) {
    if (Date.now() > deadline) throw new Error(`pid ${String(pid)} still alive`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

/** The server answers on its port (a gRPC server accepts the TCP connection). */
function listening(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const s = net.connect({ host: "127.0.0.1", port }, () => {
      s.end();
      resolve(true);
    });
    s.on("error", () => { resolve(false); });
  });
}

describe("the provider server pool", () => {
  const pool = new ProviderPool({ plugin, env: process.env, cwd: os.tmpdir(), maxRuns: 2 });
  afterAll(async () => { await pool.close(); });

  test("when a run ends well, then the next run gets the same server; after maxRuns runs, a new one", async () => {
    const a = await pool.lease();
    expect(await listening(a.port)).toBe(true);
    expect(pool.pids()).toEqual([a.pid]);
    a.release(true);
    const b = await pool.lease();
    expect(b.pid).toBe(a.pid);
    b.release(true); // its second run: retired
    await gone(a.pid);
    const c = await pool.lease();
    expect(c.pid).not.toBe(a.pid);
    c.release(true);
  });

  test("when two runs overlap, then each has a server of its own", async () => {
    const [x, y] = await Promise.all([pool.lease(), pool.lease()]);
    expect(x.pid).not.toBe(y.pid);
    expect(x.port).not.toBe(y.port);
    x.release(true);
    y.release(true);
  });

  test("when a run fails, then its server is killed at once", async () => {
    const d = await pool.lease();
    d.release(false);
    await gone(d.pid);
    expect(pool.pids()).not.toContain(d.pid);
  });

  test("when a pool closes, then its servers, leased or idle, have exited by the time close() settles", async () => {
    const own = new ProviderPool({ plugin, env: process.env, cwd: os.tmpdir() });
    const [idle, leased] = await Promise.all([own.lease(), own.lease()]);
    idle.release(true);
    await own.close();
    expect([alive(idle.pid), alive(leased.pid)]).toEqual([false, false]);
    expect(own.pids()).toEqual([]);
  });

  test("when the server's module is missing, then the lease fails saying why", async () => {
    const missing = new ProviderPool({ plugin: { name: "aragora-local", main: path.join(os.tmpdir(), "no-such-provider-main") }, env: process.env, cwd: os.tmpdir() });
    await expect(missing.lease()).rejects.toThrow(/exited before it listened/);
    await missing.close();
  });

  test("when the server cannot start, then the lease fails saying why", async () => {
    const broken = new ProviderPool({ plugin, env: process.env, cwd: path.join(os.tmpdir(), "no-such-dir-for-providers") });
    await expect(broken.lease()).rejects.toThrow(/ENOENT|exited before it listened/);
    await broken.close();
  });
});
