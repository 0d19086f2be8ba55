import { allocateCidr, cidrsOverlap, formatCidr, mustParseCidr, parseCidr } from "../../../../domain/spec";

describe("parseCidr", () => {
  it.each([
    ["10.0.0.0/16", 0x0a000000, 16],
    ["10.255.255.0/24", 0x0affff00, 24],
    ["192.168.0.0/16", 0xc0a80000, 16],
    ["172.16.4.0/22", 0xac100400, 22],
  ])("when given %s, then it parses to its network and prefix", (text, network, prefix) => {
    expect(parseCidr(text)).toEqual({ ok: true, cidr: { network, prefix } });
    expect(formatCidr(mustParseCidr(text))).toBe(text);
  });

  it.each([
    ["", 'must be an IPv4 CIDR such as "10.1.0.0/16"'],
    ["10.0.0.0", 'must be an IPv4 CIDR such as "10.1.0.0/16"'],
    ["10.0.0/16", 'must be an IPv4 CIDR such as "10.1.0.0/16"'],
    [" 10.0.0.0/16", 'must be an IPv4 CIDR such as "10.1.0.0/16"'],
    ["10.00.0.0/16", 'must be an IPv4 CIDR such as "10.1.0.0/16"'],
    ["10.0.0.0/016", 'must be an IPv4 CIDR such as "10.1.0.0/16"'],
    ["::1/128", 'must be an IPv4 CIDR such as "10.1.0.0/16"'],
    ["300.0.0.0/16", 'must be an IPv4 CIDR such as "10.1.0.0/16" (octets 0-255)'],
    ["10.0.0.0/33", 'must be an IPv4 CIDR such as "10.1.0.0/16" (prefix 0-32)'],
    ["10.0.0.0/15", "prefix /15 is out of range: region networks are /16 to /24"],
    ["10.0.0.0/25", "prefix /25 is out of range: region networks are /16 to /24"],
    ["10.0.0.1/24", 'host bits must be zero: did you mean "10.0.0.0/24"?'],
    ["10.1.128.0/16", 'host bits must be zero: did you mean "10.1.0.0/16"?'],
  ])("when given %j, then it is rejected: %s", (text, reason) => {
    expect(parseCidr(text)).toEqual({ ok: false, reason });
  });
});

describe("cidrsOverlap", () => {
  it.each([
    ["10.0.0.0/16", "10.0.255.0/24", true],
    ["10.0.0.0/16", "10.1.0.0/16", false],
    ["10.0.0.0/24", "10.0.1.0/24", false],
    ["10.0.0.0/16", "10.0.0.0/16", true],
    ["10.1.0.0/24", "10.0.0.0/16", false],
    ["192.168.0.0/16", "192.168.255.0/24", true],
  ])("when %s and %s are compared, then overlap is %s", (a, b, expected) => {
    expect(cidrsOverlap(mustParseCidr(a), mustParseCidr(b))).toBe(expected);
    expect(cidrsOverlap(mustParseCidr(b), mustParseCidr(a))).toBe(expected);
  });
});

describe("allocateCidr", () => {
  it.each([
    [[], "10.0.0.0/16"],
    [["10.0.0.0/16"], "10.1.0.0/16"],
    [["10.0.0.0/16", "10.2.0.0/16"], "10.1.0.0/16"],
    [["10.0.5.0/24"], "10.1.0.0/16"],
    [["192.168.0.0/16"], "10.0.0.0/16"],
  ])("when %j are taken, then %s is allocated", (taken, expected) => {
    expect(allocateCidr(taken.map(mustParseCidr))).toBe(expected);
  });

  it("when every /16 of 10.0.0.0/8 is used, then nothing is allocated", () => {
    expect(allocateCidr(Array.from({ length: 256 }, (_, i) => mustParseCidr(`10.${i}.0.0/24`)))).toBeUndefined();
  });

  it("when a bad CIDR reaches mustParseCidr, then it throws with the reason", () => {
    expect(() => mustParseCidr("10.0.0.1/16")).toThrow('invalid CIDR "10.0.0.1/16": host bits must be zero: did you mean "10.0.0.0/16"?');
  });
});
