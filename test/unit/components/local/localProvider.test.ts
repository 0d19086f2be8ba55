/**
 * The `aragora-local` provider's protocol side: type tokens pick the implementation, secret inputs
 * reach the implementation plain and come back secret, unknown types are refused by name.
 */
import { LocalProvider, secretKeys, unwrapSecrets, urnType, wrapSecrets } from "../../../../components/local/provider/localProvider";
import { LOCAL_TYPES } from "../../../../components/local/provider/types";
import { providers } from "../../../../components/local/impl";

const SIG = "4dabf18193072939515e22adb298388d";
const secret = (value: unknown) => ({ [SIG]: "1b47061264138c4ac30d75fd1eb44270", value });
const urn = (type: string, name = "r") => `urn:pulumi:eu-west-1::aragora::aragora:local:Region$${type}::${name}`;

describe("urnType", () => {
  it.each([
    [urn("aragora-local:index:Postgres"), "aragora-local:index:Postgres"],
    ["urn:pulumi:s::p::aragora-local:index:Dir::d", "aragora-local:index:Dir"],
    ["urn:pulumi:s::p::a:b:C$d:e:F$aragora-local:index:Redis::x", "aragora-local:index:Redis"],
  ])("when the URN is %s, then the type is %s", (u, type) => {
    expect(urnType(u)).toBe(type);
  });
});

describe("secret wrapping", () => {
  it("when values are wrapped at any depth, then unwrapping gives the plain values", () => {
    expect(unwrapSecrets({ a: secret("pw"), b: { c: secret(3), d: [secret("x"), "y"] }, e: "plain" })).toEqual({ a: "pw", b: { c: 3, d: ["x", "y"] }, e: "plain" });
  });

  it("when a top-level key holds a secret anywhere inside, then it counts as secret, others do not", () => {
    expect([...secretKeys([], { a: secret("pw"), env: { URL: secret("u"), PLAIN: "p" }, port: 5432 })].sort()).toEqual(["a", "env"]);
  });

  it("when outputs are wrapped by the secret keys, then exactly those keys are secret", () => {
    expect(wrapSecrets({ a: "pw", port: 1, env: { URL: "u" } }, new Set(["a", "env"]))).toEqual({ a: secret("pw"), port: 1, env: secret({ URL: "u" }) });
  });
});

describe("LocalProvider", () => {
  it("when every type token maps to an implementation, then the provider knows all eight kinds", () => {
    expect(Object.keys(LOCAL_TYPES)).toHaveLength(8);
    for (const kind of Object.values(LOCAL_TYPES)) expect(providers[kind]).toBeDefined();
  });

  it("when a Secret is created with an adopted secret value, then the implementation sees it plain and the output value comes back secret", async () => {
    const p = new LocalProvider();
    const res = await p.create(urn("aragora-local:index:Secret"), { bytes: 24, adopt: secret("an-adopted-password-0123") });
    expect(res.outs).toEqual({ bytes: 24, value: secret("an-adopted-password-0123") });
    expect(res.id).toMatch(/^secret:[0-9a-f]{16}$/);
  });

  it("when a Secret is generated from plain inputs, then its generated value still comes back secret", async () => {
    const res = await new LocalProvider().create(urn("aragora-local:index:Secret"), { bytes: 16 });
    const value = (res.outs as { value: Record<string, unknown> }).value;
    expect(value[SIG]).toBe("1b47061264138c4ac30d75fd1eb44270");
    expect(value["value"]).toMatch(/^[A-Za-z0-9_-]{22}$/);
  });

  it("when check gets secret inputs, then the checked inputs keep them secret and a bad input is a failure naming the reason", async () => {
    const p = new LocalProvider();
    const ok = await p.check(urn("aragora-local:index:Secret"), {}, { bytes: 24, adopt: secret("an-adopted-password-0123") });
    expect(ok).toEqual({ inputs: { bytes: 24, adopt: secret("an-adopted-password-0123") } });
    const bad = await p.check(urn("aragora-local:index:Secret"), {}, { bytes: 3 });
    expect(bad.failures?.[0]?.reason).toMatch(/bytes/);
  });

  it("when the URN names a type the provider does not have, then every call refuses it by name", async () => {
    const p = new LocalProvider();
    await expect(p.create(urn("aragora-local:index:Nope"), {})).rejects.toThrow(/unknown resource type "aragora-local:index:Nope"/);
    await expect(p.diff("id", urn("aws:s3:Bucket"), {}, {})).rejects.toThrow(/unknown resource type "aws:s3:Bucket"/);
  });

  it("when the provider reports its version, then it is the project's", () => {
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    expect(new LocalProvider().version).toBe((require("../../../../package.json") as { version: string }).version);
  });
});
