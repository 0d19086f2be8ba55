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

/**
 * 503: the service's database cannot be written or read (disk full, read-only file system, I/O
 * error, damaged file). The request recorded nothing; `GET /health` says degraded until a write
 * succeeds again. `sqliteCode` is SQLite's code (`SQLITE_FULL`, `SQLITE_IOERR_WRITE`, …).
 */
export class StoreUnavailableError extends ServiceError {
  constructor(message: string, readonly sqliteCode: string) {
    super(503, "store_unavailable", message);
  }
}

/**
 * SQLite result codes (better-sqlite3's SqliteError `code`, extended codes included) that mean the
 * database itself is failing, not the statement, and what each says of it. Anything else (a
 * constraint, a syntax error) is a bug and stays a 500.
 */
const STORE_FAULTS: readonly (readonly [code: string, cause: string])[] = [
  ["SQLITE_FULL", "cannot be written: disk full"],
  ["SQLITE_READONLY", "cannot be written: it is read-only (a file system mounted read-only, or the files' permissions)"],
  ["SQLITE_PERM", "cannot be written: permission denied"],
  ["SQLITE_IOERR", "cannot be read or written: I/O error"],
  ["SQLITE_CANTOPEN", "cannot be opened"],
  ["SQLITE_CORRUPT", "is damaged"],
  ["SQLITE_NOTADB", "is damaged: not a database"],
  ["SQLITE_BUSY", "is locked by another process"],
];

/** `err` as a StoreUnavailableError naming the cause, when it is a store fault; otherwise undefined. */
export function storeUnavailable(err: unknown): StoreUnavailableError | undefined {
  if (err instanceof StoreUnavailableError) return err;
  const code = typeof err === "object" && err !== null ? (err as { code?: unknown }).code : undefined;
  if (typeof code !== "string") return undefined;
  const fault = STORE_FAULTS.find(([c]) => code === c || code.startsWith(`${c}_`));
  return fault ? new StoreUnavailableError(`the service's database ${fault[1]} (${code})`, code) : undefined;
}
