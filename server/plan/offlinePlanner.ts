/**
 * The offline plan: for each planned stack step, the resources its program would register,
 * found by running the program under Pulumi mocks in a child process (mockWorker.ts), one child
 * per stack, a few at a time. No engine, no cloud credentials; works for `aws` and `local`.
 */
import { fork } from "node:child_process";
import * as path from "node:path";
import type { FleetState } from "../domain";
import { scrubText } from "../mask";
import type { PlannedResource, WorkerReply, WorkerRequest } from "./mockWorker";

export type { PlannedResource };

export interface OfflinePlanner {
  /** Resources `stack`'s program registers in `state`; rejects with the program's error. */
  resources(stack: string, state: FleetState): Promise<PlannedResource[]>;
}

export interface ChildProcessPlannerOptions {
  timeoutMs?: number;
  maxConcurrent?: number;
  /** Working directory of the child (the project root, so @pulumi/pulumi resolves). */
  cwd?: string;
}

export function createChildProcessPlanner(options: ChildProcessPlannerOptions = {}): OfflinePlanner {
  const timeoutMs = options.timeoutMs ?? 120_000;
  const max = options.maxConcurrent ?? 4;
  let running = 0;
  const waiting: (() => void)[] = [];
  const acquire = async (): Promise<void> => {
    if (running < max) {
      running++;
      return;
    }
    await new Promise<void>((resolve) => waiting.push(resolve));
    running++;
  };
  const release = (): void => {
    running--;
    waiting.shift()?.();
  };
  const isTs = __filename.endsWith(".ts");
  const worker = path.join(__dirname, `mockWorker${isTs ? ".ts" : ".js"}`);

  const runChild = (req: WorkerRequest): Promise<PlannedResource[]> =>
    new Promise((resolve, reject) => {
      const child = fork(worker, [], {
        cwd: options.cwd ?? process.cwd(),
        execArgv: isTs ? ["-r", "ts-node/register/transpile-only"] : [],
        stdio: ["ignore", "ignore", "pipe", "ipc"],
        env: { ...process.env, PULUMI_CONFIG_PASSPHRASE: "", PULUMI_NODEJS_TRANSPILE_ONLY: "true" },
      });
      let stderr = "";
      let settled = false;
      const finish = (fn: () => void): void => {
        if (settled) return;
        settled = true;
        clearTimeout(timer);
        fn();
      };
      const timer = setTimeout(() => {
        child.kill("SIGKILL");
        finish(() => {
          reject(new Error(`offline plan of ${req.stack} timed out after ${timeoutMs} ms`));
        });
      }, timeoutMs);
      child.stderr?.on("data", (d: Buffer) => {
        stderr = (stderr + d.toString()).slice(-2000);
      });
      child.on("message", (m: WorkerReply) => {
        finish(() => {
          if (m.ok) resolve(m.resources);
          else reject(new Error(scrubText(m.error)));
        });
      });
      child.on("exit", (code) => {
        finish(() => {
          reject(new Error(scrubText(`offline plan of ${req.stack} exited (${code ?? "signal"}) without an answer: ${stderr.trim()}`)));
        });
      });
      child.send(req);
    });

  return {
    async resources(stack, state) {
      await acquire();
      try {
        return await runChild({ stack, state });
      } finally {
        release();
      }
    },
  };
}
