import fc from "fast-check";
import type { StepStatus } from "../../../../domain/model";
import { schedule, type FinishedOperation, type SchedulerOperation, type SchedulerStep } from "../../../../server/orchestrator/scheduler";

/** A step `action:stack` (the stack is the part after the colon), pending with no dependencies unless told. */
function step(id: string, o: { deps?: string[]; status?: StepStatus; reads?: string[]; stack?: string } = {}): SchedulerStep {
  return { id, stack: o.stack ?? id.slice(id.indexOf(":") + 1), dependsOn: o.deps ?? [], status: o.status ?? "pending", reads: o.reads ?? [] };
}

function op(id: string, steps: SchedulerStep[], cancelRequested = false): SchedulerOperation {
  return { id, steps, cancelRequested };
}

/** The usual rollout: primary, two replicas reading it, global reading all three. */
function rollout(id: string, status: Partial<Record<string, StepStatus>> = {}): SchedulerOperation {
  return op(id, [
    step("up:p", { status: status["up:p"] }),
    step("up:r1", { deps: ["up:p"], reads: ["p"], status: status["up:r1"] }),
    step("up:r2", { deps: ["up:p"], reads: ["p"], status: status["up:r2"] }),
    step("up:g", { deps: ["up:r1", "up:r2"], reads: ["p", "r1", "r2"], status: status["up:g"] }),
  ]);
}

interface Row {
  operations: SchedulerOperation[];
  maxParallel?: number;
  /** `operation/step`, in the order started. */
  start: string[];
  finished?: [string, FinishedOperation["status"], string[]][];
  engines?: number;
}

