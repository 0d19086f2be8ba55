/**
 * How the engine's events and results become the service's: events reduced to what is stored and
 * streamed (never property values), change counts, outputs, and the engine's failures explained.
 */
import { CommandError, type EngineEvent as PulumiEngineEvent } from "@pulumi/pulumi/automation";
import type { ChangeSummary, EngineEvent, StackOutputs, StepAction } from "./stackRunner";

export function countChanges(changes: Record<string, number> | undefined): ChangeSummary {
  const out: ChangeSummary = {};
  for (const [op, n] of Object.entries(changes ?? {})) if (n > 0) out[op] = n;
  return out;
}

export function mapOutputs(outputs: Record<string, { value: unknown; secret: boolean }>): StackOutputs {
  const out: StackOutputs = {};
  for (const [k, v] of Object.entries(outputs)) out[k] = { value: v.value, secret: v.secret };
  return out;
}

const CHANGING_OPS = new Set(["create", "update", "delete", "replace", "create-replacement", "delete-replaced", "import"]);

export function isChange(action: StepAction, e: PulumiEngineEvent): boolean {
  const md = e.resOutputsEvent?.metadata ?? e.resourcePreEvent?.metadata;
  if (!md) return false;
  if (md.type === "pulumi:pulumi:Stack") return false;
  if (action === "refresh") {
    // The engine reports a refreshed resource as op "same" when its inputs still match, even when
    // the real state (its outputs) moved: drift is any output that differs from the recorded one.
    return Boolean(e.resOutputsEvent) && (md.op !== "same" || driftedKeys(md).length > 0);
  }
  return Boolean(e.resourcePreEvent) && CHANGING_OPS.has(md.op);
}

/** Reduces an engine event to what the service stores. Property values are never copied. */
export function mapEvent(e: PulumiEngineEvent): EngineEvent | undefined {
  if (e.diagnosticEvent) {
    const d = e.diagnosticEvent;
    // The SDK's type omits it, but the engine also sends "debug" diagnostics (SDK internals): not
    // worth storing per operation.
    if ((d.severity as string) === "debug") return undefined;
    const message = d.message.replace(/\u001b\[[0-9;]*m/g, "").trimEnd();
    if (!message) return undefined;
    return {
      kind: "diagnostic",
      message,
      ...(d.urn ? { urn: d.urn } : {}),
      severity: d.severity === "warning" ? "warning" : d.severity === "error" ? "error" : "info",
    };
  }
  if (e.resourcePreEvent) {
    const md = e.resourcePreEvent.metadata;
    return { kind: "resourcePre", message: `${md.op} ${md.type} ${lastSegment(md.urn)}`, urn: md.urn, op: md.op, severity: "info" };
  }
  if (e.resOutputsEvent) {
    const md = e.resOutputsEvent.metadata;
    const changed = md.diffs && md.diffs.length > 0 ? md.diffs : md.op === "refresh" || md.op === "same" ? driftedKeys(md) : [];
    const diffs = changed.length > 0 ? ` (changed: ${changed.join(", ")})` : "";
    return { kind: "resOutputs", message: `${md.op} ${md.type} ${lastSegment(md.urn)} done${diffs}`, urn: md.urn, op: md.op, severity: "info" };
  }
  if (e.resOpFailedEvent) {
    const md = e.resOpFailedEvent.metadata;
    return { kind: "resOpFailed", message: `${md.op} ${md.type} ${lastSegment(md.urn)} failed`, urn: md.urn, op: md.op, severity: "error" };
  }
  if (e.summaryEvent) {
    const s = e.summaryEvent;
    const counts = Object.entries(s.resourceChanges as Record<string, number | undefined>)
      .filter(([, n]) => (n ?? 0) > 0)
      .map(([op, n]) => `${op}=${n ?? 0}`);
    return { kind: "summary", message: `summary: ${counts.join(" ") || "no changes"} in ${s.durationSeconds}s`, severity: "info" };
  }
  if (e.cancelEvent) return { kind: "cancel", message: "cancelled", severity: "warning" };
  return undefined;
}

/** Output keys whose refreshed value differs from the recorded one (names only, never values). */
export function driftedKeys(md: { old?: { outputs?: Record<string, unknown> }; new?: { outputs?: Record<string, unknown> } }): string[] {
  const before = md.old?.outputs ?? {};
  const after = md.new?.outputs ?? {};
  const keys = new Set([...Object.keys(before), ...Object.keys(after)]);
  return [...keys].filter((k) => k !== "__provider" && JSON.stringify(before[k]) !== JSON.stringify(after[k])).sort();
}

function lastSegment(urn: string): string {
  return urn.split("::").pop() ?? urn;
}

/**
 * How the CLI died, when it did not exit by itself: "was killed by SIGKILL" (execa, under the SDK,
 * records the signal). Undefined for an ordinary failure (the CLI exited with an error).
 */
export function engineDeath(err: unknown): string | undefined {
  if (!(err instanceof CommandError)) return undefined;
  const cause = (err as unknown as { commandResult?: { err?: { signal?: unknown } } }).commandResult?.err;
  return typeof cause?.signal === "string" && cause.signal !== "" ? `was killed by ${cause.signal}` : undefined;
}

export function summarizeCliError(raw: string): string {
  const lines = raw.split("\n").map((l) => l.trim());
  const errs = lines.filter((l) => /^error:/i.test(l) || /error: /.test(l));
  const picked = errs.length > 0 ? errs : lines.filter(Boolean).slice(-3);
  return picked.join("\n").slice(0, 2000);
}
