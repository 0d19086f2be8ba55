import { defaultBackendUrl, fileBackendDir } from "../../../../server/engine/fileBackend";
import { fileBackendCheckpoint } from "../../../../server/engine/stackWorkspaces";

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

describe("defaultBackendUrl", () => {
  test("when no backend is configured, then it is the state dir's backend directory, without metadata sidecars, and names that directory", () => {
    expect(defaultBackendUrl("/srv/aragora")).toBe("file:///srv/aragora/backend?metadata=skip");
    expect(fileBackendDir(defaultBackendUrl("/srv/aragora"))).toBe("/srv/aragora/backend");
  });
});
