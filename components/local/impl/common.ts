/** Shared shapes and small helpers of the local providers. */
import * as http from "node:http";

/** What every process-backed resource reports besides its inputs. */
export interface ProcessState {
  /** The process runs (not a zombie) and its port answers. False after it died: `up` restarts it. */
  running: boolean;
  /** Its pid when running, else 0. */
  pid: number;
}

/** Keys whose values differ between two records (JSON comparison). */
export function changedKeys(olds: Record<string, unknown>, news: Record<string, unknown>, keys: readonly string[]): string[] {
  return keys.filter((k) => JSON.stringify(olds[k]) !== JSON.stringify(news[k]));
}

/** GET http://127.0.0.1:port/path → status code, or undefined when nothing answers. */
export function httpStatus(port: number, path: string, timeoutMs = 1000): Promise<number | undefined> {
  return new Promise((resolve) => {
    const req = http.get({ host: "127.0.0.1", port, path, timeout: timeoutMs }, (res) => {
      res.resume();
      resolve(res.statusCode);
    });
    req.on("timeout", () => {
      req.destroy();
      resolve(undefined);
    });
    req.on("error", () => { resolve(undefined); });
  });
}

export function errorMessage(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}