const table: [string, Row][] = [
  // DAG order
  ["when nothing has run yet, then only the steps without dependencies start", { operations: [rollout("a")], start: ["a/up:p"], engines: 2 }],
  ["when the primary succeeded, then both replicas start together, and global waits for both", { operations: [rollout("a", { "up:p": "succeeded" })], start: ["a/up:r1", "a/up:r2"], engines: 2 }],
  ["when one replica succeeded and the other runs, then global waits", { operations: [rollout("a", { "up:p": "succeeded", "up:r1": "succeeded", "up:r2": "running" })], start: [], engines: 1 }],
  ["when a dependency was skipped, then it counts as done", { operations: [op("a", [step("up:p", { status: "skipped" }), step("up:r", { deps: ["up:p"] })])], start: ["a/up:r"] }],
  ["when a dependency is not a step of the operation, then it counts as done", { operations: [op("a", [step("up:r", { deps: ["up:gone"] })])], start: ["a/up:r"] }],
  ["when every step is done, then the operation is over, succeeded", { operations: [op("a", [step("up:p", { status: "succeeded" }), step("validate:fleet", { status: "skipped" })])], start: [], finished: [["a", "succeeded", []]] }],
  ["when an operation has no steps, then it is over at once, succeeded", { operations: [op("a", [])], start: [], finished: [["a", "succeeded", []]], engines: 0 }],

  // failures and cancels
  ["when a step failed and nothing runs, then its dependents never start and the operation is over, failed", {
    operations: [rollout("a", { "up:p": "failed" })], start: [], finished: [["a", "failed", ["up:r1", "up:r2", "up:g"]]],
  }],
  ["when a step failed while a sibling runs, then nothing more starts (not even an independent step) and the operation is not over yet", {
    operations: [op("a", [step("up:r1", { status: "failed" }), step("up:r2", { status: "running" }), step("up:r3")])], start: [],
  }],
  ["when a cancel is requested while a step runs, then nothing more starts and the operation is not over yet", {
    operations: [op("a", [step("up:p", { status: "running" }), step("up:g", { deps: ["up:p"] })], true)], start: [],
  }],
  ["when a cancel is requested and nothing runs, then the operation is over, cancelled, its pending steps not run", {
    operations: [op("a", [step("up:p", { status: "succeeded" }), step("up:g", { deps: ["up:p"] })], true)], start: [], finished: [["a", "cancelled", ["up:g"]]],
  }],
  ["when a step needs attention (pending operations) while a sibling runs, then nothing more starts and the operation is not over yet", {
    operations: [op("a", [step("up:r1", { status: "needs_attention" }), step("up:r2", { status: "running" }), step("up:r3")])], start: [],
  }],
  ["when a step needs attention and another failed, then the operation is over, needs_attention: an admin acts first", {
    operations: [op("a", [step("up:r1", { status: "needs_attention" }), step("up:r2", { status: "failed" }), step("up:g", { deps: ["up:r1", "up:r2"] })])], start: [], finished: [["a", "needs_attention", ["up:g"]]],
  }],
  ["when a step needs attention and a cancel was requested, then the operation is over, needs_attention", {
    operations: [op("a", [step("up:p", { status: "needs_attention" }), step("up:g", { deps: ["up:p"] })], true)], start: [], finished: [["a", "needs_attention", ["up:g"]]],
  }],
  ["when a step was interrupted or cancelled and none failed, then the operation is over, cancelled", {
    operations: [op("a", [step("up:p", { status: "interrupted" }), step("up:g", { deps: ["up:p"] })])], start: [], finished: [["a", "cancelled", ["up:g"]]],
  }],
  ["when a cancel is requested after every step is done, then the operation is over, succeeded", {
    operations: [op("a", [step("up:p", { status: "succeeded" })], true)], start: [], finished: [["a", "succeeded", []]],
  }],

  // one step per stack
  ["when two ready steps of one operation are on one stack, then only the first starts", {
    operations: [op("a", [step("refresh:p"), step("preview:p")])], start: ["a/refresh:p"],
  }],
  ["when a later operation runs a step on the stack, then an earlier operation's step there waits too", {
    operations: [op("a", [step("up:p")]), op("b", [step("up:p", { status: "running" })])], start: [],
  }],

  // queue order between operations
  ["when an earlier operation still has a pending step on a stack, then a later operation's step there waits, though the stack is idle", {
    operations: [rollout("a", { "up:p": "running" }), op("b", [step("up:g", { reads: ["p"] })])], start: [],
  }],
  ["when a later step reads a stack an earlier operation is still changing, then it waits", {
    operations: [op("a", [step("up:p", { status: "running" })]), op("b", [step("up:r", { reads: ["p"] })])], start: [],
  }],
  ["when a later operation shares no stack with a blocked earlier one, then it overtakes it", {
    operations: [rollout("a", { "up:p": "running" }), op("b", [step("up:q")]), op("c", [step("up:g")])], start: ["b/up:q"],
  }],
  ["when an earlier operation is waiting on a stack, then a later one waits behind it there (no overtaking on shared stacks)", {
    operations: [op("x", [step("up:p", { status: "running" })]), op("a", [step("up:p")]), op("b", [step("up:p")])], start: [],
  }],
  ["when an earlier operation that failed still runs a step, then its pending steps hold their stacks until it is over", {
    operations: [op("a", [step("up:r1", { status: "failed" }), step("up:r2", { status: "running" }), step("up:g", { deps: ["up:r1", "up:r2"] })]), op("b", [step("up:g")])], start: [],
  }],
  ["when the earlier operation is over now, then its stacks are free for the later one in the same decision", {
    operations: [rollout("a", { "up:p": "failed" }), op("b", [step("up:g")])], start: ["b/up:g"], finished: [["a", "failed", ["up:r1", "up:r2", "up:g"]]],
  }],

  // the parallel limit
  ["when more steps are ready than the limit, then the first ones in plan order start up to the limit", {
    operations: [op("a", [step("up:x"), step("up:y"), step("up:z")])], maxParallel: 2, start: ["a/up:x", "a/up:y"], engines: 2,
  }],
  ["when steps of several operations are ready, then earlier operations get the slots first", {
    operations: [op("a", [step("up:x")]), op("b", [step("up:y")]), op("c", [step("up:z")])], maxParallel: 2, start: ["a/up:x", "b/up:y"],
  }],
  ["when running steps take every slot, then nothing starts", {
    operations: [op("a", [step("up:x", { status: "running" })]), op("b", [step("up:y", { status: "running" }), step("up:z")])], maxParallel: 2, start: [], engines: 2,
  }],
  ["when the limit is 1, then one step runs at a time and one engine is wanted", {
    operations: [rollout("a", { "up:p": "succeeded" })], maxParallel: 1, start: ["a/up:r1"], engines: 1,
  }],
];

describe("scheduler", () => {
  test.each(table)("%s", (_name, row) => {
    const out = schedule({ operations: row.operations, maxParallel: row.maxParallel ?? 4 });
    expect(out.start.map((s) => `${s.operationId}/${s.stepId}`)).toEqual(row.start);
    expect(out.finished.map((f) => [f.operationId, f.status, f.notRun])).toEqual(row.finished ?? []);
    if (row.engines !== undefined) expect(out.engines).toBe(row.engines);
  });

  test("when the inputs are given, then they are not changed (the scheduler only answers)", () => {
    const operations = [rollout("a", { "up:p": "succeeded" }), op("b", [step("up:q")])];
    const copy = structuredClone(operations);
    schedule({ operations, maxParallel: 4 });
    expect(operations).toEqual(copy);
  });
});

