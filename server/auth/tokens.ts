/**
 * Bearer tokens: `ARAGORA_API_TOKENS` is a comma-separated list of `name:role:secret`, roles
 * viewer < operator < admin. Secrets are kept only as SHA-256 digests and compared in constant
 * time against every entry (no early exit), so timing tells nothing about which token nearly matched.
 */
import { createHash, randomBytes, timingSafeEqual } from "node:crypto";
import * as fs from "node:fs";
import * as path from "node:path";

export const ROLES = ["viewer", "operator", "admin"] as const;
export type Role = (typeof ROLES)[number];

export interface Principal {
  name: string;
  role: Role;
}

export interface TokenEntry extends Principal {
  digest: Buffer;
}

const digest = (secret: string): Buffer => createHash("sha256").update(secret, "utf8").digest();

export function roleAtLeast(have: Role, need: Role): boolean {
  return ROLES.indexOf(have) >= ROLES.indexOf(need);
}

/** Parses `name:role:secret,…`; throws naming the bad entry (by position, never by secret). */
export function parseTokens(raw: string): TokenEntry[] {
  const entries: TokenEntry[] = [];
  const names = new Set<string>();
  raw
    .split(",")
    .map((s) => s.trim())
    .filter((s) => s !== "")
    .forEach((item, i) => {
      const first = item.indexOf(":");
      const second = first < 0 ? -1 : item.indexOf(":", first + 1);
      const name = item.slice(0, first);
      const role = item.slice(first + 1, second);
      const secret = item.slice(second + 1);
      if (first <= 0 || second < 0 || !(ROLES as readonly string[]).includes(role) || secret.length < 16 || !/^[A-Za-z0-9._@-]{1,64}$/.test(name)) {
        throw new Error(
          `ARAGORA_API_TOKENS entry ${i + 1} must be name:role:secret with role viewer, operator or admin and a secret of at least 16 characters`,
        );
      }
      if (names.has(name)) throw new Error(`ARAGORA_API_TOKENS entry ${i + 1}: duplicate name "${name}"`);
      names.add(name);
      entries.push({ name, role: role as Role, digest: digest(secret) });
    });
  return entries;
}

/** The principal a presented secret belongs to, comparing against every entry in constant time. */
export function authenticate(entries: readonly TokenEntry[], presented: string): Principal | undefined {
  const d = digest(presented);
  let found: TokenEntry | undefined;
  for (const e of entries) {
    if (timingSafeEqual(e.digest, d) && found === undefined) found = e;
  }
  return found ? { name: found.name, role: found.role } : undefined;
}

export const ADMIN_TOKEN_FILE = "admin-token";

/**
 * No tokens configured: create (once) an admin token in the state dir, mode 0600, and return its
 * entry and file. The service never runs unauthenticated.
 */
export function ensureBootstrapToken(stateDir: string): { entry: TokenEntry; file: string; created: boolean } {
  const file = path.join(stateDir, ADMIN_TOKEN_FILE);
  let created = false;
  if (!fs.existsSync(file)) {
    fs.mkdirSync(stateDir, { recursive: true });
    fs.writeFileSync(file, randomBytes(32).toString("base64url") + "\n", { mode: 0o600, flag: "wx" });
    created = true;
  }
  const secret = fs.readFileSync(file, "utf8").trim();
  return { entry: { name: "admin", role: "admin", digest: digest(secret) }, file, created };
}
