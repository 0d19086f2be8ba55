/** Guards in front of every path and command line of the local target. */
import {
  assertInside,
  assertPgIdentifier,
  assertPgSize,
  assertPort,
  assertRegionName,
  assertSafePath,
  assertSecret,
} from "../../../../components/local/names";

describe("local target name guards", () => {
  it.each(["us-east-1", "eu-west-1", "ap-south-1", "abc"])("when the region is %s, then it passes", (name) => {
    expect(assertRegionName(name)).toBe(name);
  });

  it.each(["global", "../etc", "-rf", "eu west", "EU-WEST-1", "eu--west", "a", "x/y", "eu-west-1;rm", ""])("when the region is %j, then it is refused", (name) => {
    expect(() => assertRegionName(name)).toThrow("is not a valid region name");
  });

  it.each(["/tmp/a", "/var/lib/aragora/regions"])("when the path is %s, then it passes", (p) => {
    expect(assertSafePath(p, "dir")).toBe(p);
  });

  it.each(["relative/dir", "/tmp/../etc", "/tmp/a b", "/tmp/a'b", "/tmp/$(id)", "/", "/tmp/a/", "/tmp//a"])("when the path is %j, then it is refused", (p) => {
    expect(() => assertSafePath(p, "dir")).toThrow("dir:");
  });

  it("when a directory is not strictly inside the root, then it is refused", () => {
    expect(assertInside("/r/eu-west-1", "/r", "path")).toBe("/r/eu-west-1");
    expect(() => assertInside("/r", "/r", "path")).toThrow("is not inside");
    expect(() => assertInside("/other", "/r", "path")).toThrow("is not inside");
  });

  it("when identifiers, ports, sizes and secrets are checked, then only safe values pass", () => {
    expect(assertPgIdentifier("eu_west_1_slot", "slot")).toBe("eu_west_1_slot");
    expect(() => assertPgIdentifier("eu-west-1", "slot")).toThrow("slot:");
    expect(() => assertPgIdentifier("x'; DROP", "slot")).toThrow("slot:");
    expect(assertPort(30000, "port")).toBe(30000);
    expect(() => assertPort(80, "port")).toThrow("port:");
    expect(() => assertPort(30000.5, "port")).toThrow("port:");
    expect(assertPgSize("2GB", "walKeepSize")).toBe("2GB");
    expect(() => assertPgSize("2 GB", "walKeepSize")).toThrow("walKeepSize:");
    expect(assertSecret("abcdefghijklmnop_-12", "pw")).toBe("abcdefghijklmnop_-12");
    expect(() => assertSecret("short", "pw")).toThrow("pw:");
    expect(() => assertSecret('has"quote-and-more-chars', "pw")).toThrow("pw:");
  });
});
