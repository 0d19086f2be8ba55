/**
 * One short-lived connection to a Redis or Sentinel of the local target: connect, run `fn`,
 * disconnect, whatever happens. No offline queue, no retries and no reconnects (callers poll with
 * their own deadline, or report what answers now), connect and command timeouts, so nothing of it
 * outlives the call. Used by the provider's implementations and, through ./index.ts, the drills.
 */
import Redis from "ioredis";
import { errorMessage } from "./impl/common";

export async function withRedis<T>(host: string, port: number, timeoutMs: number, fn: (redis: Redis) => Promise<T>, password?: string): Promise<T> {
  const redis = new Redis({
    host,
    port,
    ...(password !== undefined ? { password } : {}),
    lazyConnect: true,
    enableOfflineQueue: false,
    enableReadyCheck: false,
    maxRetriesPerRequest: 0,
    retryStrategy: () => null,
    connectTimeout: timeoutMs,
    commandTimeout: timeoutMs,
    disableClientInfo: true,
  });
  // A failed connect rejects with "Connection is closed."; why (refused, WRONGPASS, NOAUTH) comes
  // as an error event, kept for the message.
  let why: unknown;
  redis.on("error", (err: unknown) => {
    why = err;
  });
  try {
    await redis.connect().catch((err: unknown) => {
      throw why ?? err;
    });
    return await fn(redis);
  } catch (err) {
    throw new Error(`redis on port ${String(port)}: ${errorMessage(err)}`);
  } finally {
    // Not on an ended connection: ioredis would start its 2 s destroy timer and wait for a "close"
    // that already happened, keeping the process alive that long.
    if (redis.status !== "end") redis.disconnect();
  }
}
