/**
 * A random secret generated once by the engine and kept in state as a Pulumi secret (the project
 * has no @pulumi/random). Alphanumeric only, so it is valid as an RDS master password (no `/ @ "`
 * or spaces) and as an ElastiCache AUTH token (16-128 printable characters), and needs no escaping
 * in connection URLs. Changing `length` regenerates it; everything else keeps the value.
 */
import * as pulumi from "@pulumi/pulumi";

export interface GeneratedSecretArgs {
  /** Number of characters, 16..128. */
  length: number;
}

interface SecretInputs {
  length: number;
}

interface SecretOutputs extends SecretInputs {
  value: string;
}

export const MIN_SECRET_LENGTH = 16;
export const MAX_SECRET_LENGTH = 128;

const provider: pulumi.dynamic.ResourceProvider<SecretInputs, SecretOutputs> = {
  // eslint-disable-next-line @typescript-eslint/require-await
  async create(inputs: SecretInputs): Promise<pulumi.dynamic.CreateResult<SecretOutputs>> {
    // Required inside the function: dynamic providers are serialized without module scope.
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const nodeCrypto = require("node:crypto") as typeof import("node:crypto");
    const alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";
    let value = "";
    while (value.length < inputs.length) value += alphabet.charAt(nodeCrypto.randomInt(alphabet.length));
    return { id: nodeCrypto.randomUUID(), outs: { length: inputs.length, value } };
  },
  // eslint-disable-next-line @typescript-eslint/require-await
  async diff(_id: string, olds: SecretOutputs, news: SecretInputs): Promise<pulumi.dynamic.DiffResult> {
    const changed = olds.length !== news.length;
    return { changes: changed, replaces: changed ? ["length"] : [], deleteBeforeReplace: false };
  },
};

export class GeneratedSecret extends pulumi.dynamic.Resource {
  /** The generated value (a Pulumi secret). */
  declare public readonly value: pulumi.Output<string>;

  constructor(name: string, args: GeneratedSecretArgs, opts?: pulumi.CustomResourceOptions) {
    if (!Number.isInteger(args.length) || args.length < MIN_SECRET_LENGTH || args.length > MAX_SECRET_LENGTH) {
      throw new Error(`GeneratedSecret ${name}: length must be ${MIN_SECRET_LENGTH}..${MAX_SECRET_LENGTH}, not ${args.length}`);
    }
    super(provider, name, { length: args.length, value: undefined }, {
      ...opts,
      additionalSecretOutputs: ["value"],
    }, "aragora", "GeneratedSecret");
  }
}
