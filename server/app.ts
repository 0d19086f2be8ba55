/**
 * `createApp(deps)`: the HTTP layer. Every dependency arrives in `deps`; main.ts is the only place
 * that builds concrete objects. Order: security headers → request log → audit → auth (all but
 * /health) → per-token rate limit on changes → body parser (size-limited) → routes → 404 → the one
 * error middleware.
 */
import express, { type Express, type RequestHandler } from "express";
import helmet from "helmet";
import { randomUUID } from "node:crypto";
import { authenticateRequests, principalOf } from "./auth/middleware";
import { rateLimitChanges } from "./auth/rateLimit";
import type { TokenEntry } from "./auth/tokens";
import { errorMiddleware, notFoundRoute } from "./api/errorMiddleware";
import { createRouter, type RouteDeps } from "./api/routes";
import type { Logger } from "./logger";

export interface AppDeps extends RouteDeps {
  tokens: readonly TokenEntry[];
  logger: Logger;
  /** Largest JSON body accepted (default 100kb). */
  bodyLimit?: string | undefined;
  /** Changes (non-GET requests) per token per minute; 0 or unset: no limit. */
  rateLimitPerMin?: number | undefined;
}

function requestLog(logger: Logger): RequestHandler {
  return (req, res, next) => {
    const start = process.hrtime.bigint();
    const id = randomUUID();
    res.setHeader("X-Request-Id", id);
    res.on("finish", () => {
      const ms = Number(process.hrtime.bigint() - start) / 1e6;
      logger.info({ reqId: id, method: req.method, path: req.path, status: res.statusCode, ms: Math.round(ms), actor: principalOf(res)?.name }, "request");
    });
    next();
  };
}

/** Every change request (and every refused one) lands in the audit log: who, what, when, outcome. */
function audit(deps: AppDeps): RequestHandler {
  return (req, res, next) => {
    if (req.method === "GET" || req.method === "HEAD" || req.method === "OPTIONS") {
      next();
      return;
    }
    res.on("finish", () => {
      const p = principalOf(res);
      const operationId = (res.locals as { operationId?: string }).operationId;
      const entry = { actor: p?.name ?? "anonymous", role: p?.role ?? "none", method: req.method, path: req.originalUrl.split("?")[0] ?? req.path, status: res.statusCode, operationId };
      // Never thrown out of the event: an entry the store cannot take (disk full) goes to the log instead.
      Promise.resolve()
        .then(() => deps.store.appendAudit(entry))
        .catch((err: unknown) => {
          deps.logger.error({ err: String(err), audit: entry }, "could not write audit entry");
        });
    });
    next();
  };
}

export function createApp(deps: AppDeps): Express {
  const app = express();
  app.disable("x-powered-by");
  app.set("trust proxy", false);
  app.use(helmet());
  app.use(requestLog(deps.logger));
  app.use(audit(deps));
  const auth = authenticateRequests(deps.tokens);
  app.use((req, res, next) => {
    if (req.path === "/health" && req.method === "GET") {
      next();
      return;
    }
    auth(req, res, next);
  });
  // Before the body parser: a token over its limit costs no parsing.
  app.use(rateLimitChanges(deps.rateLimitPerMin ?? 0));
  app.use(express.json({ limit: deps.bodyLimit ?? "100kb", strict: false }));
  app.use(createRouter(deps));
  app.use(notFoundRoute);
  app.use(errorMiddleware(deps.logger));
  return app;
}
