/**
 * The `validate` step (POST /fleet/validate): the runbook's consistency check across the fleet.
 * One cutoff, taken on the primary (`now() - cutoffAgeSeconds`), then per region: row count and
 * md5 of the ids of `debates` created before it. The step succeeds with the verdict and the figures
 * in its note and summary when every region agrees, and fails naming the regions that differ (or
 * could not be read) otherwise; each region's figures are also in the operation log.
 */
import type { ActionHandler } from "../orchestrator/actions";
import type { EndpointCache } from "./endpoints";
import { judgeConsistency, reportText, figuresLine, type RegionFigures } from "./consistency";
import { cutoffAt, debateFigures, errorText } from "./pgProbe";

export interface ValidateOptions {
  endpoints: EndpointCache;
  /** Rows younger than this are left out (replication may still be delivering them). Runbook: 1 hour. */
  cutoffAgeSeconds?: number;
}

export const DEFAULT_CUTOFF_AGE_SECONDS = 3600;

export function createValidate(o: ValidateOptions): ActionHandler {
  return async (ctx) => {
    const specs = ctx.state.specs;
    const started = Date.now();
    const eps = new Map(
      await Promise.all(specs.filter((s) => s.provider === "local").map(async (s) => [s.name, await o.endpoints.get(s.name, { fresh: true })] as const)),
    );
    const primary = specs.find((s) => s.primary);
    const primaryEp = primary ? eps.get(primary.name) : undefined;
    const age = o.cutoffAgeSeconds ?? DEFAULT_CUTOFF_AGE_SECONDS;
    let cutoff: string;
    if (primaryEp) {
      try {
        cutoff = await cutoffAt(primaryEp, age);
      } catch {
        cutoff = new Date(Date.now() - age * 1000).toISOString();
      }
    } else {
      cutoff = new Date(Date.now() - age * 1000).toISOString();
    }
    const figures: RegionFigures[] = await Promise.all(
      specs.map(async (s): Promise<RegionFigures> => {
        const base = { region: s.name, primary: s.primary };
        if (s.provider !== "local") return { ...base, status: "unsupported", error: `${s.provider} regions are checked by their own monitoring` };
        const ep = eps.get(s.name);
        if (!ep) return { ...base, status: "unreachable", error: "no stack outputs (not deployed)" };
        try {
          return { ...base, status: "ok", ...(await debateFigures(ep, cutoff)) };
        } catch (err) {
          return { ...base, status: "unreachable", error: errorText(err) };
        }
      }),
    );
    const report = judgeConsistency(cutoff, figures);
    for (const r of report.regions) {
      ctx.emit({ kind: "validate.region", message: figuresLine(r), severity: r.verdict === "mismatch" || r.verdict === "unreachable" ? "warning" : "info" });
    }
    const text = reportText(report);
    ctx.emit({ kind: "validate.verdict", message: text, severity: report.verdict === "consistent" ? "info" : "error" });
    if (report.verdict !== "consistent") throw new Error(text);
    const ok = report.regions.filter((r) => r.verdict === "match" || r.verdict === "reference").length;
    return {
      status: "succeeded",
      note: text,
      result: {
        action: "refresh",
        stack: ctx.step.stack,
        summary: { regions: report.regions.length, consistent: ok, rows: report.regions.find((r) => r.verdict === "reference")?.rowsBeforeCutoff ?? 0 },
        outputs: {},
        changes: [],
        durationMs: Date.now() - started,
      },
    };
  };
}
