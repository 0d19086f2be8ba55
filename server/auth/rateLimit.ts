/**
 * Per-token rate limit on changes (every method but GET, HEAD and OPTIONS): a token bucket per
 * authenticated principal holding `perMinute` requests, refilled continuously. Past it: 429
 * `rate_limited` with `Retry-After`. Reads and `/health` are never limited; 0 turns it off.
 * One bucket per configured token name, so memory is bounded by ARAGORA_API_TOKENS.
 */
import type { RequestHandler } from "express";
import { RateLimitedError } from "../errors";
import { principalOf } from "./middleware";

const READS = new Set(["GET", "HEAD", "OPTIONS"]);

export function rateLimitChanges(perMinute: number, now: () => number = Date.now): RequestHandler {
  const buckets = new Map<string, { tokens: number; at: number }>();
  const perMs = perMinute / 60_000;
  return (req, res, next) => {
    const p = principalOf(res);
    if (perMinute <= 0 || READS.has(req.method) || !p) {
      next();
      return;
    }
    const t = now();
    const b = buckets.get(p.name) ?? { tokens: perMinute, at: t };
    b.tokens = Math.min(perMinute, b.tokens + (t - b.at) * perMs);
    b.at = t;
    buckets.set(p.name, b);
    if (b.tokens < 1) {
      const retryAfter = Math.max(1, Math.ceil((1 - b.tokens) / perMs / 1000));
      next(new RateLimitedError(`${p.name} sent more than ${perMinute} changes in a minute; retry in ${retryAfter} s`, retryAfter));
      return;
    }
    b.tokens -= 1;
    next();
  };
}
