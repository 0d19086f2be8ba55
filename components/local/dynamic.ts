/**
 * How the local target's dynamic providers reach their implementation.
 *
 * Pulumi serializes a dynamic provider's functions (with everything they capture) into the
 * resource's state and re-evaluates that text in a separate provider process whose cwd is the
 * engine's workspace. So the functions here are tiny: they capture only two absolute paths, decided
 * when the program runs, and `require()` the real implementation (./impl) from disk:
 *
 * - running from compiled JS (`node dist/server/main.js`): IMPL is `dist/components/local/impl/index.js`
 *   and is required directly;
 * - running from TypeScript (jest with ts-jest, ts-node dev mode, `pulumi up` of the project): IMPL is
 *   the `.ts` file, and the provider first registers ts-node in transpile-only mode (TS_NODE is the
 *   absolute path of the installed ts-node).
 *
 * Consequences: the state never holds implementation code, so fixing a provider takes effect on
 * the next operation; and a state written from dist/ names dist/ (the provider process only needs
 * the path to exist when the operation runs).
 */
import type * as pulumi from "@pulumi/pulumi";

/* eslint-disable @typescript-eslint/no-require-imports, @typescript-eslint/no-unsafe-member-access, @typescript-eslint/no-unsafe-call */
const IMPL_PATH: string = require.resolve("./impl");
const TS_NODE_PATH: string = IMPL_PATH.endsWith(".ts") ? require.resolve("ts-node") : "";

export type ProviderKind = "dir" | "secret" | "postgres" | "slot" | "redis" | "sentinel" | "app" | "haproxy";

/** Where the implementation lives (for docs and tests). */
export function implementationPath(): string {
  return IMPL_PATH;
}

/**
 * The one provider object every local resource shares. Pulumi serializes a provider once per
 * object (and the provider process deserializes once per text), so a single dispatcher keeps both
 * cheap: each resource carries its `kind` among its inputs and outputs, and the dispatcher picks
 * the implementation by it.
 */
function makeProvider(): pulumi.dynamic.ResourceProvider {
  const impl = IMPL_PATH;
  const tsNode = TS_NODE_PATH;
  const load = (props: unknown): pulumi.dynamic.ResourceProvider => {
    const g = globalThis as { __aragoraLocalTsNode?: boolean };
    if (tsNode !== "" && g.__aragoraLocalTsNode !== true) {
      require(tsNode).register({
        transpileOnly: true,
        skipProject: true,
        compilerOptions: { module: "commonjs", moduleResolution: "bundler", target: "es2022", esModuleInterop: true },
      });
      g.__aragoraLocalTsNode = true;
    }
    const kind = (props as { kind?: unknown } | undefined)?.kind;
    const provider = (require(impl) as { providers: Record<string, pulumi.dynamic.ResourceProvider | undefined> }).providers[String(kind)];
    if (provider === undefined) throw new Error(`aragora-local: unknown resource kind ${JSON.stringify(kind)}`);
    return provider;
  };
  return {
    check: (olds: unknown, news: unknown) => (load(news).check as NonNullable<pulumi.dynamic.ResourceProvider["check"]>)(olds, news),
    diff: (id: string, olds: unknown, news: unknown) => (load(news).diff as NonNullable<pulumi.dynamic.ResourceProvider["diff"]>)(id, olds, news),
    create: (inputs: unknown) => load(inputs).create(inputs),
    read: (id: string, props?: unknown) => (load(props).read as NonNullable<pulumi.dynamic.ResourceProvider["read"]>)(id, props),
    update: (id: string, olds: unknown, news: unknown) => {
      const p = load(news);
      return p.update ? p.update(id, olds, news) : Promise.resolve({});
    },
    delete: (id: string, props: unknown) => {
      const p = load(props);
      return p.delete ? p.delete(id, props) : Promise.resolve();
    },
  };
}

let shared: pulumi.dynamic.ResourceProvider | undefined;

/** The shared provider; resources pass `kind: ProviderKind` in their inputs. */
export function localProvider(): pulumi.dynamic.ResourceProvider {
  shared ??= makeProvider();
  return shared;
}
