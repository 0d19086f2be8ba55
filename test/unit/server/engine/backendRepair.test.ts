import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { fileBackendCheckpoint, fileBackendDir, repairFileBackend } from "../../../../server/engine/backendRepair";

describe("fileBackendDir", () => {
  test.each([
    ["file:///var/state/backend", "/var/state/backend"],
    ["file:///var/state/backend?metadata=skip", "/var/state/backend"],
    ["file://localhost/var/state", "/var/state"],
    ["s3://bucket/prefix", undefined],
    ["https://api.pulumi.com", undefined],
    ["file://", undefined],
  ])("when the backend URL is %s, then the directory is %s", (url, dir) => {
    expect(fileBackendDir(url)).toBe(dir);
  });
});

describe("fileBackendCheckpoint", () => {
  test("when the backend is a file backend, then a stack's checkpoint is under .pulumi/stacks/<project>; otherwise there is none", () => {
    expect(fileBackendCheckpoint("file:///var/state/backend", "aragora", "eu-west-1")).toBe("/var/state/backend/.pulumi/stacks/aragora/eu-west-1.json");
    expect(fileBackendCheckpoint("s3://bucket/prefix", "aragora", "eu-west-1")).toBeUndefined();
  });
});

describe("repairFileBackend", () => {
  let dir: string;
  beforeEach(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), "aragora-repair-"));
  });
  afterEach(() => {
    fs.rmSync(dir, { recursive: true, force: true });
  });

  function put(rel: string, text: string): string {
    const file = path.join(dir, ".pulumi", rel);
    fs.mkdirSync(path.dirname(file), { recursive: true });
    fs.writeFileSync(file, text);
    return file;
  }

  test("when sidecars are empty or not JSON, then only those are removed, blobs and good sidecars stay", () => {
    const checkpoint = put("stacks/aragora/a.json", '{"version":3}');
    const good = put("stacks/aragora/a.json.attrs", '{"user.content_type":"application/json","md5":"AAAA"}\n');
    const empty = put("stacks/aragora/b.json.attrs", "");
    const cut = put("locks/organization/aragora/b/x.json.attrs", '{"user.content');
    const notObject = put("history/aragora/b/h.json.attrs", "3");

    const removed = repairFileBackend(`file://${dir}`);

    expect(removed.sort()).toEqual([".pulumi/history/aragora/b/h.json.attrs", ".pulumi/locks/organization/aragora/b/x.json.attrs", ".pulumi/stacks/aragora/b.json.attrs"]);
    for (const f of [empty, cut, notObject]) expect(fs.existsSync(f)).toBe(false);
    expect(fs.readFileSync(checkpoint, "utf8")).toBe('{"version":3}');
    expect(fs.existsSync(good)).toBe(true);
  });

  test("when a stack is named, then only its sidecars (checkpoint, backup, history, backups, locks) and the backend's top-level ones are repaired", () => {
    const mine = [
      "stacks/aragora/us-east-1.json.attrs",
      "stacks/aragora/us-east-1.json.bak.attrs",
      "history/aragora/us-east-1/us-east-1-17.history.json.attrs",
      "backups/aragora/us-east-1/us-east-1.17.json.attrs",
      "locks/organization/aragora/us-east-1/x.json.attrs",
      "meta.yaml.attrs",
    ];
    const others = [
      "stacks/aragora/eu-west-1.json.attrs",
      "stacks/aragora/us-east-10.json.attrs",
      "history/aragora/eu-west-1/eu-west-1-17.history.json.attrs",
      "locks/organization/aragora/us-east-10/y.json.attrs",
    ];
    for (const rel of [...mine, ...others]) put(rel, "");

    const removed = repairFileBackend(`file://${dir}`, "us-east-1");

    expect(removed.sort()).toEqual(mine.map((rel) => path.join(".pulumi", rel)).sort());
    for (const rel of others) expect(fs.existsSync(path.join(dir, ".pulumi", rel))).toBe(true);
  });

  test("when nothing is damaged, then nothing is removed", () => {
    put("stacks/aragora/a.json.attrs", "{}");
    expect(repairFileBackend(`file://${dir}`)).toEqual([]);
  });

  test("when the backend has no state yet or is not a file backend, then it does nothing", () => {
    expect(repairFileBackend(`file://${path.join(dir, "missing")}`)).toEqual([]);
    expect(repairFileBackend("s3://bucket")).toEqual([]);
  });
});
