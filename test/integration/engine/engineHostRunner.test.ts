/**
 * The engine host pool as processes: hosts started ahead of a wave (prepare), capped at maxHosts,
 * spare ones retiring when idle; each host keeps an aragora-local provider server, which goes when
 * its host goes. No engine run is needed for any of it.
 */
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { createEngineHostRunner } from "../../../server/engine/engineHostRunner";
import { findPulumiBinDir, projectDir } from "../../../server/engine/toolchain";
import { alive } from "../local/helpers";
import { ownPlugins } from "../../../stacks/plugins";

jest.setTimeout(120_000);

/** Children of `pid` whose command line runs the provider server. */
function providerServersOf(pid: number): number[] {
  const out: number[] = [];
  for (const d of fs.readdirSync("/proc")) {
    if (!/^[0-9]+$/.test(d)) continue;
    try {
      const stat = fs.readFileSync(`/proc/${d}/stat`, "utf8");
      const ppid = Number(stat.slice(stat.lastIndexOf(")") + 2).split(" ")[1]);
      if (ppid !== pid || !alive(Number(d))) continue;
      if (fs.readFileSync(`/proc/${d}/cmdline`, "utf8").split("\0").some((a) => /[/\\]local[/\\]provider[/\\]main\.(js|ts)$/.test(a))) out.push(Number(d));
    } catch {
      /* gone */
    }
  }
  return out;
}

async function until<T>(what: string, probe: () => T | undefined, ms = 60_000): Promise<T> {
  const deadline = Date.now() + ms;
  for (;;) {
    const v = probe();
    if (v !== undefined) return v;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

describe("the engine host pool", () => {
  let stateDir: string;
  let runner: ReturnType<typeof createEngineHostRunner>;

  beforeAll(() => {
    stateDir = fs.mkdtempSync(path.join(os.tmpdir(), "aragora-hosts-"));
    const bin = findPulumiBinDir();
    runner = createEngineHostRunner(
      { stateDir, passphrase: "hosts-test", projectDir: projectDir(), plugins: ownPlugins(), ...(bin ? { pulumiBinDir: bin } : {}) },
      { maxHosts: 3, idleMs: 15_000 },
    );
  });

  afterAll(async () => {
    await runner.close();
    fs.rmSync(stateDir, { recursive: true, force: true });
  });

  test("when a wave of steps is announced, then hosts start ahead up to maxHosts, each with its provider server, and the spare ones retire with their servers when idle", async () => {
    const [first] = runner.hostPids();
    expect(runner.hostPids()).toHaveLength(1);
    const firstServer = await until("the first host's provider server", () => providerServersOf(first!)[0]);

    runner.prepare(2);
    expect(runner.hostPids()).toHaveLength(2);
    runner.prepare(5); // capped at maxHosts
    const hosts = runner.hostPids();
    expect(hosts).toHaveLength(3);
    const spares = hosts.filter((p) => p !== first);
    const spareServers = await until("a provider server in every spare host", () => {
      const found = spares.map((h) => providerServersOf(h)[0]);
      return found.every((p) => p !== undefined) ? found : undefined;
    });

    // Idle past idleMs: the spare hosts exit, their servers with them; the first host stays.
    await until("the spare hosts to retire", () => (runner.hostPids().length === 1 ? true : undefined), 60_000);
    expect(runner.hostPids()).toEqual([first]);
    await until("the spare hosts' servers to exit", () => ([...spares, ...spareServers].some(alive) ? undefined : true), 15_000);
    expect(alive(firstServer)).toBe(true);
  });

  test("when the runner closes, then its hosts and their provider servers exit", async () => {
    const hosts = runner.hostPids();
    const servers = hosts.flatMap(providerServersOf);
    expect(servers.length).toBeGreaterThan(0);
    await runner.close();
    await until("every host and server to exit", () => ([...hosts, ...servers].some(alive) ? undefined : true), 15_000);
  });
});