// ---- properties: a random workload, run to the end with random outcomes

const STACKS = ["a", "b", "c", "d"];

const workload = fc
  .array(
    fc.array(fc.record({ stack: fc.constantFrom(...STACKS), deps: fc.array(fc.nat(), { maxLength: 2 }), reads: fc.subarray(STACKS) }), { minLength: 0, maxLength: 4 }),
    { minLength: 1, maxLength: 4 },
  )
  .map((ops) =>
    ops.map((steps, i) =>
      op(
        `o${i}`,
        steps.map((s, j) => ({
          id: `s${j}`,
          stack: s.stack,
          // Only earlier steps: the plan is a DAG.
          dependsOn: j === 0 ? [] : [...new Set(s.deps.map((d) => `s${d % j}`))],
          status: "pending",
          reads: s.reads.filter((r) => r !== s.stack),
        })),
      ),
    ),
  );

interface Trace {
  maxRunningPerStack: number;
  maxRunning: number;
  violations: string[];
  rounds: number;
  finished: string[];
}

/** Runs the workload to its end: each round, the scheduler decides, then one running step ends (succeeded or failed). */
function simulate(initial: SchedulerOperation[], maxParallel: number, choices: number[]): Trace {
  const ops = initial.map((o) => ({ ...o, steps: o.steps.map((s) => ({ ...s })) }));
  const trace: Trace = { maxRunningPerStack: 0, maxRunning: 0, violations: [], rounds: 0, finished: [] };
  let live = ops;
  for (let round = 0; live.length > 0; round++) {
    trace.rounds = round;
    if (round > 200) {
      trace.violations.push("no end after 200 rounds");
      break;
    }
    const out = schedule({ operations: live, maxParallel });
    const over = new Set(out.finished.map((f) => f.operationId));
    trace.finished.push(...over);
    live = live.filter((o) => !over.has(o.id));
    for (const s of out.start) {
      const i = live.findIndex((o) => o.id === s.operationId);
      const target = live[i]?.steps.find((x) => x.id === s.stepId);
      if (!target) {
        trace.violations.push(`started ${s.operationId}/${s.stepId}, which is not live`);
        continue;
      }
      const byId = new Map(live[i]!.steps.map((x) => [x.id, x]));
      if (!target.dependsOn.every((d) => ["succeeded", "skipped"].includes(byId.get(d)?.status ?? "succeeded"))) trace.violations.push(`${s.stepId} started before its dependencies were done`);
      const needs = [target.stack, ...target.reads];
      for (const earlier of live.slice(0, i)) {
        if (earlier.steps.some((x) => ["pending", "running"].includes(x.status) && needs.includes(x.stack))) trace.violations.push(`${s.operationId}/${s.stepId} overtook ${earlier.id} on a shared stack`);
      }
      target.status = "running";
    }
    const running = live.flatMap((o) => o.steps.filter((x) => x.status === "running"));
    trace.maxRunning = Math.max(trace.maxRunning, running.length);
    for (const stack of STACKS) trace.maxRunningPerStack = Math.max(trace.maxRunningPerStack, running.filter((x) => x.stack === stack).length);
    if (running.length === 0) {
      if (out.start.length === 0 && out.finished.length === 0) {
        trace.violations.push("stuck: nothing runs, nothing starts, nothing ends");
        break;
      }
      continue;
    }
    const choice = choices[round % choices.length] ?? 0;
    const ending = running[choice % running.length]!;
    ending.status = choice % 5 === 0 ? "failed" : "succeeded";
  }
  return trace;
}

describe("scheduler properties", () => {
  const run = fc.tuple(workload, fc.integer({ min: 1, max: 3 }), fc.array(fc.nat(), { minLength: 1, maxLength: 40 }));

  test("when a random workload runs to its end, then no stack ever runs two steps and no more than the limit run at once", () => {
    fc.assert(
      fc.property(run, ([ops, maxParallel, choices]) => {
        const t = simulate(ops, maxParallel, choices);
        expect(t.maxRunningPerStack).toBeLessThanOrEqual(1);
        expect(t.maxRunning).toBeLessThanOrEqual(maxParallel);
      }),
      { numRuns: 300 },
    );
  });

  test("when a random workload runs to its end, then steps start only after their dependencies, never ahead of an earlier operation on a shared stack, and every operation ends", () => {
    fc.assert(
      fc.property(run, ([ops, maxParallel, choices]) => {
        const t = simulate(ops, maxParallel, choices);
        expect(t.violations).toEqual([]);
        expect([...t.finished].sort()).toEqual(ops.map((o) => o.id).sort());
      }),
      { numRuns: 300 },
    );
  });
});
