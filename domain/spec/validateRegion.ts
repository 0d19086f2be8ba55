/**
 * Resolving a region spec against the fleet: the zod schema's own rules plus every rule that needs
 * the fleet (unique names, one primary, one provider, CIDR and port overlaps, geo codes, AWS region
 * codes), all reported at once with the dotted field path and the reason.
 *
 * Issue kinds: `invalid` (400) = the body is wrong on its own; `conflict` (409) = the body is
 * well-formed but clashes with the fleet as it is (name exists / does not exist, CIDR or ports
 * overlap another region, second primary, geo code taken, provider or CIDR of an existing region
 * changed, no room left).
 */
import { z } from "zod";
import { isAwsRegion } from "./awsRegions";
import { allocateCidr, formatCidr, mustParseCidr, cidrsOverlap, parseCidr, type Cidr } from "./cidr";
import { DEFAULT_GEO, DEFAULT_LOCAL_PORT_RANGE, LOCAL_MAX_APP_REPLICAS, LOCAL_PORT_BLOCK } from "./defaults";
import { fleetSettings, type FleetSettings } from "./fleetSettings";
import { PROVIDERS, regionSpec, type GeoCode, type Provider, type RegionSpec } from "./regionSpec";
import type { FleetView } from "./stackConfig";

export interface FieldIssue {
  /** Dotted path of the offending field, e.g. "network.cidr" or "glb.geo.1"; "" for the body itself. */
  path: string;
  message: string;
  /** conflict = 409 (clashes with the fleet), invalid = 400 (wrong on its own). */
  kind: "invalid" | "conflict";
}

export interface ResolveOptions {
  /** Provider of the first region when its spec names none (later regions inherit the fleet's). */
  defaultProvider: Provider;
  /** Where local port blocks may lie; default 21000..29999. */
  localPortRange?: { start: number; end: number };
}

export type ResolveResult = { ok: true; spec: RegionSpec } | { ok: false; issues: FieldIssue[] };

function article(expected: string): string {
  if (expected === "int") return "an integer";
  return /^[aeiou]/.test(expected) ? `an ${expected}` : `a ${expected}`;
}

function bound(n: number | bigint): string {
  return typeof n === "bigint" ? n.toString() : String(n);
}

/** Messages for zod's built-in checks; custom messages on the schema take precedence. */
export const zodMessage: z.core.$ZodErrorMap = (iss) => {
  switch (iss.code) {
    case "invalid_type":
      return iss.input === undefined ? "is required" : `must be ${article(iss.expected)}`;
    case "too_small": {
      const cmp = iss.inclusive === false ? "greater than" : "at least";
      if (iss.origin === "array") return `must have ${cmp} ${bound(iss.minimum)} items`;
      if (iss.origin === "string") return `must be ${cmp} ${bound(iss.minimum)} characters`;
      return `must be ${cmp} ${bound(iss.minimum)}`;
    }
    case "too_big": {
      const cmp = iss.inclusive === false ? "less than" : "at most";
      if (iss.origin === "array") return `must have ${cmp} ${bound(iss.maximum)} items`;
      if (iss.origin === "string") return `must be ${cmp} ${bound(iss.maximum)} characters`;
      return `must be ${cmp} ${bound(iss.maximum)}`;
    }
    case "invalid_value":
      return `must be one of ${iss.values.map((v) => JSON.stringify(v)).join(", ")}`;
    case "invalid_format":
      return "has an invalid format";
    case "unrecognized_keys":
      return "unknown field";
    default:
      return undefined;
  }
};

function joinPath(path: readonly PropertyKey[]): string {
  return path.map((p) => (typeof p === "symbol" ? p.description ?? "" : String(p))).join(".");
}

/** zod issues as FieldIssues: one per unknown key (path includes the key), every other issue as is. */
export function fieldIssuesFromZod(issues: readonly z.core.$ZodIssue[]): FieldIssue[] {
  const out: FieldIssue[] = [];
  for (const iss of issues) {
    if (iss.code === "unrecognized_keys") {
      for (const key of iss.keys) out.push({ path: joinPath([...iss.path, key]), message: "unknown field", kind: "invalid" });
    } else {
      out.push({ path: joinPath(iss.path), message: iss.message, kind: "invalid" });
    }
  }
  return out;
}

type Rec = Record<string, unknown>;
function isRecord(v: unknown): v is Rec {
  return typeof v === "object" && v !== null && !Array.isArray(v);
}
function field(v: unknown, ...keys: string[]): unknown {
  let cur = v;
  for (const k of keys) {
    if (!isRecord(cur)) return undefined;
    cur = cur[k];
  }
  return cur;
}

