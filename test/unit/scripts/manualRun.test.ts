/** The inline fallback of `npm run pulumi` (scripts/manualRun.ts): its argument parsing and output format, without the engine. */
import { parseArgs } from "../../../scripts/manual/args";
import { formatOutputs, urnParts } from "../../../scripts/manual/format";

describe("manual run formatting", () => {
  it("when outputs include secrets, then they print as [secret] and the rest as values, keys sorted", () => {
    expect(
      formatOutputs({
        redisPort: { value: 6379, secret: false },
        databaseUrl: { value: "postgres://app:hunter2@127.0.0.1/aragora", secret: true },
        appUrls: { value: ["http://127.0.0.1:1"], secret: false },
        role: { value: "primary", secret: false },
      }),
    ).toEqual(["  appUrls: [\"http://127.0.0.1:1\"]", "  databaseUrl: [secret]", "  redisPort: 6379", "  role: primary"]);
  });

  it("when a URN has parent types, then the resource's own type and name are shown", () => {
    expect(urnParts("urn:pulumi:us-east-1::aragora::aragora:local:Region$aragora-local:index:Postgres::us-east-1-postgres")).toEqual({
      type: "aragora-local:index:Postgres",
      name: "us-east-1-postgres",
    });
  });

  it("when update is given, then it runs as up; when --skip-preview is given to preview, then it is refused", () => {
    expect(parseArgs(["update", "-s", "global", "-y"])).toEqual({ command: "up", stack: "global", yes: true, diff: false, skipPreview: false, nonInteractive: false });
    expect(() => parseArgs(["preview", "--skip-preview"])).toThrow("--skip-preview applies to up only, not preview");
  });
});
