import { fleetSettings, fleetSettingsJsonSchema, regionSpecJsonSchema, buildFleetView, fleetView, regionStackConfig } from "../../../../domain/spec";
import { localTwo } from "./fixtures";

describe("JSON Schema for OpenAPI", () => {
  it("when the region spec schema is generated, then it is a standalone object schema with defaults and closed objects", () => {
    const s = regionSpecJsonSchema() as Record<string, any>;
    expect(s.$schema).toBeUndefined();
    expect(s.$ref).toBeUndefined();
    expect(s.type).toBe("object");
    expect(s.required).toEqual(["name"]);
    expect(s.additionalProperties).toBe(false);
    expect(s.properties.name.pattern).toBe("^[a-z](?:[a-z0-9]|-(?=[a-z0-9])){1,30}[a-z0-9]$");
    expect(s.properties.postgres.properties.maxWalSenders.default).toBe(10);
    expect(s.properties.postgres.properties.walKeepSize.default).toBe("2GB");
    expect(s.properties.redis.properties.sentinel.properties.quorum.default).toBe(2);
    expect(s.properties.app.properties.replicas).toMatchObject({ default: 3, minimum: 1, maximum: 50 });
    expect(s.properties.glb.properties.geo.items.enum).toContain("WEU");
    expect(s.description).toMatch(/region of Aragora/);
  });

  it("when the fleet settings schema is generated, then it documents the defaults", () => {
    const s = fleetSettingsJsonSchema() as Record<string, any>;
    expect(s.type).toBe("object");
    expect(s.properties.healthPath.default).toBe("/health");
    expect(s.properties.domain.default).toBe("aragora.example.com");
    expect(JSON.stringify(s)).not.toContain("$schema");
  });
});

describe("buildFleetView", () => {
  it("when built from two resolved specs, then order is the index and the result is a valid stack config", () => {
    const specs = localTwo();
    const view = buildFleetView(specs, fleetSettings.parse({}), "regions");
    expect(view).toEqual({
      primary: "us-east-1",
      regions: [
        { name: "us-east-1", provider: "local", primary: true, cidr: "10.0.0.0/16", geo: ["WNAM", "ENAM"], order: 0, portBase: 21000, appReplicas: 3 },
        { name: "eu-west-1", provider: "local", primary: false, cidr: "10.1.0.0/16", geo: ["WEU", "EEU"], order: 1, portBase: 21020, appReplicas: 3 },
      ],
      settings: fleetSettings.parse({}),
      localRoot: "regions",
    });
    expect(fleetView.safeParse(view).success).toBe(true);
    expect(regionStackConfig.safeParse({ region: specs[1], fleet: view }).success).toBe(true);
  });

  it("when no region is primary, then building the view throws", () => {
    const specs = localTwo().map((s) => ({ ...s, primary: false }));
    expect(() => buildFleetView(specs, fleetSettings.parse({}))).toThrow("a fleet needs exactly one primary region, found 0");
  });

  it("when the fleet is empty, then the view has no regions and no primary", () => {
    expect(buildFleetView([], fleetSettings.parse({}))).toMatchObject({ primary: "", regions: [] });
  });
});
