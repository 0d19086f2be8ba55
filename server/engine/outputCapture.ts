/**
 * The outputs of an `up`, taken from the program itself instead of read back from the CLI.
 *
 * After every update the SDK's `Stack.up` reads the stack's outputs back through its workspace
 * (`Workspace.stackOutputs`: two `pulumi stack output` processes, masked and with secrets, to
 * learn which are secret). The inline program already has them: `capture` wraps the program and
 * notes each top-level output's value and secrecy through the SDK's public `apply` and `isSecret`;
 * `capturingWorkspace` gives the Stack a Workspace (the SDK's public interface) that delegates
 * everything to the real LocalWorkspace and answers `stackOutputs` from the capture of the run
 * just made, when every output was seen, and from the CLI otherwise. docs/performance.md gives
 * what it buys.
 */
import * as pulumi from "@pulumi/pulumi";
import type { LocalWorkspace, OutputMap, PulumiFn } from "@pulumi/pulumi/automation";

export class OutputCapture {
  private current: { expected: number; seen: OutputMap } | undefined;
  private armed = false;

  /** The next run is an `up`: its outputs are the stack's outputs afterwards. */
  arm(): void {
    this.armed = true;
    this.current = undefined;
  }

  /** `program`, noting its outputs as they resolve, in a run that was armed. */
  capture(program: PulumiFn): PulumiFn {
    return async () => {
      const out: unknown = await program();
      if (!this.armed || out === null || typeof out !== "object") return out as Awaited<ReturnType<PulumiFn>>;
      const entries = Object.entries(out as Record<string, unknown>);
      const run = { expected: entries.length, seen: {} as OutputMap };
      this.current = run;
      for (const [key, value] of entries) {
        const o: pulumi.Output<unknown> = pulumi.output(value);
        void pulumi.isSecret(o).then((secret) => {
          o.apply((v) => {
            // As the CLI lists outputs: plain JSON, an undefined output left out.
            run.seen[key] = { value: v === undefined ? undefined : (JSON.parse(JSON.stringify(v)) as unknown), secret };
          });
        });
      }
      return out as Awaited<ReturnType<PulumiFn>>;
    };
  }

  /** The armed run's outputs, when every one of them was seen; then disarms and forgets them. */
  take(): OutputMap | undefined {
    const run = this.current;
    this.current = undefined;
    this.armed = false;
    if (run === undefined || Object.keys(run.seen).length !== run.expected) return undefined;
    return Object.fromEntries(Object.entries(run.seen).filter(([, v]) => v.value !== undefined));
  }

  /** `ws`, answering `stackOutputs` from the capture when there is one. */
  capturingWorkspace(ws: LocalWorkspace): LocalWorkspace {
    return new Proxy(ws, {
      get: (target, prop) => {
        if (prop === "stackOutputs") {
          return (stackName: string) => Promise.resolve(this.take() ?? target.stackOutputs(stackName));
        }
        const v: unknown = Reflect.get(target, prop, target);
        return typeof v === "function" ? (v as (...a: unknown[]) => unknown).bind(target) : v;
      },
    });
  }
}
