/** Shared shapes and small helpers of the local providers. */
import * as http from "node:http";

/** What every process-backed resource reports besides its inputs. */
export interface ProcessState {
  /** The process runs (not a zombie) and its port answers. False after it died: `up` restarts it. */
  running: boolean;
  /** Its pid when running, else 0. */
  pid: number;
}

/**
 * A process-backed provider's `read`: the recorded outputs, with `running` and `pid` as the
 * machine says now (a refresh notices a daemon that died).
 */
export function processReader<O extends object>(state: (props: O) => Promise<ProcessState>) {
  return async (id: string, props?: O): Promise<{ id: string; props?: O & ProcessState }> =>
    props === undefined ? { id } : { id, props: { ...props, ...(await state(props)) } };
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

/** An error's message; socket errors need not be instances of this realm's Error (under jest they are not). */
export function errorMessage(err: unknown): string {
  const m = (err as { message?: unknown } | null)?.message;
  return typeof m === "string" ? m : String(err);
}

/** Pulumi's marker for a value not known yet (a preview of inputs computed by other resources). */
const UNKNOWN = "04da6b54-80e4-46f7-96ec-b56ff0331ba9";

/** True when any input is still unknown: validation waits for create/update, which validate again. */
export function hasUnknowns(value: unknown): boolean {
  if (value === UNKNOWN) return true;
  if (Array.isArray(value)) return value.some(hasUnknowns);
  if (value !== null && typeof value === "object") return Object.values(value).some(hasUnknowns);
  return false;
}
