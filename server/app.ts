/**
 * `createApp(deps)`: the HTTP layer. Every dependency arrives in `deps`; main.ts is the only place
 * that builds concrete objects. Order: security headers → request log → audit → auth (all but
 * /health) → per-token rate limit on changes → body parser (size-limited) → routes → 404 → the one
 * error middleware.
 */
import express, { type Express, type RequestHandler } from "express";
import helmet from "helmet";
import { randomUUID } from "node:crypto";
import * as http from "node:http";
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
      deps.store
        .appendAudit({ actor: p?.name ?? "anonymous", role: p?.role ?? "none", method: req.method, path: req.originalUrl.split("?")[0] ?? req.path, status: res.statusCode, operationId })
        .catch((err: unknown) => {
          deps.logger.error({ err: String(err) }, "could not write audit entry");
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

/**
 * The HTTP server for an app, with request and response objects born with Express's prototypes.
 *
 * Express gives every request and response its own prototype (`Object.setPrototypeOf(req,
 * app.request)`). In V8 that change of prototype kept each request's objects alive until the next
 * full GC: under 200 requests/s the old generation grew by about 3.5 MB a second and every scavenge
 * (about one a second) took 3-23 ms, stalling every request that came in meanwhile. Created with
 * the prototype Express would set, the objects keep it (setting the same prototype changes
 * nothing), the old generation stays flat and a scavenge takes under 1 ms (docs/performance.md).
 *
 * Node's IncomingMessage and ServerResponse are constructor functions that initialize `this`, so a
 * constructor with Express's prototype calls them on the new object. Building through
 * `Reflect.construct` instead keeps the prototype too but not the effect (the growth stayed), so
 * should Node make them classes, this falls back to the plain server.
 */
export function createHttpServer(app: Express): http.Server {
  type Init = (this: object, ...args: unknown[]) => void;
  const bornWith = (base: unknown, proto: object): unknown => {
    if (typeof base !== "function" || /^class\b/.test(Function.prototype.toString.call(base))) return undefined;
    const init = base as Init;
    function Born(this: object, ...args: unknown[]): void {
      init.apply(this, args);
    }
    Born.prototype = proto;
    return Born;
  };
  const IncomingMessage = bornWith(http.IncomingMessage, app.request);
  const ServerResponse = bornWith(http.ServerResponse, app.response);
  if (IncomingMessage === undefined || ServerResponse === undefined) return http.createServer(app);
  return http.createServer({ IncomingMessage: IncomingMessage as typeof http.IncomingMessage, ServerResponse: ServerResponse as typeof http.ServerResponse }, app);
}
