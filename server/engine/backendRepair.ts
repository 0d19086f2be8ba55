/**
 * Repairs what a killed Pulumi CLI can leave broken in a file:// backend.
 *
 * The file backend stores each blob (checkpoint, lock, history entry, backup) through gocloud's
 * fileblob driver: the blob itself goes to a temporary file that is renamed into place, so it is
 * whole or absent, but its `.attrs` sidecar (content type and MD5, as JSON) is written in place:
 * created empty, then filled. A CLI killed between the two leaves an empty sidecar, and from then
 * on every command on that stack fails with `failed to load checkpoint: EOF` (checking whether the
 * checkpoint exists decodes the sidecar). A missing sidecar is fine (the driver falls back to
 * defaults, and Pulumi reads neither field), so a sidecar that does not decode is removed.
 */
import * as fs from "node:fs";
import * as path from "node:path";

/** The directory of a file:// backend URL (query dropped); undefined for other backends. */
export function fileBackendDir(backendUrl: string): string | undefined {
  if (!backendUrl.startsWith("file://")) return undefined;
  const rest = backendUrl.slice("file://".length).split("?")[0] ?? "";
  // file://localhost/a/b and file:///a/b name the same directory.
  const dir = rest.startsWith("localhost/") ? rest.slice("localhost".length) : rest;
  return dir === "" ? undefined : dir;
}

/** A stack's checkpoint file in a file:// backend (project-scoped layout); undefined for other backends. */
export function fileBackendCheckpoint(backendUrl: string, project: string, stack: string): string | undefined {
  const dir = fileBackendDir(backendUrl);
  return dir === undefined ? undefined : path.join(dir, ".pulumi", "stacks", project, `${stack}.json`);
}

/**
 * Whether a path under `.pulumi` is `stack`'s: a directory of that name (its history, backups and
 * locks, whatever the backend's layout) or its checkpoint and the checkpoint's backup
 * (`<stack>.json`, `<stack>.json.bak`), plus the backend's own top-level files (`meta.yaml`).
 */
function belongsTo(rel: string, stack: string): boolean {
  const parts = rel.split(path.sep);
  const base = parts.pop() ?? "";
  if (parts.length === 0) return true;
  return parts.includes(stack) || base.startsWith(`${stack}.json`);
}

/**
 * Removes `.attrs` sidecars under the backend's `.pulumi` directory that are empty or not JSON;
 * returns the paths removed (relative to the backend directory). Other backends: nothing to do.
 * With `stack`, only that stack's sidecars are read (and the backend's top-level ones): the
 * history grows by two sidecars per update, so reading every stack's history for each stack
 * recovered at start-up would grow with the fleet times its age.
 */
export function repairFileBackend(backendUrl: string, stack?: string): string[] {
  const dir = fileBackendDir(backendUrl);
  if (dir === undefined) return [];
  const root = path.join(dir, ".pulumi");
  let entries: string[];
  try {
    entries = fs.readdirSync(root, { recursive: true, encoding: "utf8" });
  } catch {
    return []; // no state yet
  }
  const removed: string[] = [];
  for (const rel of entries) {
    if (!rel.endsWith(".attrs") || (stack !== undefined && !belongsTo(rel, stack))) continue;
    const file = path.join(root, rel);
    let damaged: boolean;
    try {
      const text = fs.readFileSync(file, "utf8");
      damaged = !isJsonObject(text);
    } catch {
      continue; // gone meanwhile, or a directory
    }
    if (damaged) {
      fs.rmSync(file, { force: true });
      removed.push(path.join(".pulumi", rel));
    }
  }
  return removed;
}

function isJsonObject(text: string): boolean {
  try {
    const v: unknown = JSON.parse(text);
    return typeof v === "object" && v !== null;
  } catch {
    return false;
  }
}
