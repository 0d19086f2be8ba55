/**
 * Provider implementation for the local global load balancer: one HAProxy daemon, validated
 * config, hitless reload (`-sf <old pid>`) on change.
 */
import * as path from "node:path";
import type * as pulumi from "@pulumi/pulumi";
import { assertPort, assertSafePath } from "../names";
import { changedKeys, processReader, type ProcessState } from "./common";
import { pidAlive, portOpen, readPidFile, runOk, stopPid, waitFor } from "./proc";
import { daemonRead, daemonRename, daemonWrite, makeDaemonDir, removeTree, discardTree } from "./daemonFs";
import { checker } from "./redis";

export interface HaproxyInputs {
  dir: string;
  port: number;
  /** The whole haproxy.cfg (rendered by renderHaproxyConf at program time). */
  config: string;
}
export type HaproxyOutputs = HaproxyInputs & ProcessState & { pidFile: string; configFile: string };

function validateHaproxy(i: HaproxyInputs): void {
  assertSafePath(i.dir, "dir");
  assertPort(i.port, "port");
  if (typeof i.config !== "string" || !i.config.includes(`127.0.0.1:${i.port}`)) throw new Error("config: does not bind the GLB port");
}

function hFiles(i: HaproxyInputs): { pidFile: string; configFile: string } {
  return { pidFile: path.join(i.dir, "haproxy.pid"), configFile: path.join(i.dir, "haproxy.cfg") };
}

async function hState(i: HaproxyInputs): Promise<ProcessState> {
  const pid = readPidFile(hFiles(i).pidFile);
  const running = pidAlive(pid, "haproxy") && (await portOpen(i.port));
  return { running, pid: running && pid !== undefined ? pid : 0 };
}

async function ensureHaproxy(i: HaproxyInputs): Promise<HaproxyOutputs> {
  validateHaproxy(i);
  makeDaemonDir(i.dir);
  const { pidFile, configFile } = hFiles(i);
  const candidate = `${configFile}.new`;
  daemonWrite(candidate, i.config, 0o600);
  await runOk("haproxy -c (config check)", "haproxy", ["-c", "-q", "-f", candidate], { asDaemon: true, timeoutMs: 30_000 });
  const old = daemonRead(configFile);
  daemonRename(candidate, configFile);
  const before = await hState(i);
  const log = path.join(i.dir, "start.log");
  if (!before.running) {
    await stopPid(readPidFile(pidFile), "haproxy");
    await runOk("haproxy", "haproxy", ["-D", "-f", configFile, "-p", pidFile], { asDaemon: true, logFile: log, timeoutMs: 30_000 });
  } else if (old !== i.config) {
    // Hitless reload: the new process takes the listeners, the old one finishes in-flight requests.
    await runOk("haproxy reload", "haproxy", ["-D", "-f", configFile, "-p", pidFile, "-sf", String(before.pid)], { asDaemon: true, logFile: log, timeoutMs: 30_000 });
  }
  if (!(await waitFor(() => portOpen(i.port), 10_000))) throw new Error(`HAProxy did not listen on port ${i.port}`);
  return { ...i, ...(await hState(i)), pidFile, configFile };
}

export const haproxy: pulumi.dynamic.ResourceProvider = {
  check: checker(validateHaproxy),
  async diff(_id: string, olds: HaproxyOutputs, news: HaproxyInputs) {
    const changed = changedKeys(olds as unknown as Record<string, unknown>, news as unknown as Record<string, unknown>, ["dir", "port", "config"]);
    const alive = olds.running && (await hState(news)).running;
    return { changes: changed.length > 0 || !alive, replaces: changed.filter((k) => k === "dir"), deleteBeforeReplace: true };
  },
  async create(inputs: HaproxyInputs) {
    try {
      return { id: `haproxy:${inputs.dir}`, outs: await ensureHaproxy(inputs) };
    } catch (err) {
      await stopPid(readPidFile(hFiles(inputs).pidFile), "haproxy").catch(() => undefined);
      discardTree(inputs.dir);
      throw err;
    }
  },
  read: processReader(hState),
  async update(_id: string, olds: HaproxyOutputs, news: HaproxyInputs) {
    if (olds.port !== news.port) await stopPid(readPidFile(hFiles(olds).pidFile), "haproxy");
    return { outs: await ensureHaproxy(news) };
  },
  async delete(_id: string, props: HaproxyOutputs) {
    validateHaproxy(props);
    const pid = readPidFile(hFiles(props).pidFile);
    await stopPid(pid, "haproxy");
    // Old processes of earlier reloads exit once idle; make sure none is left on our config.
    removeTree(props.dir);
    if (pidAlive(pid)) await stopPid(pid, "haproxy", "SIGKILL");
  },
};
