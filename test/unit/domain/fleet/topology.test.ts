import { fleetSettings, buildFleetView, type FleetView } from "../../../../domain/spec";
import {
  DEFAULT_GEO, LOCAL_PORT_BLOCK, appEnv, fallbackRegion, fleetStacks, glbRegionPools, linkIngressRules, linkRoutes, linksOwnedBy,
  localPorts, peeringLinks, replicationSlotName,
} from "../../../../domain/fleet";
import { fleetOf } from "../spec/fixtures";

const three = (): FleetView => buildFleetView(fleetOf("local", { name: "us-east-1" }, { name: "eu-west-1" }, { name: "ap-south-1" }), fleetSettings.parse({}));

describe("peering", () => {
  it("when the fleet has three regions, then each pair is linked once and owned by the younger", () => {
    expect(peeringLinks(three())).toEqual([
      { name: "eu-west-1-to-us-east-1", owner: "eu-west-1", peer: "us-east-1", ownerCidr: "10.1.0.0/16", peerCidr: "10.0.0.0/16" },
      { name: "ap-south-1-to-us-east-1", owner: "ap-south-1", peer: "us-east-1", ownerCidr: "10.2.0.0/16", peerCidr: "10.0.0.0/16" },
      { name: "ap-south-1-to-eu-west-1", owner: "ap-south-1", peer: "eu-west-1", ownerCidr: "10.2.0.0/16", peerCidr: "10.1.0.0/16" },
    ]);
  });

  it.each([
    ["us-east-1", []],
    ["eu-west-1", ["eu-west-1-to-us-east-1"]],
    ["ap-south-1", ["ap-south-1-to-us-east-1", "ap-south-1-to-eu-west-1"]],
    ["nowhere-1", []],
  ])("when asking which links %s owns, then it is %j", (region, names) => {
    expect(linksOwnedBy(three(), region).map((l) => l.name)).toEqual(names);
  });

  it("when a link is given, then it has one route each way", () => {
    const [link] = peeringLinks(three());
    expect(linkRoutes(link!)).toEqual([
      { link: "eu-west-1-to-us-east-1", region: "eu-west-1", destinationCidr: "10.0.0.0/16" },
      { link: "eu-west-1-to-us-east-1", region: "us-east-1", destinationCidr: "10.1.0.0/16" },
    ]);
  });

  it("when a link is given, then PostgreSQL and Redis are opened on both sides from the other side's CIDR only", () => {
    const [link] = peeringLinks(three());
    expect(linkIngressRules(link!)).toEqual([
      { link: "eu-west-1-to-us-east-1", region: "eu-west-1", port: 5432, service: "postgres", fromCidr: "10.0.0.0/16" },
      { link: "eu-west-1-to-us-east-1", region: "us-east-1", port: 5432, service: "postgres", fromCidr: "10.1.0.0/16" },
      { link: "eu-west-1-to-us-east-1", region: "eu-west-1", port: 6379, service: "redis", fromCidr: "10.0.0.0/16" },
      { link: "eu-west-1-to-us-east-1", region: "us-east-1", port: 6379, service: "redis", fromCidr: "10.1.0.0/16" },
    ]);
  });
});

describe("replicationSlotName", () => {
  it.each([
    ["eu-west-1", "eu_west_1_slot"],
    ["ap-south-1", "ap_south_1_slot"],
    ["eu-west-2", "eu_west_2_slot"],
    ["lab", "lab_slot"],
  ])("when the region is %s, then the slot is %s", (region, slot) => {
    expect(replicationSlotName(region)).toBe(slot);
  });

  it.each(["EU-west-1", "eu_west", "a;drop", "-x-y", ""])("when the name %j is not a region name, then it throws", (bad) => {
    expect(() => replicationSlotName(bad)).toThrow(`not a region name: ${JSON.stringify(bad)}`);
  });
});

describe("global load balancer", () => {
  it("when three regions serve the runbook's codes, then the pools map each code to its region", () => {
    expect(glbRegionPools(three())).toEqual({ WNAM: "us-east-1", ENAM: "us-east-1", WEU: "eu-west-1", EEU: "eu-west-1", SEAS: "ap-south-1", NEAS: "ap-south-1" });
  });

  it("when asking for the fallback, then it is the primary", () => {
    expect(fallbackRegion(three())).toBe("us-east-1");
  });

  it("when the runbook's regions are looked up, then DEFAULT_GEO has its region_pools", () => {
    expect(DEFAULT_GEO).toEqual({ "us-east-1": ["WNAM", "ENAM"], "eu-west-1": ["WEU", "EEU"], "ap-south-1": ["SEAS", "NEAS"] });
  });

  it("when listing stacks, then regions come oldest first and global last", () => {
    expect(fleetStacks(three())).toEqual(["us-east-1", "eu-west-1", "ap-south-1", "global"]);
  });
});

describe("appEnv", () => {
  it.each([
    ["us-east-1", { ARAGORA_REGION: "us-east-1", ARAGORA_PRIMARY_REGION: "true", ARAGORA_PRIMARY_REGION_NAME: "us-east-1", ARAGORA_PEER_REGIONS: "eu-west-1,ap-south-1" }],
    ["eu-west-1", { ARAGORA_REGION: "eu-west-1", ARAGORA_PRIMARY_REGION: "false", ARAGORA_PRIMARY_REGION_NAME: "us-east-1", ARAGORA_PEER_REGIONS: "us-east-1,ap-south-1" }],
  ])("when the region is %s, then its env follows the contract", (region, env) => {
    expect(appEnv(region, three())).toEqual(env);
  });

  it("when the fleet has one region, then it has no peers", () => {
    const view = buildFleetView(fleetOf("local", { name: "us-east-1" }), fleetSettings.parse({}));
    expect(appEnv("us-east-1", view).ARAGORA_PEER_REGIONS).toBe("");
  });

  it("when the region is not in the fleet, then it throws", () => {
    expect(() => appEnv("sa-east-1", three())).toThrow('region "sa-east-1" is not in the fleet');
  });
});

describe("localPorts", () => {
  it.each([
    [21000, 1, { postgres: 21000, redis: 21001, sentinel: 21002, apps: [21010] }],
    [21020, 3, { postgres: 21020, redis: 21021, sentinel: 21022, apps: [21030, 21031, 21032] }],
    [30000, 10, { postgres: 30000, redis: 30001, sentinel: 30002, apps: [30010, 30011, 30012, 30013, 30014, 30015, 30016, 30017, 30018, 30019] }],
  ])("when the base is %i with %i apps, then the ports are laid out in the block", (base, apps, ports) => {
    const p = localPorts(base, apps);
    expect(p).toEqual(ports);
    expect(Math.max(...p.apps) - base).toBeLessThan(LOCAL_PORT_BLOCK);
  });

  it.each([
    [21000, 11, "a local region runs 1 to 10 app processes, not 11"],
    [21000, 0, "a local region runs 1 to 10 app processes, not 0"],
    [1000, 1, "port base 1000 does not leave a block of 20 ports in 1024-65535"],
    [65530, 1, "port base 65530 does not leave a block of 20 ports in 1024-65535"],
  ])("when the base is %i with %i apps, then it throws", (base, apps, message) => {
    expect(() => localPorts(base, apps)).toThrow(message);
  });
});
