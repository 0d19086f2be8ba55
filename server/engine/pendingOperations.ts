/**
 * Pending operations in a stack's checkpoint: the resource creates, updates and deletes a killed
 * engine run started and never recorded as finished. Pulumi keeps them (it never drops a pending
 * create by itself) and so does the service: this file reads them from an exported deployment,
 * says which ones the project's own providers can settle alone, and builds the import request that
 * records an admin's "this create happened, its id is X".
 */
import type { ImportResource } from "@pulumi/pulumi/automation";
import type { PendingDecision, PendingDecisionResult, PendingOperation } from "./stackRunner";
import type { OwnPlugin } from "./stackWorkspaces";

interface DeploymentOperation {
  type?: unknown;
  resource?: { urn?: unknown; type?: unknown; id?: unknown; parent?: unknown; provider?: unknown; custom?: unknown };
}

/** The pending operations of an exported deployment (`stack export`'s `deployment`). */
export function pendingIn(deployment: unknown): PendingOperation[] {
  const ops = (deployment as { pending_operations?: DeploymentOperation[] } | undefined)?.pending_operations ?? [];
  const text = (v: unknown): string => (typeof v === "string" ? v : "");
  return ops.map((op) => ({
    urn: text(op.resource?.urn),
    type: text(op.resource?.type),
    operation: text(op.type),
    ...(typeof op.resource?.id === "string" && op.resource.id !== "" ? { id: op.resource.id } : {}),
    ...(op.resource?.custom === false ? { custom: false } : {}),
  }));
}

export const isCreate = (op: PendingOperation): boolean => op.operation === "creating";

/**
 * A pending create that running it again settles: one of an own plugin whose creates adopt
 * (OwnPlugin.createsAdopt), a provider resource (its create configures a plugin inside the engine)
 * or a component (no provider involved). Nothing outside the engine can exist twice for these.
 */
export function adoptable(op: PendingOperation, plugins: readonly OwnPlugin[]): boolean {
  if (!isCreate(op)) return false;
  if (op.custom === false || op.type.startsWith("pulumi:providers:")) return true;
  return plugins.some((p) => p.createsAdopt === true && op.type.startsWith(`${p.name}:`));
}

/**
 * The `pulumi import` request recording pending creates as existing resources with the ids an
 * admin gave: same type, name, parent and provider as the create the killed run started.
 */
export function importRequest(deployment: unknown, imports: readonly { urn: string; id: string }[]): { resources: ImportResource[]; nameTable: Record<string, string> } {
  const ops = (deployment as { pending_operations?: DeploymentOperation[] } | undefined)?.pending_operations ?? [];
  const nameTable: Record<string, string> = {};
  const ref = (urn: string): string => {
    const existing = Object.entries(nameTable).find(([, u]) => u === urn);
    if (existing) return existing[0];
    const name = `r${Object.keys(nameTable).length}`;
    nameTable[name] = urn;
    return name;
  };
  const resources = imports.map(({ urn, id }) => {
    const res = ops.find((o) => o.resource?.urn === urn)?.resource;
    if (!res) throw new Error(`${urn} is not a pending create of this stack`);
    // A provider reference is `<provider urn>::<provider id>`.
    const provider = typeof res.provider === "string" ? res.provider.slice(0, res.provider.lastIndexOf("::")) : undefined;
    return {
      type: typeof res.type === "string" ? res.type : "",
      name: urn.slice(urn.lastIndexOf("::") + 2),
      id,
      ...(typeof res.parent === "string" && res.parent !== "" ? { parent: ref(res.parent) } : {}),
      ...(provider ? { provider: ref(provider) } : {}),
    };
  });
  return { resources, nameTable };
}

/** Why `decisions` do not decide each pending create in `pending` exactly once; undefined when they do. */
export function refusedDecisions(pending: readonly PendingOperation[], decisions: readonly PendingDecision[]): Extract<PendingDecisionResult, { refused: unknown }>["refused"] | undefined {
  const creates = pending.filter(isCreate).map((c) => c.urn);
  const urns = decisions.map((d) => d.urn);
  const refused = {
    undecided: creates.filter((c) => !urns.includes(c)),
    notPending: urns.filter((u) => !creates.includes(u)),
    twice: [...new Set(urns.filter((u, i) => urns.indexOf(u) !== i))],
  };
  return refused.undecided.length + refused.notPending.length + refused.twice.length > 0 ? refused : undefined;
}
