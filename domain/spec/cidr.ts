/**
 * IPv4 CIDR arithmetic for region networks: parsing with precise reasons, overlap, and allocation
 * of the lowest free /16 in 10.0.0.0/8. Pure; addresses are unsigned 32-bit numbers.
 */

export interface Cidr {
  /** Network address as an unsigned 32-bit integer. */
  network: number;
  prefix: number;
}

/** Region networks must be at least this big (smallest prefix)… */
export const MIN_PREFIX = 16;
/** …and at most this small. */
export const MAX_PREFIX = 24;

const CIDR_SHAPE = /^(0|[1-9][0-9]{0,2})\.(0|[1-9][0-9]{0,2})\.(0|[1-9][0-9]{0,2})\.(0|[1-9][0-9]{0,2})\/([0-9]{1,2})$/;

export type CidrParse = { ok: true; cidr: Cidr } | { ok: false; reason: string };

function mask(prefix: number): number {
  return prefix === 0 ? 0 : (0xffffffff << (32 - prefix)) >>> 0;
}

export function formatIp(n: number): string {
  return [n >>> 24, (n >>> 16) & 255, (n >>> 8) & 255, n & 255].join(".");
}

export function formatCidr(c: Cidr): string {
  return `${formatIp(c.network)}/${c.prefix}`;
}

/**
 * Parses an IPv4 network in CIDR notation. Fails with a reason for: bad syntax (including leading
 * zeros and octets > 255), prefix outside /16../24, and host bits set (suggesting the network).
 */
export function parseCidr(text: string): CidrParse {
  const m = CIDR_SHAPE.exec(text);
  if (!m) return { ok: false, reason: 'must be an IPv4 CIDR such as "10.1.0.0/16"' };
  const octets = [m[1], m[2], m[3], m[4]].map(Number);
  if (octets.some((o) => o > 255)) return { ok: false, reason: 'must be an IPv4 CIDR such as "10.1.0.0/16" (octets 0-255)' };
  const prefix = Number(m[5]);
  if (prefix > 32) return { ok: false, reason: 'must be an IPv4 CIDR such as "10.1.0.0/16" (prefix 0-32)' };
  if (prefix < MIN_PREFIX || prefix > MAX_PREFIX) {
    return { ok: false, reason: `prefix /${prefix} is out of range: region networks are /${MIN_PREFIX} to /${MAX_PREFIX}` };
  }
  const addr = octets.reduce((acc, o) => acc * 256 + o, 0) >>> 0;
  const network = (addr & mask(prefix)) >>> 0;
  if (network !== addr) {
    return { ok: false, reason: `host bits must be zero: did you mean "${formatCidr({ network, prefix })}"?` };
  }
  return { ok: true, cidr: { network, prefix } };
}

/** Parses a CIDR the caller already validated; throws on bad input. */
export function mustParseCidr(text: string): Cidr {
  const r = parseCidr(text);
  if (!r.ok) throw new Error(`invalid CIDR "${text}": ${r.reason}`);
  return r.cidr;
}

/** Last address of the network. */
function lastAddress(c: Cidr): number {
  return (c.network + 2 ** (32 - c.prefix) - 1) >>> 0;
}

/** Whether two networks share any address. */
export function cidrsOverlap(a: Cidr, b: Cidr): boolean {
  return a.network <= lastAddress(b) && b.network <= lastAddress(a);
}

/** 10.0.0.0/8, the pool regions' networks are allocated from. */
export const ALLOCATION_POOL: Cidr = { network: 10 << 24, prefix: 8 };

/**
 * The lowest /16 inside 10.0.0.0/8 that overlaps none of `taken`, or undefined when all 256 are
 * (partly) used.
 */
export function allocateCidr(taken: readonly Cidr[]): string | undefined {
  for (let i = 0; i < 256; i++) {
    const candidate: Cidr = { network: (ALLOCATION_POOL.network + i * 65536) >>> 0, prefix: 16 };
    if (!taken.some((t) => cidrsOverlap(t, candidate))) return formatCidr(candidate);
  }
  return undefined;
}
