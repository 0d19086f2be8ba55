import { assessFailover, refusalMessage, walPosition, type PgPosition } from "../../../server/drills/failoverCheck";

const dead = (region: string): PgPosition => ({ region, reachable: false, error: "connect ECONNREFUSED 127.0.0.1:47000" });
const standby = (region: string, receiveLsn: string | null, replayLsn: string | null = receiveLsn): PgPosition => ({
  region, reachable: true, inRecovery: true, receiveLsn, replayLsn, readOnly: false, timeline: 1,
});
const primary = (region: string, currentLsn: string, readOnly = false): PgPosition => ({
  region, reachable: true, inRecovery: false, currentLsn, receiveLsn: null, replayLsn: null, readOnly, timeline: 1,
});

describe("the failover split-brain check", () => {
  it("when the old primary is dead and the target has the most WAL, then the failover is allowed with nothing to report", () => {
    const a = assessFailover("eu-west-1", [dead("us-east-1"), standby("eu-west-1", "0/3000148"), standby("ap-south-1", "0/3000148")], false);
    expect(a).toMatchObject({ allowed: true, forced: false, problems: [], writable: [], targetLsn: "0/3000148", bestOtherLsn: "0/3000148" });
    expect(a.seen).toEqual([
      "us-east-1: unreachable (connect ECONNREFUSED 127.0.0.1:47000)",
      "eu-west-1: standby, pg_last_wal_receive_lsn 0/3000148, pg_last_wal_replay_lsn 0/3000148, timeline 1",
      "ap-south-1: standby, pg_last_wal_receive_lsn 0/3000148, pg_last_wal_replay_lsn 0/3000148, timeline 1",
    ]);
  });

  it("when the target is behind another standby, then it is refused naming both LSNs and the gap in bytes", () => {
    const a = assessFailover("eu-west-1", [dead("us-east-1"), standby("eu-west-1", "0/3000060"), standby("ap-south-1", "0/3000148")], false);
    expect(a.allowed).toBe(false);
    expect(a.problems).toEqual([
      {
        code: "target_behind",
        region: "eu-west-1",
        message:
          "eu-west-1 is behind ap-south-1: eu-west-1 has WAL up to 0/3000060, ap-south-1 up to 0/3000148 (232 bytes more); " +
          "promoting eu-west-1 would lose those writes. Fail over to ap-south-1, wait for eu-west-1 to catch up, or force it",
      },
    ]);
    expect(refusalMessage(a)).toContain("failover to eu-west-1 refused: eu-west-1 is behind ap-south-1");
    expect(refusalMessage(a)).toContain('Pass "force": true to override');
  });

  it("when the same failover is forced, then it is allowed and marked forced with the problems kept", () => {
    const a = assessFailover("eu-west-1", [dead("us-east-1"), standby("eu-west-1", "0/3000060"), standby("ap-south-1", "0/3000148")], true);
    expect(a).toMatchObject({ allowed: true, forced: true });
    expect(a.problems.map((p) => p.code)).toEqual(["target_behind"]);
  });

  it("when the old primary still accepts writes, then the failover is refused as a split brain and the region is listed for fencing", () => {
    const a = assessFailover("eu-west-1", [primary("us-east-1", "0/3000200"), standby("eu-west-1", "0/3000200")], false);
    expect(a.allowed).toBe(false);
    expect(a.writable).toEqual(["us-east-1"]);
    expect(a.problems.map((p) => [p.code, p.region])).toEqual([["writable_primary", "us-east-1"]]);
    expect(a.problems[0]?.message).toContain("us-east-1 still accepts writes (pg_current_wal_lsn 0/3000200)");
  });

  it("when the old primary is fenced read-only but ahead of the target, then the target is behind it", () => {
    const a = assessFailover("eu-west-1", [primary("us-east-1", "0/3000200", true), standby("eu-west-1", "0/3000100")], false);
    expect(a.writable).toEqual([]);
    expect(a.problems.map((p) => p.code)).toEqual(["target_behind"]);
    expect(a.seen[0]).toBe("us-east-1: primary (fenced: read-only), pg_current_wal_lsn 0/3000200, timeline 1");
  });

  it("when the target does not answer, then the failover is refused without force", () => {
    const a = assessFailover("eu-west-1", [dead("us-east-1"), dead("eu-west-1")], false);
    expect(a.problems.map((p) => p.code)).toEqual(["target_unreachable"]);
    expect(a.allowed).toBe(false);
  });

  it("when the target was already promoted (a retried failover), then it is accepted as it is", () => {
    const a = assessFailover("eu-west-1", [dead("us-east-1"), primary("eu-west-1", "0/4000000"), standby("ap-south-1", "0/3000148")], false);
    expect(a).toMatchObject({ allowed: true, problems: [], writable: [] });
  });

  it("when a standby never received WAL from its walreceiver, then its replayed position counts", () => {
    expect(walPosition(standby("ap-south-1", null, "0/2000000"))).toBe("0/2000000");
    const a = assessFailover("eu-west-1", [standby("eu-west-1", null, "0/1000000"), standby("ap-south-1", null, "0/2000000")], false);
    expect(a.problems.map((p) => p.code)).toEqual(["target_behind"]);
  });
});