function portRange(base: number): string {
  return `${base}-${base + LOCAL_PORT_BLOCK - 1}`;
}

/**
 * Validates `input` as a region spec against `fleet` (the existing regions' resolved specs, oldest
 * first) and fills in everything the fleet decides:
 * - provider: the fleet's (all regions share one), else `opts.defaultProvider`;
 * - primary: the first region of an empty fleet is the primary (explicit `false` is rejected);
 * - network.cidr: lowest free /16 in 10.0.0.0/8 (update: kept from the existing spec);
 * - glb.geo: DEFAULT_GEO[name] minus codes another region serves;
 * - local.portBase (provider local only): lowest free block of LOCAL_PORT_BLOCK ports in the range
 *   (update: kept from the existing spec).
 * mode "create": the name must be new; "update": the name must exist, and provider, CIDR and the
 * primary flag cannot change (the primary moves only through failover).
 */
export function resolveRegionSpec(
  input: unknown,
  fleet: readonly RegionSpec[],
  mode: "create" | "update",
  opts: ResolveOptions,
): ResolveResult {
  const issues: FieldIssue[] = [];
  const invalid = (path: string, message: string) => issues.push({ path, message, kind: "invalid" });
  const conflict = (path: string, message: string) => issues.push({ path, message, kind: "conflict" });

  const parsed = regionSpec.safeParse(input, { error: zodMessage });
  if (!parsed.success) {
    if (!isRecord(input)) return { ok: false, issues: [{ path: "", message: "must be an object (a region spec)", kind: "invalid" }] };
    issues.push(...fieldIssuesFromZod(parsed.error.issues));
  }
  const bad = (path: string) => issues.some((i) => i.path === path || i.path.startsWith(`${path}.`));

  // Name: exists / must exist.
  const rawName = field(input, "name");
  const name = typeof rawName === "string" && !bad("name") ? rawName : undefined;
  const existing = name === undefined ? undefined : fleet.find((s) => s.name === name);
  if (name !== undefined && mode === "create" && existing) conflict("name", `region "${name}" already exists`);
  if (name !== undefined && mode === "update" && !existing) conflict("name", `region "${name}" does not exist`);
  const others = fleet.filter((s) => s.name !== name);

  // Provider: one per fleet, fixed for an existing region.
  const rawProvider = field(input, "provider");
  const providerGiven = typeof rawProvider === "string" && (PROVIDERS as readonly string[]).includes(rawProvider);
  const providerKnown = rawProvider === undefined || providerGiven;
  const fleetProvider = fleet[0]?.provider;
  const provider: Provider = providerGiven ? (rawProvider as Provider) : (existing?.provider ?? fleetProvider ?? opts.defaultProvider);
  if (providerGiven && mode === "update" && existing && provider !== existing.provider) {
    conflict("provider", `cannot change from "${existing.provider}" to "${provider}": the provider of an existing region is fixed`);
  } else if (providerGiven && fleetProvider !== undefined && provider !== fleetProvider) {
    conflict("provider", `the fleet runs on "${fleetProvider}": all regions share one provider`);
  }
  if (providerKnown && provider === "aws" && name !== undefined && !isAwsRegion(name)) {
    invalid("name", `"${name}" is not an AWS region code (such as "us-east-1"); provider aws needs one`);
  }

  // Primary: the first region is it; a second one only through failover.
  const rawPrimary = field(input, "primary");
  const primaryGiven = typeof rawPrimary === "boolean" ? rawPrimary : undefined;
  const currentPrimary = fleet.find((s) => s.primary);
  let primary: boolean;
  if (mode === "update" && existing) {
    primary = existing.primary;
    if (primaryGiven !== undefined && primaryGiven !== existing.primary) {
      conflict("primary", `cannot change from ${existing.primary} to ${primaryGiven}: the primary changes only through failover`);
    }
  } else if (fleet.length === 0) {
    primary = primaryGiven ?? true;
    if (primaryGiven === false) invalid("primary", "the first region of a fleet must be the primary");
  } else {
    primary = primaryGiven ?? false;
    if (primaryGiven === true && currentPrimary) {
      conflict("primary", `region "${currentPrimary.name}" is already the primary; the primary changes only through failover`);
    }
  }

  // Replication capacity: the primary keeps one slot and one WAL sender per replica region.
  const replicaCount = fleet.filter((s) => !s.primary).length + (mode === "create" && !primary && !existing ? 1 : 0);
  if (mode === "create" && !primary && currentPrimary && !existing && name !== undefined) {
    for (const key of ["maxReplicationSlots", "maxWalSenders"] as const) {
      const have = currentPrimary.postgres[key];
      if (have < replicaCount) {
        conflict("name", `the primary "${currentPrimary.name}" has postgres.${key} ${have} and would need ${replicaCount} (one per replica region); raise it on the primary first`);
      }
    }
  }
  if (mode === "update" && existing?.primary && parsed.success) {
    for (const key of ["maxReplicationSlots", "maxWalSenders"] as const) {
      if (parsed.data.postgres[key] < replicaCount) {
        conflict(`postgres.${key}`, `must be at least ${replicaCount}: the primary needs one per replica region`);
      }
    }
  }

  // Network.
  const rawCidr = field(input, "network", "cidr");
  let cidr: string | undefined;
  if (typeof rawCidr === "string" && !bad("network.cidr")) {
    cidr = rawCidr;
    if (mode === "update" && existing && rawCidr !== existing.network.cidr) {
      conflict("network.cidr", `cannot change from ${existing.network.cidr}: the CIDR of an existing region is fixed`);
    } else {
      const mine = mustParseCidr(rawCidr);
      const hit = others.find((o) => cidrsOverlap(mine, mustParseCidr(o.network.cidr)));
      if (hit) conflict("network.cidr", `overlaps ${hit.network.cidr} of region "${hit.name}"`);
    }
  } else if (rawCidr === undefined) {
    if (mode === "update" && existing) cidr = existing.network.cidr;
    else {
      cidr = allocateCidr(others.map((o) => mustParseCidr(o.network.cidr)));
      if (cidr === undefined) conflict("network.cidr", "no free /16 left in 10.0.0.0/8; give a smaller network explicitly");
    }
  }

  // GLB geo codes: each served by at most one region.
  const taken = new Map<GeoCode, string>();
  for (const o of others) for (const c of o.glb.geo) taken.set(c, o.name);
  const rawGeo = field(input, "glb", "geo");
  let geo: GeoCode[] = [];
  if (Array.isArray(rawGeo) && !bad("glb.geo")) {
    geo = rawGeo as GeoCode[];
    geo.forEach((c, i) => {
      const owner = taken.get(c);
      if (owner !== undefined) conflict(`glb.geo.${i}`, `${c} is already served by region "${owner}"`);
    });
  } else if (rawGeo === undefined) {
    geo = (name === undefined ? [] : (DEFAULT_GEO[name] ?? [])).filter((c) => !taken.has(c));
  }

  // Local target: port block and app count.
  const rawPortBase = field(input, "local", "portBase");
  let portBase: number | undefined;
  if (providerKnown && provider !== "local" && rawPortBase !== undefined) {
    invalid("local.portBase", `applies only to provider local (this region's provider is ${provider})`);
  }
  if (providerKnown && provider === "local") {
    const range = opts.localPortRange ?? DEFAULT_LOCAL_PORT_RANGE;
    const blocks = others.flatMap((o) => (o.local.portBase === undefined ? [] : [{ name: o.name, base: o.local.portBase }]));
    const clash = (base: number) => blocks.find((b) => Math.abs(b.base - base) < LOCAL_PORT_BLOCK);
    if (typeof rawPortBase === "number" && !bad("local.portBase")) {
      portBase = rawPortBase;
      if (rawPortBase < range.start || rawPortBase + LOCAL_PORT_BLOCK - 1 > range.end) {
        invalid("local.portBase", `must leave a block of ${LOCAL_PORT_BLOCK} ports within ${range.start}-${range.end}`);
      } else {
        const hit = clash(rawPortBase);
        if (hit) conflict("local.portBase", `ports ${portRange(rawPortBase)} overlap region "${hit.name}" (${portRange(hit.base)})`);
      }
    } else if (rawPortBase === undefined) {
      portBase = mode === "update" ? existing?.local.portBase : undefined;
      for (let b = range.start; portBase === undefined && b + LOCAL_PORT_BLOCK - 1 <= range.end; b += LOCAL_PORT_BLOCK) {
        if (!clash(b)) portBase = b;
      }
      if (portBase === undefined) conflict("local.portBase", `no free block of ${LOCAL_PORT_BLOCK} ports left in ${range.start}-${range.end}`);
    }
    const replicas = field(input, "app", "replicas");
    if (typeof replicas === "number" && !bad("app.replicas") && replicas > LOCAL_MAX_APP_REPLICAS) {
      invalid("app.replicas", `must be at most ${LOCAL_MAX_APP_REPLICAS} for provider local (one port each in the region's block)`);
    }
  }

  if (issues.length > 0 || !parsed.success || cidr === undefined) {
    return { ok: false, issues };
  }
  const { name: parsedName, provider: _p, primary: _pr, ...p } = parsed.data;
  const spec: RegionSpec = {
    name: parsedName,
    provider,
    primary,
    ...p,
    network: { ...p.network, cidr },
    glb: { geo: [...geo] },
    local: provider === "local" && portBase !== undefined ? { portBase } : {},
  };
  return { ok: true, spec };
}

