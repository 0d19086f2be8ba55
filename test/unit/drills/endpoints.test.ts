import { inspect } from "node:util";
import { EndpointCache, Secret, endpointFromOutputs } from "../../../server/drills/endpoints";
import type { StackOutputs } from "../../../server/engine/stackRunner";

const plain = (value: unknown) => ({ value, secret: false });
const secret = (value: string) => ({ value, secret: true });

function outputs(port: number): StackOutputs {
  return {
    region: plain("eu-west-1"), role: plain("replica"), primaryRegion: plain("us-east-1"), postgresHost: plain("127.0.0.1"),
    postgresPort: plain(port), redisPort: plain(port + 1), sentinelPort: plain(port + 2), sentinelMasterName: plain("aragora-redis"),
    appPorts: plain([port + 10]), replicationSlot: plain("eu_west_1_slot"),
    pidFiles: plain({ postgres: "/x/data/postmaster.pid", redis: "/x/redis.pid", sentinel: "/x/sentinel.pid", apps: ["/x/app.pid"] }),
    postgresSuperuser: plain("postgres"), postgresMonitorUser: plain("monitor"), postgresAppUser: plain("aragora_app"), postgresDatabase: plain("aragora"),
    postgresSuperuserPassword: secret("super-SECRET-1234567"), postgresMonitorPassword: secret("monitor-SECRET-12345"),
    postgresAppPassword: secret("app-SECRET-123456789"), redisPassword: secret("redis-SECRET-1234567"),
  };
}

describe("local endpoints from stack outputs", () => {
  it("when a region's outputs are read, then ports and users come out and passwords only through reveal()", () => {
    const ep = endpointFromOutputs("eu-west-1", outputs(47100));
    expect(ep).toMatchObject({ region: "eu-west-1", role: "replica", primaryRegion: "us-east-1", postgresPort: 47100, redisPort: 47101, sentinelPort: 47102, appPorts: [47110] });
    expect(ep?.secrets.app.reveal()).toBe("app-SECRET-123456789");
    const shown = [JSON.stringify(ep), inspect(ep, { depth: 5 }), String(ep?.secrets.redis), ep?.secrets.monitor.toString() ?? ""].join("\n");
    expect(shown).not.toContain("SECRET");
    expect(shown).toContain("[secret]");
  });

  it("when the stack has no local outputs, then there is no endpoint; when one is malformed, then it is named", () => {
    expect(endpointFromOutputs("eu-west-1", undefined)).toBeUndefined();
    expect(endpointFromOutputs("eu-west-1", { region: plain("eu-west-1") })).toBeUndefined();
    expect(() => endpointFromOutputs("eu-west-1", { ...outputs(47100), redisPort: plain("x") })).toThrow("stack output redisPort is missing or malformed");
  });

  it("when endpoints are cached, then a second read within the TTL does not ask again, fresh and invalidate do", async () => {
    let calls = 0;
    const cache = new EndpointCache((stack) => { calls++; return Promise.resolve(stack === "eu-west-1" ? outputs(47100 + calls) : undefined); }, 60_000);
    expect((await cache.get("eu-west-1"))?.postgresPort).toBe(47101);
    expect((await cache.get("eu-west-1"))?.postgresPort).toBe(47101);
    expect((await cache.get("eu-west-1", { fresh: true }))?.postgresPort).toBe(47102);
    cache.invalidate();
    expect((await cache.get("eu-west-1"))?.postgresPort).toBe(47103);
    expect(await cache.get("us-east-1")).toBeUndefined();
    expect(calls).toBe(4);
  });

  it("when the outputs source is slow, then a cached endpoint is served after the timeout", async () => {
    let release: () => void = () => undefined;
    let first = true;
    const cache = new EndpointCache(async () => {
      if (!first) await new Promise<void>((r) => (release = r));
      first = false;
      return outputs(47200);
    }, 0, 50);
    expect((await cache.get("eu-west-1"))?.postgresPort).toBe(47200);
    const t0 = Date.now();
    expect((await cache.get("eu-west-1"))?.postgresPort).toBe(47200);
    expect(Date.now() - t0).toBeLessThan(1000);
    release();
  });

  it("when a Secret is built, then only reveal() gives the value", () => {
    const s = new Secret("hunter2-abcdefghijkl");
    expect(`${String(s)} ${JSON.stringify({ s })} ${inspect(s)}`).toBe('[secret] {"s":"[secret]"} [secret]');
    expect(s.reveal()).toBe("hunter2-abcdefghijkl");
  });
});
