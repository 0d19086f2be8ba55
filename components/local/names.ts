/**
 * Guards for every value that reaches a file path or a command line of the local target. Each
 * throws a plain Error naming the field; the provider's implementations call them again in `check`, so a
 * bad value never reaches `initdb`, `redis-server` or `haproxy` whichever way it arrives.
 */
import * as path from "node:path";

/** Same rule as the region spec (domain/spec/regionSpec.ts REGION_NAME_PATTERN), repeated so the provider side has no spec import. */
const REGION = /^[a-z](?:[a-z0-9]|-(?=[a-z0-9])){1,30}[a-z0-9]$/;
/** PostgreSQL slot / role / database identifiers we create: lowercase, digits, underscore. */
const PG_IDENT = /^[a-z_][a-z0-9_]{0,62}$/;
/** Directory paths: absolute, normalized, no control characters, quotes, spaces or shell metacharacters. */
const SAFE_PATH = /^\/[A-Za-z0-9._\/+@=-]*$/;
/** Generated secrets: base64url alphabet only, so they are safe inside config-file quotes. */
const SECRET = /^[A-Za-z0-9_-]{16,128}$/;

export function assertRegionName(name: unknown, field = "region"): string {
  if (typeof name !== "string" || !REGION.test(name) || name === "global") {
    throw new Error(`${field}: ${JSON.stringify(name)} is not a valid region name`);
  }
  return name;
}

/** A stack-level directory name under the local root: a region or `global`. */
export function assertScopeName(name: unknown, field = "scope"): string {
  if (name === "global") return name;
  return assertRegionName(name, field);
}

export function assertPgIdentifier(name: unknown, field: string): string {
  if (typeof name !== "string" || !PG_IDENT.test(name)) {
    throw new Error(`${field}: ${JSON.stringify(name)} is not a valid PostgreSQL identifier (a-z, 0-9, _; at most 63)`);
  }
  return name;
}

export function assertPort(port: unknown, field: string): number {
  if (typeof port !== "number" || !Number.isInteger(port) || port < 1024 || port > 65535) {
    throw new Error(`${field}: ${JSON.stringify(port)} is not a TCP port in 1024-65535`);
  }
  return port;
}

export function assertSafePath(p: unknown, field: string): string {
  if (typeof p !== "string" || !SAFE_PATH.test(p) || path.posix.normalize(p) !== p || p.endsWith("/") || p.length > 200) {
    throw new Error(`${field}: ${JSON.stringify(p)} must be an absolute, normalized path of letters, digits and ._/+@=- (at most 200 characters)`);
  }
  return p;
}

/** `child` must be strictly inside `root` (both already safe paths). */
export function assertInside(child: string, root: string, field: string): string {
  const rel = path.posix.relative(root, child);
  if (rel === "" || rel.startsWith("..") || path.posix.isAbsolute(rel)) {
    throw new Error(`${field}: ${JSON.stringify(child)} is not inside ${JSON.stringify(root)}`);
  }
  return child;
}

export function assertSecret(value: unknown, field: string): string {
  if (typeof value !== "string" || !SECRET.test(value)) {
    throw new Error(`${field}: not a generated secret (16-128 characters of A-Z a-z 0-9 _ -)`);
  }
  return value;
}

export function assertInt(n: unknown, field: string, min: number, max: number): number {
  if (typeof n !== "number" || !Number.isInteger(n) || n < min || n > max) {
    throw new Error(`${field}: ${JSON.stringify(n)} is not an integer in ${min}-${max}`);
  }
  return n;
}

/** PostgreSQL size strings as postgresql.conf takes them. */
export function assertPgSize(s: unknown, field: string): string {
  if (typeof s !== "string" || !/^[1-9][0-9]{0,6}(kB|MB|GB|TB)$/.test(s)) {
    throw new Error(`${field}: ${JSON.stringify(s)} is not a PostgreSQL size such as "2GB"`);
  }
  return s;
}
