/**
 * Where the local target keeps its regions' data (`fleet.localRoot`).
 *
 * As a normal user, the daemons run as that user: the configured root (`ARAGORA_LOCAL_ROOT`, by
 * default `<state dir>/local`) is used as it is. As root, they run as the unprivileged daemon user,
 * which must traverse every ancestor of the root. A state dir under a 0700 directory (`/root/...`,
 * `mktemp -d`) is not traversable by it, so the default root then moves to
 * `/var/lib/aragora-regions/<id>` (id: a digest of the state dir's path), and `<state dir>/local`
 * becomes a link to it so it is found where the docs say (the first local region creates it). The choice is recorded in
 * `<state dir>/local-root` and kept on every later start: the stacks' state records these paths, and
 * a root that moved would replace every local resource.
 */
import * as crypto from "node:crypto";
import * as fs from "node:fs";
import * as path from "node:path";
import { isRoot, untraversableAncestors } from "../components/local/impl/daemonFs";

/** Where root-run services keep local data whose default place the daemon user cannot reach. */
export const ROOT_LOCAL_BASE = "/var/lib/aragora-regions";

export interface LocalRootChoice {
  localRoot: string;
  /** Why it is not the configured root (for the start-up log), when it is not. */
  moved?: string;
}

export function resolveLocalRoot(stateDir: string, configured: string, base: string = ROOT_LOCAL_BASE): LocalRootChoice {
  // A root set on purpose is used as it is (the local resources say plainly if it is unreachable).
  if (!isRoot() || configured !== path.join(stateDir, "local")) return { localRoot: configured };
  const record = path.join(stateDir, "local-root");
  const recorded = readRecord(record);
  if (recorded !== undefined) return { localRoot: recorded };
  const blocking = untraversableAncestors(configured);
  let choice: LocalRootChoice = { localRoot: configured };
  if (blocking.length > 0) {
    const id = crypto.createHash("sha256").update(stateDir).digest("hex").slice(0, 16);
    const localRoot = path.join(base, id);
    // The directory itself is made by the first local region (and removed with the last one).
    try {
      fs.symlinkSync(localRoot, configured);
    } catch {
      /* something is already there: the record still says where the data is */
    }
    choice = { localRoot, moved: `the daemon user cannot traverse ${blocking.join(", ")}` };
  }
  fs.writeFileSync(`${record}.tmp`, `${choice.localRoot}\n`, { mode: 0o600 });
  fs.renameSync(`${record}.tmp`, record);
  return choice;
}

function readRecord(file: string): string | undefined {
  try {
    const p = fs.readFileSync(file, "utf8").trim();
    return path.isAbsolute(p) ? p : undefined;
  } catch {
    return undefined;
  }
}
