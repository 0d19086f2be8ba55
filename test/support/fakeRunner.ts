/**
 * The one fake engine: a StackRunner that records every call (stack, action, start/end), can be
 * slowed down, failed or held at a gate, and emits what a script says. The default script is a
 * plain engine's (a resource, a diagnostic with a fake database URL, a summary); `leakySecrets` is
 * an engine that prints each stack's generated password everywhere it can.
 */
import {
  StepCancelledError,
  StepFailedError,
  type EngineEvent,
  type PendingDecision,
  type PendingDecisionResult,
  type PendingOperation,
  type PendingResolution,
  type RunOptions,
  type StackOutputs,
  type StackRunner,
  type StackRunRequest,
  type StepAction,
  type StepResult,
} from "../../server/engine/stackRunner";
import { adoptable, isCreate, refusedDecisions } from "../../server/engine/pendingOperations";
import { ownPlugins } from "../../stacks/plugins";

export interface RunnerCall {
  stack: string;
  action: StepAction;
  start: number;
  end?: number;
  config: StackRunRequest["config"];
  /** The RunOptions the call got (their names). */
  options: string[];
}

/** What a step emits and returns, beyond the runner's own bookkeeping. */
export interface FakeScript {
  /** Events once the engine has booted, before the program runs (before `ready`). */
  booted(req: StackRunRequest, action: StepAction): EngineEvent[];
  /** Events when the program starts. */
  started(req: StackRunRequest, action: StepAction): EngineEvent[];
  /** Events once the step has succeeded, before it returns. */
  finished(req: StackRunRequest, action: StepAction): EngineEvent[];
  /** Outputs of a successful up, preview or refresh. */
  outputs(stack: string): StackOutputs;
}

/** A plain engine: the stack resource on boot, a thing and a (fake) database URL, a summary. */
export const plainEngine: FakeScript = {
  booted: (req) => [{ kind: "resourcePre", message: `create pulumi:pulumi:Stack aragora-${req.stack}`, urn: `urn:pulumi:${req.stack}::aragora::pulumi:pulumi:Stack::aragora-${req.stack}`, op: "create" }],
  started: (req) => [
    { kind: "resourcePre", message: `creating aragora:local:Thing ${req.stack}-thing`, urn: `urn:pulumi:${req.stack}::aragora::thing`, op: "create" },
    { kind: "diagnostic", message: "connecting to postgres://app:hunter2-secret@127.0.0.1:5432/aragora", severity: "info" },
  ],
  finished: () => [{ kind: "summary", message: "summary: create=3", severity: "info" }],
  outputs: (stack) => ({
    region: { value: stack, secret: false },
    databaseUrl: { value: `postgres://app:pw-${stack}@127.0.0.1/aragora`, secret: true },
    appUrl: { value: "http://127.0.0.1:21010", secret: false },
  }),
};

/** The "generated password" of a stack (what a real program's RandomPassword would produce). */
export const passwordOf = (stack: string): string => `GenPw-${stack}-k3J9sQ0vR2`;

/**
 * An engine that prints each stack's generated password in its events (in a URL, as `password=`,
 * bare, and as Pulumi's serialized secret) and echoes secret config, and returns the password as
 * secret outputs. It prints it bare only once a step of that stack has returned it as a secret
 * output: before that, the service cannot know the value (docs/reliability.md, "what the scrubber
 * cannot catch").
 */
export function leakySecrets(): FakeScript {
  const returned = new Set<string>();
  const diag = (message: string): EngineEvent => ({ kind: "diagnostic", message, severity: "info" });
  return {
    booted: () => [],
    started: (req) => {
      const pw = passwordOf(req.stack);
      return [
        { kind: "resourcePre", message: `creating ${req.stack}-db`, urn: `urn:pulumi:${req.stack}::aragora::db`, op: "create" },
        diag(`connecting to postgres://aragora:${pw}@127.0.0.1:5432/aragora`),
        diag(`initdb: password=${pw} PGPASSWORD=${pw}`),
        diag(`{"4dabf18193072939515e22adb298388d":"1b47061264138c4ac30d75fd1eb44270","value":"${pw}"}`),
        ...Object.entries(req.config).filter(([, v]) => v.secret).map(([k, v]) => diag(`config ${k} = ${v.value}`)),
      ];
    },
    finished: (req, action) => {
      const events = returned.has(req.stack) ? [diag(`replication user ready, secret ${passwordOf(req.stack)}`)] : [];
      if (action !== "destroy") returned.add(req.stack);
      return events;
    },
    outputs: (stack) => {
      const pw = passwordOf(stack);
      return {
        region: { value: stack, secret: false },
        postgresPassword: { value: pw, secret: true },
        databaseUrl: { value: `postgres://aragora:${pw}@127.0.0.1:5432/aragora`, secret: true },
        redisUrl: { value: `redis://:${pw}@127.0.0.1:6379`, secret: true },
        appUrl: { value: "http://127.0.0.1:21010", secret: false },
      };
    },
  };
}

