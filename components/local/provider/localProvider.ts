/**
 * The local target's Pulumi resource provider, `aragora-local`: a provider plugin written with the
 * SDK's `@pulumi/pulumi/provider` and versioned with the project. The engine talks to it over
 * Pulumi's provider protocol like to any plugin, so a stack's state holds each resource's inputs
 * and outputs and nothing else: no code and no path of the checkout.
 *
 * Each resource type maps to one implementation in ../impl (check, diff, create, read, update,
 * delete). The engine sends secret values wrapped (this provider accepts secrets); the
 * implementations see plain values, and every top-level property that arrived secret, or that the
 * type always keeps secret (LOCAL_SECRET_PROPERTIES), goes back secret, so a password stays
 * encrypted in state whatever the implementation returns.
 */
import type * as provider from "@pulumi/pulumi/provider";
import type * as pulumi from "@pulumi/pulumi";
import { providers } from "../impl";
import { LOCAL_PACKAGE, LOCAL_PROVIDER_VERSION, LOCAL_SECRET_PROPERTIES, LOCAL_TYPES, type LocalType } from "./types";

/** The engine's marker of a secret value in the provider protocol's JSON form. */
const SECRET_SIG = "4dabf18193072939515e22adb298388d";
const SECRET_VALUE = "1b47061264138c4ac30d75fd1eb44270";

type Props = Record<string, unknown>;

function isSecret(v: unknown): v is { value?: unknown } {
  return v !== null && typeof v === "object" && (v as Props)[SECRET_SIG] === SECRET_VALUE;
}

/** `v` with every secret wrapper replaced by its value. */
export function unwrapSecrets(v: unknown): unknown {
  if (isSecret(v)) return unwrapSecrets(v.value);
  if (Array.isArray(v)) return v.map(unwrapSecrets);
  if (v !== null && typeof v === "object") return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, unwrapSecrets(x)]));
  return v;
}

function containsSecret(v: unknown): boolean {
  if (isSecret(v)) return true;
  if (Array.isArray(v)) return v.some(containsSecret);
  if (v !== null && typeof v === "object") return Object.values(v).some(containsSecret);
  return false;
}

/** Top-level keys of `props` that hold a secret anywhere inside. */
export function secretKeys(always: readonly string[], ...props: (Props | undefined)[]): Set<string> {
  const keys = new Set<string>(always);
  for (const p of props) for (const [k, v] of Object.entries(p ?? {})) if (containsSecret(v)) keys.add(k);
  return keys;
}

/** `props` with each key in `keys` wrapped as a secret. */
export function wrapSecrets(props: Props | undefined, keys: Set<string>): Props | undefined {
  if (props === undefined) return undefined;
  return Object.fromEntries(Object.entries(props).map(([k, v]) => [k, keys.has(k) && v !== undefined ? { [SECRET_SIG]: SECRET_VALUE, value: v } : v]));
}

/** The resource type of a URN (`urn:pulumi:<stack>::<project>::<parent types>$<type>::<name>`). */
export function urnType(urn: string): string {
  const qualified = urn.split("::")[2] ?? "";
  return qualified.split("$").pop() ?? qualified;
}

interface Impl {
  impl: pulumi.dynamic.ResourceProvider;
  /** Keys to return secret, beyond those that arrived secret. */
  secret: readonly string[];
}

function implFor(urn: string): Impl {
  const type = urnType(urn);
  if (!(type in LOCAL_TYPES)) throw new Error(`${LOCAL_PACKAGE}: unknown resource type ${JSON.stringify(type)}`);
  const known = type as LocalType;
  return { impl: providers[LOCAL_TYPES[known]], secret: LOCAL_SECRET_PROPERTIES[known] };
}

const plain = (p: unknown): Props => unwrapSecrets(p ?? {}) as Props;

export class LocalProvider implements provider.Provider {
  readonly version = LOCAL_PROVIDER_VERSION;

  async check(urn: string, olds: Props, news: Props): Promise<provider.CheckResult> {
    const { impl, secret } = implFor(urn);
    if (!impl.check) return { inputs: news };
    const res = await impl.check(plain(olds), plain(news));
    return { inputs: wrapSecrets(res.inputs as Props | undefined, secretKeys(secret, news)) ?? news, ...(res.failures ? { failures: res.failures } : {}) };
  }

  async diff(id: string, urn: string, olds: Props, news: Props): Promise<provider.DiffResult> {
    const { impl } = implFor(urn);
    return impl.diff ? impl.diff(id, plain(olds), plain(news)) : {};
  }

  async create(urn: string, inputs: Props): Promise<provider.CreateResult> {
    const { impl, secret } = implFor(urn);
    const res = await impl.create(plain(inputs));
    return { id: res.id, outs: wrapSecrets(res.outs as Props | undefined, secretKeys(secret, inputs)) };
  }

  async read(id: string, urn: string, props?: Props): Promise<provider.ReadResult> {
    const { impl, secret } = implFor(urn);
    if (!impl.read || props === undefined) return { id, props };
    const res = await impl.read(id, plain(props));
    return { id: res.id ?? id, props: wrapSecrets(res.props as Props | undefined, secretKeys(secret, props)) };
  }

  async update(id: string, urn: string, olds: Props, news: Props): Promise<provider.UpdateResult> {
    const { impl, secret } = implFor(urn);
    if (!impl.update) return { outs: news };
    const res = await impl.update(id, plain(olds), plain(news));
    return { outs: wrapSecrets(res.outs as Props | undefined, secretKeys(secret, news, olds)) };
  }

  async delete(id: string, urn: string, props: Props): Promise<void> {
    const { impl } = implFor(urn);
    if (impl.delete) await impl.delete(id, plain(props));
  }
}
