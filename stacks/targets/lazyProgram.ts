/** Programs that load their target's module only when they run, so a stack never loads another target's SDKs. */
import type { PulumiFn } from "@pulumi/pulumi/automation";
import type { Provider } from "../../domain/spec/regionSpec";

/** Per target, how to import its `(config) => PulumiFn` factory. */
export type TargetPrograms<C> = Record<Provider, () => Promise<(config: C) => PulumiFn>>;

/** A PulumiFn that imports the program factory of `provider` when it runs, and runs its program for `config`. */
export function lazyProgram<C>(targets: TargetPrograms<C>, provider: Provider, config: C): PulumiFn {
  return async () => (await targets[provider]())(config)();
}
