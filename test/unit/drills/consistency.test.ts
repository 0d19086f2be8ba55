import { judgeConsistency, reportText } from "../../../server/drills/consistency";

const CUTOFF = "2026-11-26T07:00:00.000Z";
const ok = (region: string, primary: boolean, rowsBeforeCutoff: number, checksum: string, rows = rowsBeforeCutoff) =>
  ({ region, primary, status: "ok" as const, rows, rowsBeforeCutoff, checksum });

describe("the consistency verdict", () => {
  it("when every region has the primary's count and checksum, then the fleet is consistent", () => {
    const r = judgeConsistency(CUTOFF, [ok("us-east-1", true, 10, "aa", 12), ok("eu-west-1", false, 10, "aa", 11), ok("ap-south-1", false, 10, "aa")]);
    expect(r).toMatchObject({ verdict: "consistent", reference: "us-east-1", mismatched: [], unreachable: [] });
    expect(r.regions.map((x) => x.verdict)).toEqual(["reference", "match", "match"]);
    expect(reportText(r)).toBe(
      "consistent: all 3 regions agree on debates created before 2026-11-26T07:00:00.000Z. " +
        "us-east-1 (primary): 10 rows before the cutoff (12 in all), md5 aa; eu-west-1: 10 rows before the cutoff (11 in all), md5 aa; " +
        "ap-south-1: 10 rows before the cutoff (10 in all), md5 aa",
    );
  });

  it("when one region took a write the others never saw, then the fleet is inconsistent and that region is named with both figures", () => {
    const r = judgeConsistency(CUTOFF, [ok("us-east-1", true, 10, "aa"), ok("eu-west-1", false, 10, "aa"), ok("ap-south-1", false, 11, "bb")]);
    expect(r.verdict).toBe("inconsistent");
    expect(r.mismatched).toEqual(["ap-south-1"]);
    expect(r.regions[2]?.differences).toEqual(["11 rows vs 10 on us-east-1", "md5 bb vs aa on us-east-1"]);
    expect(reportText(r)).toMatch(/^inconsistent: ap-south-1 differs from us-east-1 on debates created before/);
  });

  it("when a region cannot be read, then the verdict is incomplete and names it", () => {
    const r = judgeConsistency(CUTOFF, [ok("us-east-1", true, 10, "aa"), { region: "eu-west-1", primary: false, status: "unreachable", error: "ECONNREFUSED" }]);
    expect(r).toMatchObject({ verdict: "incomplete", unreachable: ["eu-west-1"] });
    expect(reportText(r)).toContain("eu-west-1: unreachable (ECONNREFUSED)");
  });

  it("when the primary cannot be read, then the first readable region is the reference", () => {
    const r = judgeConsistency(CUTOFF, [{ region: "us-east-1", primary: true, status: "unreachable" }, ok("eu-west-1", false, 3, "cc"), ok("ap-south-1", false, 3, "cc")]);
    expect(r.reference).toBe("eu-west-1");
    expect(r.verdict).toBe("incomplete");
  });
});
