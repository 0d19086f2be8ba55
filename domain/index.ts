/**
 * The domain: the model's words and its pure decisions. The bottom layer: it imports nothing of
 * the project outside domain/ and no I/O library (no Pulumi SDK, HTTP, database or Redis client),
 * so components, stack programs, the engine, the orchestrator, the service and the tools can all
 * depend on it (the import rules are in eslint.config.mjs).
 *
 * Glossary:
 * - region: one deployment of Aragora (network, PostgreSQL, Redis, app, GLB pool), described by a
 *   region spec (spec/regionSpec.ts) and deployed as one Pulumi stack named after the region.
 * - region spec: what a client asks for; resolved against the fleet (spec/validateRegion.ts:
 *   provider, CIDR, geo codes, local ports) before anything is planned.
 * - fleet: every region plus the `global` stack; exactly one region is the write primary. The
 *   planner's FleetState holds the resolved specs (oldest first) and the fleet settings
 *   (spec/fleetSettings.ts); the FleetView (spec/stackConfig.ts) is what each stack's config
 *   carries of it.
 * - topology: facts derived from the fleet (fleet/topology.ts): peering links and who owns them,
 *   replication slots, GLB pools, the app's environment, local port blocks, and which stacks a
 *   stack reads (fleet/prerequisites.ts).
 * - stack: a Pulumi stack of project `aragora`: `global` or a region name (`fleet` names the
 *   pseudo-stack of the fleet-wide validate step).
 * - stack config: a stack's validated inputs (spec/stackConfig.ts), carried as Pulumi config values
 *   (stackConfigEncoding.ts).
 * - program: the Pulumi program of a stack, built from its stack config (stacks/region.ts,
 *   stacks/global.ts; not part of the domain).
 * - target: where a region runs (its provider): `aws` (production) or `local` (real processes on
 *   this machine).
 * - operation: one requested change (add, update, apply (several regions at once), remove,
 *   failover, reconcile, preview, refresh, validate), planned as a DAG of steps (fleet/plan.ts) and
 *   run by the orchestrator. Durable: it survives restarts.
 * - step: one action on one stack inside an operation (up, preview, refresh, destroy, promote,
 *   validate), with its own status, timing and change summary.
 * - event: one line of an operation's append-only log (engine events and the orchestrator's own),
 *   with a globally increasing id that SSE clients resume from.
 * - pending operation: a resource create, update or delete an engine run started and never recorded
 *   as finished because the run was killed (Pulumi keeps it in the stack's checkpoint). Resolved
 *   against reality where the provider can read it; otherwise the step ends `needs_attention` and
 *   an admin decides (docs/reliability.md, "Pending operations").
 * - audit entry: who asked for which change, when, and what the service answered.
 * Records and statuses of operations, steps, events, regions, stacks and audit entries: model.ts.
 */
export * from "./spec";
export * from "./fleet";
export * from "./model";
export * from "./stackConfigEncoding";
