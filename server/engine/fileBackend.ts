/**
 * The file backend's URL and directory. Free of the Pulumi SDK: the service's configuration reads
 * it (the service process itself never loads the SDK; engine hosts do).
 */
import * as path from "node:path";

/**
 * The default backend: `<state dir>/backend`, with `metadata=skip` for gocloud's fileblob (the
 * storage Pulumi's file backend uses): no `.attrs` sidecar beside each file. fileblob writes a
 * sidecar by truncating it and then writing it, so a CLI killed in between leaves it empty and
 * every later load of that stack fails (`failed to load checkpoint: EOF`); the checkpoint itself
 * is written to a temporary file and renamed. Without sidecars a killed CLI leaves the old
 * checkpoint or the new one, never a broken stack.
 */
export function defaultBackendUrl(stateDir: string): string {
  return `file://${path.join(stateDir, "backend")}?metadata=skip`;
}

/** The directory of a file:// backend URL (query dropped); undefined for other backends. */
export function fileBackendDir(backendUrl: string): string | undefined {
  if (!backendUrl.startsWith("file://")) return undefined;
  const rest = backendUrl.slice("file://".length).split("?")[0] ?? "";
  // file://localhost/a/b and file:///a/b name the same directory.
  const dir = rest.startsWith("localhost/") ? rest.slice("localhost".length) : rest;
  return dir === "" ? undefined : dir;
}
