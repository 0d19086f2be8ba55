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
import { ownPlugins } from "../../../stacks/plugins";
import { until } from "../../support/http";
import { alive, childrenOf } from "../../support/processTree";

jest.setTimeout(120_000);

/** Children of `pid` whose command line runs the provider server. */
function providerServersOf(pid: number): number[] {
  return childrenOf(pid).filter((p) => p.argv.some((a) => /[/\\]local[/\\]provider[/\\]main\.(js|ts)$/.test(a))).map((p) => p.pid);
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
    const firstServer = await until(() => providerServersOf(first!)[0], 60_000, "the first host's provider server");

    runner.prepare(2);
    expect(runner.hostPids()).toHaveLength(2);
    runner.prepare(5); // capped at maxHosts
    const hosts = runner.hostPids();
    expect(hosts).toHaveLength(3);
    const spares = hosts.filter((p) => p !== first);
    const spareServers = await until(() => {
      const found = spares.map((h) => providerServersOf(h)[0]);
      return found.every((p) => p !== undefined) ? found : undefined;
    }, 60_000, "a provider server in every spare host");

    // Idle past idleMs: the spare hosts exit, their servers with them; the first host stays.
    await until(() => (runner.hostPids().length === 1 ? true : undefined), 60_000, "the spare hosts to retire");
    expect(runner.hostPids()).toEqual([first]);
    await until(() => ([...spares, ...spareServers].some(alive) ? undefined : true), 15_000, "the spare hosts' servers to exit");
    expect(alive(firstServer)).toBe(true);
  });

  test("when the runner closes, then its hosts and their provider servers exit", async () => {
    const hosts = runner.hostPids();
    const servers = hosts.flatMap(providerServersOf);
    expect(servers.length).toBeGreaterThan(0);
    await runner.close();
    await until(() => ([...hosts, ...servers].some(alive) ? undefined : true), 15_000, "every host and server to exit");
  });
});
