/**
 * `pulumi up -s global` on an aws fleet, end to end through `stacks/` as the CLI loads it (real
 * dispatch, real aws global program, mocked engine): the stack reads each region stack and its
 * outputs are the program's outputs.
 */
import * as pulumi from "@pulumi/pulumi";

const registrations: { type: string; name: string; id: string | undefined; inputs: any }[] = [];

void pulumi.runtime.setMocks(
  {
    newResource: (args) => {
      registrations.push({ type: args.type, name: args.name, id: args.id, inputs: args.inputs });
      if (args.type === "pulumi:pulumi:StackReference") {
        const region = String(args.id).split("/")[2] ?? "";
        return {
          id: String(args.id),
          state: { ...args.inputs, outputs: { originHostname: `${region}.elb.example`, originZoneId: "ZLBZONE" }, secretOutputNames: [] },
        };
      }
      return { id: `${args.name}-id`, state: args.inputs };
    },
    call: (args) => args.inputs,
  },
  "aragora",
  "global",
  false,
  "organization",
);

const member = (name: string, order: number, primary: boolean, geo: string[]) => ({
  name,
  provider: "aws",
  primary,
  cidr: `10.${order}.0.0/16`,
  geo,
  order,
  appReplicas: 3,
});

pulumi.runtime.setAllConfig({
  "aragora:fleet": JSON.stringify({
    primary: "us-east-1",
    regions: [member("us-east-1", 0, true, ["WNAM", "ENAM"]), member("eu-west-1", 1, false, ["WEU", "EEU"]), member("ap-south-1", 2, false, ["SEAS", "NEAS"])],
    settings: {
      domain: "aragora.example.com",
      cloudflare: { accountId: "0123456789abcdef0123456789abcdef", zoneId: "fedcba9876543210fedcba9876543210" },
      route53: { zoneId: "Z0123456789ABC" },
    },
  }),
});

it("when `pulumi up -s global` loads stacks/ on an aws fleet, then the aws global program builds the GLB and latency records from the region stacks", async () => {
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const main = require("../../../stacks/") as () => Promise<Record<string, unknown>>;
  const outputs = await pulumi.runtime.runInPulumiStack(main);
  let seen = -1;
  while (seen !== registrations.length) {
    seen = registrations.length;
    await new Promise((r) => setTimeout(r, 20));
  }
  const count = (type: string) => registrations.filter((r) => r.type === type).length;
  expect(registrations.filter((r) => r.type === "pulumi:pulumi:StackReference").map((r) => r.id)).toEqual([
    "organization/aragora/us-east-1",
    "organization/aragora/eu-west-1",
    "organization/aragora/ap-south-1",
  ]);
  expect({
    glb: count("aragora:cloudflare:GlobalLoadBalancer"),
    monitors: count("cloudflare:index/loadBalancerMonitor:LoadBalancerMonitor"),
    pools: count("cloudflare:index/loadBalancerPool:LoadBalancerPool"),
    lbs: count("cloudflare:index/loadBalancer:LoadBalancer"),
    latency: count("aragora:aws:LatencyRecords"),
    records: count("aws:route53/record:Record"),
    healthChecks: count("aws:route53/healthCheck:HealthCheck"),
  }).toEqual({ glb: 1, monitors: 1, pools: 3, lbs: 1, latency: 1, records: 3, healthChecks: 3 });
  expect(outputs).toMatchObject({
    glbHostname: "aragora.example.com",
    glbFallbackRegion: "us-east-1",
    latencyRecordName: "api.aragora.example.com",
    regions: ["us-east-1", "eu-west-1", "ap-south-1"],
  });
});
