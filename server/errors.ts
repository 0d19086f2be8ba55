/**
 * The service's error vocabulary. Handlers and services throw these; one error middleware
 * (api/errorMiddleware.ts) maps them to an HTTP status and the single error body
 * `{"error": {"code", "message", "details"?}}`.
 */

/** One problem with one field of a request, named by its path (`network.cidr`, `query.limit`). */
export interface FieldProblem {
  path: string;
  message: string;
}

export class ServiceError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    readonly details?: unknown,
  ) {
    super(message);
    this.name = new.target.name;
  }
}

/** 400: the request is malformed; `details` lists every bad field with its path. */
export class InputError extends ServiceError {
  constructor(message: string, details?: FieldProblem[]) {
    super(400, "invalid_request", message, details);
  }
}

/** 401: no token, or a token that matches nobody. */
export class AuthenticationError extends ServiceError {
  constructor(message = "a valid bearer token is required") {
    super(401, "unauthenticated", message);
  }
}

/** 403: the caller is known but their role is too low. */
export class NotAllowedError extends ServiceError {
  constructor(message: string) {
    super(403, "forbidden", message);
  }
}

/** 404: no such region, operation or route. */
export class NotFoundError extends ServiceError {
  constructor(message: string) {
    super(404, "not_found", message);
  }
}

/**
 * 409: the request conflicts with the fleet's state (exists, CIDR overlap, second primary,
 * removing the primary) or with an operation in flight (`details.operation` names it).
 */
export class ConflictError extends ServiceError {
  constructor(message: string, details?: unknown) {
    super(409, "conflict", message, details);
  }
}

/** 413: the body is larger than the service accepts. */
export class PayloadTooLargeError extends ServiceError {
  constructor(message: string) {
    super(413, "payload_too_large", message);
  }
}

/** 429: this token sent too many changes; `retryAfterSeconds` becomes the Retry-After header. */
export class RateLimitedError extends ServiceError {
  constructor(message: string, readonly retryAfterSeconds: number) {
    super(429, "rate_limited", message);
  }
}

/** 503: the operation queue is full (ARAGORA_MAX_QUEUED_OPERATIONS); retry after `retryAfterSeconds`. */
export class QueueFullError extends ServiceError {
  constructor(message: string, readonly retryAfterSeconds: number) {
    super(503, "queue_full", message);
  }
}

/** 503: the service is shutting down and takes no new work. */
export class UnavailableError extends ServiceError {
  constructor(message: string) {
    super(503, "unavailable", message);
  }
}
