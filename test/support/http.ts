/**
 * HTTP calls to the service as the tests and the bench make them: a bearer token by role (or a raw
 * one), JSON bodies, every response body kept for secret scans, and waiting for an operation to end.
 */

export const TOKENS = {
  viewer: "viewer-test-secret-7Qm2xK9p",
  operator: "operator-test-secret-Zr4vN8wL",
  admin: "admin-test-secret-Hc6yT1bD",
};
export type Role = keyof typeof TOKENS;
/** ARAGORA_API_TOKENS for TOKENS. */
export const TOKEN_ENV = `vera:viewer:${TOKENS.viewer},otto:operator:${TOKENS.operator},ada:admin:${TOKENS.admin}`;

export interface Reply {
  status: number;
  text: string;
  /** The body parsed as JSON, or the text when it is not JSON. */
  body: any;
  headers: Headers;
}

export interface RequestOptions {
  /** A role (its token from TOKENS), a raw token, or null for no Authorization header. Default: admin. */
  token?: Role | (string & {}) | null;
  /** Sent as JSON (a string is sent as it is, as JSON). */
  body?: unknown;
  /** Sent as it is, with no Content-Type unless `headers` has one. */
  raw?: string | Uint8Array;
  headers?: Record<string, string>;
}

export type Api = (method: string, urlPath: string, opts?: RequestOptions) => Promise<Reply>;

/** Bearer value of `token` (see RequestOptions.token). */
export function bearer(token: string): string {
  return `Bearer ${token in TOKENS ? TOKENS[token as Role] : token}`;
}

/**
 * A client of the service at `baseUrl`. Bodies read are appended to `seen` when given. A GET is
 * retried once if a kept-alive connection was reset; a change never is.
 */
export function apiFor(baseUrl: string, seen?: string[]): Api {
  return async (method, urlPath, opts = {}) => {
    const token = opts.token === undefined ? "admin" : opts.token;
    const headers: Record<string, string> = {};
    if (token !== null) headers["authorization"] = bearer(token);
    let body: string | Uint8Array | undefined;
    if (opts.raw !== undefined) body = opts.raw;
    else if (opts.body !== undefined) {
      body = typeof opts.body === "string" ? opts.body : JSON.stringify(opts.body);
      headers["content-type"] = "application/json";
    }
    Object.assign(headers, opts.headers ?? {});
    const send = (): Promise<Response> => fetch(baseUrl + urlPath, { method, headers, ...(body !== undefined ? { body } : {}) });
    const res = await send().catch((err: unknown) => (method === "GET" ? send() : Promise.reject(err instanceof Error ? err : new Error(String(err)))));
    const text = await res.text();
    seen?.push(text);
    let parsed: unknown = text;
    try {
      parsed = JSON.parse(text);
    } catch {
      /* not JSON */
    }
    return { status: res.status, text, body: parsed, headers: res.headers };
  };
}

const RUNNING = ["queued", "running"];

/** Polls `GET /operations/{id}` (as a viewer) until the operation has ended; returns its view. */
export async function waitForOperation(client: Api, id: string, timeoutMs = 600_000, everyMs = 250): Promise<any> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const r = await client("GET", `/operations/${id}`, { token: "viewer" });
    if (r.status !== 200) throw new Error(`GET /operations/${id}: ${String(r.status)} ${r.text}`);
    if (!RUNNING.includes(r.body.status)) return r.body;
    if (Date.now() > deadline) throw new Error(`operation ${id} still ${String(r.body.status)}`);
    await new Promise((res) => setTimeout(res, everyMs));
  }
}

/** Polls `fn` until it returns something other than undefined; throws after `timeoutMs`. */
export async function until<T>(fn: () => Promise<T | undefined> | T | undefined, timeoutMs: number, what: string, everyMs = 100): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = await fn();
    if (v !== undefined) return v;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, everyMs));
  }
}