export class FakeRunner implements StackRunner {
  readonly calls: RunnerCall[] = [];
  readonly recovered: string[] = [];
  /** ms each call takes. */
  delayMs = 30;
  /** ms between the engine's summary event and the call returning (the SDK's read-backs). */
  afterSummaryMs = 0;
  /** `${action}:${stack}` → message: that call fails (the entry is consumed when `failOnce`). */
  readonly failures = new Map<string, string>();
  failOnce = true;
  /** `${action}:${stack}` → promise the call waits for before finishing (an abort still cancels it). */
  readonly gates = new Map<string, Promise<void>>();
  /** Outputs by stack, instead of the script's. */
  readonly outputsByStack = new Map<string, StackOutputs>();
  /** Stacks a step is running on (a "lock"); empty when all work is done. */
  readonly running = new Set<string>();
  /** Times a step started on a stack another step was running on. */
  overlapsOnOneStack = 0;
  /** prepare() hints, with the stacks called so far when each came. */
  readonly prepared: { parallel: number; called: string[] }[] = [];

  constructor(private readonly script: FakeScript = plainEngine) {}

  prepare(parallel: number): void {
    this.prepared.push({ parallel, called: this.calls.map((c) => c.stack) });
  }

  private async run(action: StepAction, req: StackRunRequest, opts: RunOptions = {}): Promise<StepResult> {
    if (this.running.has(req.stack)) this.overlapsOnOneStack++;
    this.running.add(req.stack);
    const emit = (events: EngineEvent[]): void => {
      for (const e of events) opts.onEvent?.(e);
    };
    emit(this.script.booted(req, action));
    const call: RunnerCall = { stack: req.stack, action, start: Date.now(), config: req.config, options: Object.keys(opts).sort() };
    this.calls.push(call);
    const cancelled = (): Promise<never> =>
      new Promise((_, reject) => opts.signal?.addEventListener("abort", () => {
        reject(new StepCancelledError(req.stack, action));
      }));
    try {
      emit(this.script.started(req, action));
      await Promise.race([new Promise((r) => setTimeout(r, this.delayMs)), cancelled()]);
      const key = `${action}:${req.stack}`;
      const gate = this.gates.get(key);
      if (gate) await Promise.race([gate, cancelled()]);
      const failure = this.failures.get(key);
      if (failure !== undefined) {
        if (this.failOnce) this.failures.delete(key);
        throw new StepFailedError(req.stack, action, failure);
      }
      emit(this.script.finished(req, action));
      if (this.afterSummaryMs > 0) await new Promise((r) => setTimeout(r, this.afterSummaryMs));
      const outputs = action === "destroy" ? {} : (this.outputsByStack.get(req.stack) ?? this.script.outputs(req.stack));
      return { action, stack: req.stack, summary: action === "destroy" ? { delete: 3 } : { create: 3 }, outputs, changes: [], durationMs: Date.now() - call.start };
    } finally {
      call.end = Date.now();
      this.running.delete(req.stack);
    }
  }

  up(req: StackRunRequest, opts?: RunOptions): Promise<StepResult> { return this.run("up", req, opts); }
  preview(req: StackRunRequest, opts?: RunOptions): Promise<StepResult> { return this.run("preview", req, opts); }
  refresh(req: StackRunRequest, opts?: RunOptions): Promise<StepResult> { return this.run("refresh", req, opts); }
  destroy(req: StackRunRequest, opts?: RunOptions): Promise<StepResult> { return this.run("destroy", req, opts); }
  outputs(): Promise<StackOutputs | undefined> { return Promise.resolve(undefined); }
  recover(stack: string): Promise<PendingOperation[]> { this.recovered.push(stack); return Promise.resolve(this.pending.get(stack) ?? []); }
  listStacks(): Promise<string[]> { return Promise.resolve([]); }

  /**
   * Pending operations by stack, as a test sets them (a crash the fake engine "had"). Which creates
   * settle alone is the real engine's rule (`adoptable`); the others stay for an admin.
   */
  readonly pending = new Map<string, PendingOperation[]>();
  /** resolvePending and decidePending calls, in order. */
  readonly pendingCalls: { stack: string; kind: "resolve" | "decide"; decisions?: PendingDecision[] }[] = [];

  pendingOperations(stack: string): Promise<PendingOperation[]> { return Promise.resolve(this.pending.get(stack) ?? []); }

  resolvePending(req: StackRunRequest): Promise<PendingResolution> {
    this.pendingCalls.push({ stack: req.stack, kind: "resolve" });
    const before = this.pending.get(req.stack) ?? [];
    const creates = before.filter(isCreate);
    // The real engine's rule (pendingOperations.ts) with the project's own plugins.
    const clear = creates.every((o) => adoptable(o, ownPlugins()));
    const remaining = clear ? [] : creates;
    this.pending.set(req.stack, remaining);
    return Promise.resolve({ resolved: before.filter((o) => !remaining.includes(o)), remaining });
  }

  decidePending(stack: string, decisions: readonly PendingDecision[]): Promise<PendingDecisionResult> {
    this.pendingCalls.push({ stack, kind: "decide", decisions: [...decisions] });
    const refused = refusedDecisions(this.pending.get(stack) ?? [], decisions);
    if (refused) return Promise.resolve({ refused });
    this.pending.set(stack, []);
    return Promise.resolve({ remaining: [] });
  }
}