/**
 * Invariants of a fleet of resolved specs (oldest first); empty when it is sound. The planner
 * checks them on every after-state; tests check them on random fleets.
 */
export function fleetViolations(specs: readonly RegionSpec[]): string[] {
  const out: string[] = [];
  if (specs.length === 0) return out;
  const primaries = specs.filter((s) => s.primary);
  if (primaries.length !== 1) out.push(`expected exactly one primary, found ${primaries.length}`);
  const names = new Set<string>();
  const geo = new Map<string, string>();
  const cidrs: { name: string; cidr: Cidr }[] = [];
  for (const s of specs) {
    if (names.has(s.name)) out.push(`region "${s.name}" appears twice`);
    names.add(s.name);
    if (s.provider !== specs[0]?.provider) out.push(`region "${s.name}" runs on ${s.provider}, the fleet on ${specs[0]?.provider ?? ""}`);
    const parsedCidr = parseCidr(s.network.cidr);
    if (!parsedCidr.ok) out.push(`region "${s.name}": network.cidr ${parsedCidr.reason}`);
    else {
      const hit = cidrs.find((c) => cidrsOverlap(c.cidr, parsedCidr.cidr));
      if (hit) out.push(`region "${s.name}": ${formatCidr(parsedCidr.cidr)} overlaps region "${hit.name}"`);
      cidrs.push({ name: s.name, cidr: parsedCidr.cidr });
    }
    for (const c of s.glb.geo) {
      const owner = geo.get(c);
      if (owner !== undefined) out.push(`geo code ${c} is served by "${owner}" and "${s.name}"`);
      geo.set(c, s.name);
    }
  }
  return out;
}

