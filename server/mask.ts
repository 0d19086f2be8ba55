/**
 * Secret masking. Every value that leaves the service (responses, logs, stored events, the SQLite
 * database) passes through here first: outputs the engine marks secret become "[secret]", and so do
 * values whose key names a secret (password, token, kubeconfig, connection URL) even when a program
 * forgot to mark them. Free text is scrubbed of URL credentials and `password=` pairs.
 */
import type { StackOutputs } from "./engine/stackRunner";

export const MASK = "[secret]";

const SECRET_KEY = /(pass(word|phrase)?$|password|secret|token|kubeconfig|credential|private[-_]?key|connection[-_]?(url|string)|database[-_]?url|redis[-_]?url|dsn$)/i;

/** Does this key name a value that must never leave the service? */
export function isSecretKey(key: string): boolean {
  return SECRET_KEY.test(key);
}

/**
 * Pulumi's wire signature of a secret value (`{"4dabf18193072939515e22adb298388d":
 * "1b47061264138c4ac30d75fd1eb44270", "value": …}`). Engine diagnostics that print serialized
 * properties (providers may) carry secrets in this shape, JSON or flattened.
 */
const SECRET_SIG = /(1b47061264138c4ac30d75fd1eb44270[^A-Za-z0-9]{1,8}value[^A-Za-z0-9]{1,8})([^,"'\s}\]]+)/g;

/** Removes credentials from free text (engine messages, error strings). */
export function scrubText(text: string): string {
  return text
    .replace(SECRET_SIG, `$1${MASK}`)
    .replace(/([a-z][a-z0-9+.-]*:\/\/[^:/@\s'"]*):[^@\s'"]+@/gi, `$1:${MASK}@`)
    .replace(/((?:pass(?:word)?|secret|token|PGPASSWORD|requirepass|masterauth)\s*[=:]\s*)('[^']*'|"[^"]*"|[^\s,;'"]+)/gi, `$1${MASK}`);
}

/** Deep copy with secret-named keys masked and strings scrubbed. */
export function maskValue(value: unknown, key = ""): unknown {
  if (key !== "" && isSecretKey(key) && value !== null && value !== undefined && typeof value !== "boolean" && typeof value !== "number") {
    return MASK;
  }
  if (typeof value === "string") return scrubText(value);
  if (Array.isArray(value)) return value.map((v) => maskValue(v));
  if (value !== null && typeof value === "object") {
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(value as Record<string, unknown>)) out[k] = maskValue(v, k);
    return out;
  }
  return value;
}

/** Engine outputs → plain values safe to store and return: secrets become "[secret]". */
export function maskOutputs(outputs: StackOutputs): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [k, o] of Object.entries(outputs)) {
    out[k] = o.secret ? MASK : maskValue(o.value, k);
  }
  return out;
}

/**
 * Secret values learned from step outputs (kept in memory only), scrubbed from every later event
 * and error text: the last line of defence when an engine or provider message prints a value.
 */
export class SecretScrubber {
  private readonly values = new Set<string>();

  learn(outputs: StackOutputs): void {
    const walk = (v: unknown): void => {
      if (typeof v === "string") {
        if (v.length >= 6) this.values.add(v);
      } else if (Array.isArray(v)) v.forEach(walk);
      else if (v !== null && typeof v === "object") Object.values(v).forEach(walk);
    };
    for (const o of Object.values(outputs)) if (o.secret) walk(o.value);
  }

  scrub(text: string): string {
    let out = scrubText(text);
    for (const v of this.values) if (out.includes(v)) out = out.split(v).join(MASK);
    return out;
  }

  get size(): number {
    return this.values.size;
  }
}
