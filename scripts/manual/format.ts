/** The engine's events and a stack's outputs as the CLI would print them. */
import type { ManualCommand } from "./args";
import type { EngineEvent, StackOutputs } from "./engine";

const OP_SIGNS: Record<string, string> = {
  create: "+",
  update: "~",
  delete: "-",
  replace: "+-",
  "create-replacement": "++",
  "delete-replaced": "--",
  read: ">",
  refresh: "~",
  same: " ",
  import: "=",
  discard: "-",
};

const DONE: Record<string, string> = {
  create: "created",
  update: "updated",
  delete: "deleted",
  replace: "replaced",
  "create-replacement": "created replacement",
  "delete-replaced": "deleted original",
  read: "read",
  refresh: "refreshed",
  same: "unchanged",
  import: "imported",
  discard: "discarded",
};

/** `type` and `name` of a resource from its URN (`urn:pulumi:<stack>::<project>::<parent$…$type>::<name>`). */
export function urnParts(urn: string): { type: string; name: string } {
  const parts = urn.split("::");
  const types = (parts[2] ?? "").split("$");
  return { type: types[types.length - 1] ?? "", name: parts.slice(3).join("::") };
}

/**
 * The Node SDK's own debug messages. The engine sends them as diagnostics of severity "debug",
 * which the service's event mapping (mapEvent) currently reports as "info"; the CLI hides them.
 */
const SDK_DEBUG =
  /^(Registering resource: |Reading resource: |Getting resource: |registering |skip re-registering |Serialize property |Resource RPC serialization |RegisterResource RPC |RegisterResourceOutputs RPC |ReadResource RPC |Invoke RPC |getResource Invoke RPC |Call RPC |Found free variables|Found typescript version|Found ts-node version|Using vendored |Ignoring error in loadCompilerOptions|failed to unref the callback server)/;

/** One engine event as a readable line, or undefined to skip it. */
export function formatEvent(e: EngineEvent, command: ManualCommand, diff: boolean): string | undefined {
  switch (e.kind) {
    case "resourcePre": {
      if (!e.urn || !e.op) return `  ${e.message}`;
      if (e.op === "same" && !diff && command !== "preview") return undefined;
      const { type, name } = urnParts(e.urn);
      return `  ${(OP_SIGNS[e.op] ?? "*").padEnd(2)} ${e.op.padEnd(8)} ${type}  ${name}`;
    }
    case "resOutputs": {
      // Preview: the plan line said it all, unless property names changed (shown with --diff).
      const changed = /\(changed: (.*)\)$/.exec(e.message)?.[1];
      if (command === "preview" || (e.op === "same" && !changed)) {
        return diff && changed && e.urn ? `       ${urnParts(e.urn).name}: changed ${changed}` : undefined;
      }
      if (!e.urn || !e.op) return `  ${e.message}`;
      const { type, name } = urnParts(e.urn);
      return `  ${(OP_SIGNS[e.op] ?? "*").padEnd(2)} ${(DONE[e.op] ?? `${e.op} done`).padEnd(8)} ${type}  ${name}${changed ? ` (changed: ${changed})` : ""}`;
    }
    case "resOpFailed":
      return `  ** ${e.message}`;
    case "diagnostic": {
      if (e.severity === "debug" || (e.severity === "info" && SDK_DEBUG.test(e.message))) return undefined;
      const where = e.urn ? ` ${urnParts(e.urn).name}` : "";
      const sev = e.severity === "error" ? "error" : e.severity === "warning" ? "warning" : "info";
      return e.message
        .split("\n")
        .map((l, i) => (i === 0 ? `  ${sev}${where}: ${l}` : `    ${l}`))
        .join("\n");
    }
    case "summary":
      return e.message.replace(/^summary: /, "Resources: ");
    default:
      // "cancel" ends every failed run too; an interrupt is reported by its own message.
      return undefined;
  }
}

/** Outputs as `key: value` lines, secrets as `[secret]`, keys sorted. */
export function formatOutputs(outputs: StackOutputs): string[] {
  return Object.keys(outputs)
    .sort()
    .map((k) => {
      const o = outputs[k];
      if (o === undefined) return `  ${k}: `;
      if (o.secret) return `  ${k}: [secret]`;
      return `  ${k}: ${typeof o.value === "string" ? o.value : JSON.stringify(o.value)}`;
    });
}
