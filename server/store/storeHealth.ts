/**
 * Whether the service's database can be written, as the store's own calls find out. A call that
 * fails with a store fault (errors.ts: disk full, read-only, I/O error, damaged file) makes the
 * store degraded: the caller gets a StoreUnavailableError (503 `store_unavailable` through the API)
 * and `GET /health` says degraded, naming the cause. The service keeps running: requests that only
 * read are answered, and operations whose progress cannot be recorded fail (dispatcher.ts).
 *
 * It is ok again once a probe write succeeds (Store.checkWritable: a committed write that needs a
 * page of its own). Any other write may succeed on a full disk while it fits in pages the database
 * already has, so a lucky small write does not end the fault. The probe runs after a store call
 * succeeds, on `/health`, and every few seconds on its own, at most once a second.
 */
import { StoreUnavailableError, storeUnavailable } from "../errors";
import type { Logger } from "../logger";
import type { Store } from "./store";

export interface StoreFault {
  /** SQLite's code of the latest failure (`SQLITE_FULL`, …). */
  code: string;
  /** The latest failure, as the API states it: "the service's database cannot be written: disk full (SQLITE_FULL)". */
  message: string;
  /** When the store became degraded (ISO 8601). */
  since: string;
}

export interface StoreHealthOptions {
  /** A write that needs a new page; resolves when it was committed (the raw store's checkWritable). */
  probe: () => Promise<void>;
  logger: Logger;
  /** While degraded, a probe this often (default 5 s). */
  probeEveryMs?: number;
  /** Probes at most this often, whatever asks (default 1 s). */
  minProbeGapMs?: number;
}

export class StoreHealth {
  private current: StoreFault | undefined;
  private probing: Promise<void> | undefined;
  private lastProbe = 0;
  private timer: NodeJS.Timeout | undefined;
  private waiters: (() => void)[] = [];
  private closed = false;

  constructor(private readonly o: StoreHealthOptions) {}

  /** The fault while degraded; undefined while ok. */
  get fault(): StoreFault | undefined {
    return this.current;
  }

  /** Records `err` if it is a store fault; returns what the caller should throw: a StoreUnavailableError for a fault, else `err`. */
  failed(err: unknown): Error {
    const fault = storeUnavailable(err);
    if (!fault) return err instanceof Error ? err : new Error(String(err));
    if (this.current) {
      this.current = { ...this.current, code: fault.sqliteCode, message: fault.message };
    } else {
      this.current = { code: fault.sqliteCode, message: fault.message, since: new Date().toISOString() };
      this.o.logger.error({ code: fault.sqliteCode }, `store degraded: ${fault.message}`);
      if (!this.closed) {
        this.timer = setInterval(() => {
          void this.check();
        }, this.o.probeEveryMs ?? 5000);
        this.timer.unref();
      }
    }
    return fault;
  }

  /** A store call succeeded: when degraded, see whether writes work again. */
  succeeded(): void {
    if (this.current) void this.check();
  }

  /** The fault after a fresh probe when degraded (and one is due); undefined when ok. */
  async check(): Promise<StoreFault | undefined> {
    if (!this.current || this.closed) return this.current;
    if (!this.probing && Date.now() - this.lastProbe >= (this.o.minProbeGapMs ?? 1000)) {
      this.lastProbe = Date.now();
      this.probing = Promise.resolve()
        .then(() => this.o.probe())
        .then(
          () => {
            this.recovered();
          },
          (err: unknown) => {
            this.failed(err);
          },
        )
        .finally(() => {
          this.probing = undefined;
        });
    }
    await this.probing;
    return this.current;
  }

  /** Resolves once the store can be written again: at once when it can, or when health closes. */
  whenWritable(): Promise<void> {
    if (!this.current || this.closed) return Promise.resolve();
    return new Promise((resolve) => this.waiters.push(resolve));
  }

  /** Stops probing and lets every waiter go (at shutdown). */
  close(): void {
    this.closed = true;
    this.stopProbing();
    this.wake();
  }

  private recovered(): void {
    const was = this.current;
    this.current = undefined;
    this.stopProbing();
    if (was) this.o.logger.info({ code: was.code, since: was.since }, "store writable again");
    this.wake();
  }

  private stopProbing(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
  }

  private wake(): void {
    for (const w of this.waiters.splice(0)) w();
  }
}

/**
 * `store` with every call watched by `health`: a store fault comes back as a StoreUnavailableError,
 * always as a rejection (the SQLite store throws synchronously, which would escape a caller's
 * `.catch`), and a call that succeeds lets `health` check whether writes work again.
 */
export function guardStore(store: Store, health: StoreHealth): Store {
  return new Proxy(store, {
    get(target, key, receiver) {
      const value: unknown = Reflect.get(target, key, receiver);
      if (typeof value !== "function" || key === "close") return value;
      const method = value as (...args: unknown[]) => Promise<unknown>;
      return (...args: unknown[]): Promise<unknown> => {
        let result: Promise<unknown>;
        try {
          result = method.apply(target, args);
        } catch (err) {
          return Promise.reject(health.failed(err));
        }
        return result.then(
          (v) => {
            health.succeeded();
            return v;
          },
          (err: unknown) => Promise.reject(health.failed(err)),
        );
      };
    },
  });
}

/**
 * `read()`, or undefined when the store cannot answer it: for what a response shows after its
 * change was committed, so a committed change is never answered with an error.
 */
export async function unlessStoreDown<T>(read: () => Promise<T>): Promise<T | undefined> {
  try {
    return await read();
  } catch (err) {
    if (err instanceof StoreUnavailableError) return undefined;
    throw err;
  }
}
