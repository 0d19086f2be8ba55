/** The one error middleware: the error vocabulary → status + `{"error": {"code", "message", "details"?}}`. */
import type { ErrorRequestHandler, RequestHandler } from "express";
import { NotFoundError, PayloadTooLargeError, InputError, QueueFullError, RateLimitedError, ServiceError, storeUnavailable } from "../errors";
import type { Logger } from "../logger";
import { scrubText } from "../mask";

/** Errors body-parser raises carry `type` and `status`. */
interface ParserError {
  type?: unknown;
  status?: unknown;
  message?: unknown;
}

function fromParser(err: unknown): ServiceError | undefined {
  if (typeof err !== "object" || err === null) return undefined;
  const e = err as ParserError;
  if (e.type === "entity.too.large") return new PayloadTooLargeError("the request body is too large");
  if (e.type === "entity.parse.failed") return new InputError("the body is not valid JSON", [{ path: "", message: "is not valid JSON" }]);
  if (typeof e.type === "string" && typeof e.status === "number" && e.status >= 400 && e.status < 500) {
    return new ServiceError(e.status, "invalid_request", typeof e.message === "string" ? e.message : "invalid request");
  }
  return undefined;
}

export const notFoundRoute: RequestHandler = (req, _res, next) => {
  next(new NotFoundError(`no route ${req.method} ${req.path}`));
};

export function errorMiddleware(logger: Logger): ErrorRequestHandler {
  return (err: unknown, req, res, _next) => {
    // A store fault (disk full, read-only, I/O error) is a 503 store_unavailable, never a 500.
    const known = err instanceof ServiceError ? err : (storeUnavailable(err) ?? fromParser(err));
    if (known) {
      if (known.status >= 500) logger.warn({ code: known.code, path: req.path }, known.message);
      if (res.headersSent) {
        // A stream already under way (SSE): it ends; the client resumes from its last event id.
        res.end();
        return;
      }
      if (known instanceof RateLimitedError || known instanceof QueueFullError) res.setHeader("Retry-After", String(known.retryAfterSeconds));
      res.status(known.status).json({ error: { code: known.code, message: known.message, ...(known.details !== undefined ? { details: known.details } : {}) } });
      return;
    }
    logger.error({ err: scrubText(err instanceof Error ? (err.stack ?? err.message) : String(err)), method: req.method, path: req.path }, "unhandled error");
    if (res.headersSent) {
      res.end();
      return;
    }
    res.status(500).json({ error: { code: "internal", message: "internal error; see the service log" } });
  };
}
