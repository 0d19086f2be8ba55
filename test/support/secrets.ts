/** Secret scans: the secret strings of stack outputs, and how often each needle occurs in a text. */

/** Every string value (8 characters or more) inside the secret outputs. */
export function secretStrings(outputs: Record<string, { value: unknown; secret: boolean }>): string[] {
  const out: string[] = [];
  const walk = (v: unknown): void => {
    if (typeof v === "string" && v.length >= 8) out.push(v);
    else if (Array.isArray(v)) v.forEach(walk);
    else if (v !== null && typeof v === "object") Object.values(v).forEach(walk);
  };
  for (const o of Object.values(outputs)) if (o.secret) walk(o.value);
  return out;
}

/** Occurrences of each needle in the haystack. */
export function hits(haystack: string, needles: readonly string[]): Record<string, number> {
  const out: Record<string, number> = {};
  for (const n of needles) out[n] = haystack.split(n).length - 1;
  return out;
}
