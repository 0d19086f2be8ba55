/**
 * The role an operation needs, by its kind. Removing a region and failing over need an admin to be
 * started (DELETE /regions/{name}, POST /failover), and so to be cancelled or retried: a retry
 * starts the rest of the change again, and a cancel stops it half-way. Every other kind is an
 * operator's. The routes guard both from this one list.
 */
import type { OperationKind } from "../../domain/model";
import { NotAllowedError } from "../errors";
import { roleAtLeast, type Principal, type Role } from "./tokens";

export const ADMIN_OPERATION_KINDS: readonly OperationKind[] = ["remove", "failover"];

/** The role that starts, cancels and retries an operation of this kind. */
export function roleForKind(kind: OperationKind): Role {
  return ADMIN_OPERATION_KINDS.includes(kind) ? "admin" : "operator";
}

/** Throws a 403 naming the kind and the role needed when `who` may not cancel or retry `op`. */
export function checkMayControl(who: Principal, op: { id: string; kind: OperationKind }, verb: "cancel" | "retry"): void {
  const needed = roleForKind(op.kind);
  if (!roleAtLeast(who.role, needed)) {
    throw new NotAllowedError(`operation ${op.id} is a ${op.kind} operation: to ${verb} it needs the ${needed} role, as starting it does; ${who.name} is ${who.role}`);
  }
}
