/**
 * The runbook's cross-region consistency check (Phase 6.2) as a pure verdict: every region's row
 * count and md5 checksum of `debates` ids created before one cutoff, compared with the primary's.
 */

export interface RegionFigures {
  region: string;
  primary: boolean;
  /** "ok": figures below; "unreachable": the query failed; "unsupported": not a local region. */
  status: "ok" | "unreachable" | "unsupported";
  error?: string | undefined;
  rows?: number | undefined;
  rowsBeforeCutoff?: number | undefined;
  checksum?: string | undefined;
}

export type RegionVerdict = "match" | "mismatch" | "unreachable" | "unsupported" | "reference";

export interface ConsistencyReport {
  /** consistent: every region matches the primary; inconsistent: at least one differs; incomplete: some could not be read. */
  verdict: "consistent" | "inconsistent" | "incomplete";
  cutoff: string;
  reference: string | undefined;
  regions: (RegionFigures & { verdict: RegionVerdict; differences?: string[] | undefined })[];
  /** Regions whose figures differ from the primary's. */
  mismatched: string[];
  unreachable: string[];
}

export function judgeConsistency(cutoff: string, figures: readonly RegionFigures[]): ConsistencyReport {
  const ref = figures.find((f) => f.primary && f.status === "ok") ?? figures.find((f) => f.status === "ok");
  const regions = figures.map((f) => {
    if (f.status === "unreachable") return { ...f, verdict: "unreachable" as const };
    if (f.status === "unsupported") return { ...f, verdict: "unsupported" as const };
    if (f === ref) return { ...f, verdict: "reference" as const };
    const differences: string[] = [];
    if (f.rowsBeforeCutoff !== ref?.rowsBeforeCutoff) differences.push(`${f.rowsBeforeCutoff ?? "?"} rows vs ${ref?.rowsBeforeCutoff ?? "?"} on ${ref?.region ?? "?"}`);
    if (f.checksum !== ref?.checksum) differences.push(`md5 ${f.checksum ?? "?"} vs ${ref?.checksum ?? "?"} on ${ref?.region ?? "?"}`);
    return differences.length > 0 ? { ...f, verdict: "mismatch" as const, differences } : { ...f, verdict: "match" as const };
  });
  const mismatched = regions.filter((r) => r.verdict === "mismatch").map((r) => r.region);
  const unreachable = regions.filter((r) => r.verdict === "unreachable").map((r) => r.region);
  const verdict = mismatched.length > 0 ? "inconsistent" : unreachable.length > 0 || ref === undefined ? "incomplete" : "consistent";
  return { verdict, cutoff, reference: ref?.region, regions, mismatched, unreachable };
}

/** One line per region with its figures. */
export function figuresLine(r: ConsistencyReport["regions"][number]): string {
  if (r.status === "unreachable") return `${r.region}: unreachable (${r.error ?? "no answer"})`;
  if (r.status === "unsupported") return `${r.region}: not checked (${r.error ?? "not a local region"})`;
  const role = r.primary ? " (primary)" : "";
  const diff = r.differences ? ` MISMATCH: ${r.differences.join(", ")}` : "";
  return `${r.region}${role}: ${r.rowsBeforeCutoff ?? "?"} rows before the cutoff (${r.rows ?? "?"} in all), md5 ${r.checksum ?? "?"}${diff}`;
}

export function reportText(rep: ConsistencyReport): string {
  const head =
    rep.verdict === "consistent"
      ? `consistent: all ${rep.regions.length} regions agree`
      : rep.verdict === "inconsistent"
        ? `inconsistent: ${rep.mismatched.join(", ")} differ${rep.mismatched.length === 1 ? "s" : ""} from ${rep.reference ?? "the primary"}`
        : `incomplete: ${rep.unreachable.length > 0 ? `${rep.unreachable.join(", ")} could not be read` : "no region could be read"}`;
  return `${head} on debates created before ${rep.cutoff}. ${rep.regions.map(figuresLine).join("; ")}`;
}
