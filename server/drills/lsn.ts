/**
 * PostgreSQL WAL positions (LSNs) as the server prints them (`0/5137618`: two hex halves of a
 * 64-bit byte position). Pure helpers: parse, compare, subtract, format.
 */

const LSN = /^([0-9A-Fa-f]{1,8})\/([0-9A-Fa-f]{1,8})$/;

/** `"0/5137618"` → byte position; throws on anything else. */
export function parseLsn(text: string): bigint {
  const m = LSN.exec(text.trim());
  if (!m) throw new Error(`not a WAL position (LSN): ${JSON.stringify(text)}`);
  return (BigInt(`0x${m[1] ?? "0"}`) << 32n) | BigInt(`0x${m[2] ?? "0"}`);
}

/** Byte position → `"0/5137618"` (PostgreSQL's own upper-case format). */
export function formatLsn(pos: bigint): string {
  if (pos < 0n || pos > 0xffffffffffffffffn) throw new Error(`WAL position out of range: ${pos}`);
  return `${(pos >> 32n).toString(16).toUpperCase()}/${(pos & 0xffffffffn).toString(16).toUpperCase()}`;
}

/** a - b in bytes (negative when a is behind b). */
export function lsnDiff(a: string, b: string): bigint {
  return parseLsn(a) - parseLsn(b);
}

/** The larger of two LSNs; undefined inputs are ignored. */
export function maxLsn(...lsns: (string | null | undefined)[]): string | undefined {
  let best: { text: string; pos: bigint } | undefined;
  for (const l of lsns) {
    if (l === null || l === undefined) continue;
    const pos = parseLsn(l);
    if (!best || pos > best.pos) best = { text: formatLsn(pos), pos };
  }
  return best?.text;
}
