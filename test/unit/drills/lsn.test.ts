import { formatLsn, lsnDiff, maxLsn, parseLsn } from "../../../server/drills/lsn";

describe("WAL positions", () => {
  it.each([
    ["0/0", 0n],
    ["0/5137618", 0x5137618n],
    ["1/0", 0x100000000n],
    ["16/B374D848", (0x16n << 32n) | 0xb374d848n],
    ["ffffffff/ffffffff", 0xffffffffffffffffn],
  ])("when %s is parsed, then it is byte position %s and formats back in PostgreSQL's style", (text, pos) => {
    expect(parseLsn(text)).toBe(pos);
    expect(formatLsn(pos)).toBe(text.toUpperCase());
  });

  it.each(["", "5137618", "0/", "/1", "0/123456789", "g/1", "0/1/2", " 0 / 1"])("when %j is parsed, then it is rejected", (text) => {
    expect(() => parseLsn(text)).toThrow("not a WAL position");
  });

  it("when two positions are subtracted, then the difference is in bytes and negative when behind", () => {
    expect(lsnDiff("0/3000148", "0/3000060")).toBe(232n);
    expect(lsnDiff("0/3000060", "0/3000148")).toBe(-232n);
    expect(lsnDiff("1/0", "0/FFFFFFFF")).toBe(1n);
  });

  it("when the maximum is taken, then null and undefined are ignored and the result is normalized", () => {
    expect(maxLsn("0/a", null, "0/9", undefined)).toBe("0/A");
    expect(maxLsn(null, undefined)).toBeUndefined();
    expect(maxLsn()).toBeUndefined();
  });
});