/** The view of the fleet every stack's config carries. `order` is the index in `specs` (oldest first). */
export function buildFleetView(specs: readonly RegionSpec[], settings: FleetSettings, localRoot?: string): FleetView {
  const primaries = specs.filter((s) => s.primary);
  if (specs.length > 0 && primaries.length !== 1) {
    throw new Error(`a fleet needs exactly one primary region, found ${primaries.length}`);
  }
  return {
    primary: primaries[0]?.name ?? "",
    regions: specs.map((s, order) => ({
      name: s.name,
      provider: s.provider,
      primary: s.primary,
      cidr: s.network.cidr,
      geo: [...s.glb.geo],
      order,
      ...(s.local.portBase === undefined ? {} : { portBase: s.local.portBase }),
      appReplicas: s.app.replicas,
    })),
    settings,
    ...(localRoot === undefined ? {} : { localRoot }),
  };
}

/** A standalone JSON Schema of a zod schema for components.schemas: its definition, without $schema/$id. */
function componentSchema(schema: z.ZodType): object {
  const full = z.toJSONSchema(schema, { io: "input", target: "draft-2020-12", unrepresentable: "any" }) as Record<string, unknown>;
  const ref = full.$ref;
  const defs = (full.$defs ?? {}) as Record<string, Record<string, unknown>>;
  let body: Record<string, unknown> = full;
  if (typeof ref === "string" && ref.startsWith("#/$defs/")) {
    const key = ref.slice("#/$defs/".length);
    const { [key]: own, ...rest } = defs;
    body = { ...(own ?? {}), ...(Object.keys(rest).length > 0 ? { $defs: rest } : {}) };
  }
  const { $schema: _s, $id: _i, id: _id, ...clean } = body;
  return clean;
}

/** JSON Schema (2020-12, as OpenAPI 3.1 takes it) of the region spec a client sends. */
export function regionSpecJsonSchema(): object {
  return componentSchema(regionSpec);
}

/** JSON Schema (2020-12) of the fleet-wide settings. */
export function fleetSettingsJsonSchema(): object {
  return componentSchema(fleetSettings);
}
