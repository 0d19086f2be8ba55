/** Provider implementations without processes: a directory owned by a stack, and a generated secret. */
import { randomBytes } from "node:crypto";
import * as fs from "node:fs";
import type * as pulumi from "@pulumi/pulumi";
import { assertInside, assertInt, assertSafePath, assertSecret } from "../names";
import { makeDir } from "./proc";
import { removeTree } from "./daemonFs";
import { checker } from "./redis";

export interface DirInputs {
  /** The local root (must exist or be creatable). */
  root: string;
  /** The directory this resource owns, strictly inside `root`. */
  path: string;
}
export type DirOutputs = DirInputs & { present: boolean };

function validateDir(i: DirInputs): void {
  assertSafePath(i.root, "root");
  assertSafePath(i.path, "path");
  assertInside(i.path, i.root, "path");
}

export const ownedDir: pulumi.dynamic.ResourceProvider = {
  check: checker(validateDir),
  diff(_id: string, olds: DirOutputs, news: DirInputs) {
    const moved = olds.path !== news.path || olds.root !== news.root;
    const present = fs.existsSync(news.path);
    return Promise.resolve({ changes: moved || !present || !olds.present, replaces: moved ? ["path"] : [], deleteBeforeReplace: true });
  },
  create(inputs: DirInputs) {
    validateDir(inputs);
    // The root and the region dir are root's (the daemons cannot change them) and traversable by
    // everyone: the daemons run as the daemon user below them, each in a directory it owns.
    makeDir(inputs.root, 0o755);
    makeDir(inputs.path, 0o755);
    return Promise.resolve({ id: `dir:${inputs.path}`, outs: { ...inputs, present: true } });
  },
  read(id: string, props?: DirOutputs) {
    if (props === undefined) return Promise.resolve({ id });
    return Promise.resolve({ id, props: { ...props, present: fs.existsSync(props.path) } });
  },
  update(_id: string, _olds: DirOutputs, news: DirInputs) {
    validateDir(news);
    makeDir(news.path, 0o755);
    return Promise.resolve({ outs: { ...news, present: true } });
  },
  delete(_id: string, props: DirOutputs) {
    validateDir(props);
    removeTree(props.path);
    // Leave the shared root when it is empty and we made the last entry go.
    try {
      if (fs.readdirSync(props.root).length === 0) fs.rmdirSync(props.root);
    } catch {
      /* not ours to remove, or not empty */
    }
    return Promise.resolve();
  },
};

export interface SecretInputs {
  /** Random bytes before base64url encoding. */
  bytes: number;
  /**
   * Take this value instead of generating one (a replica region adopts the fleet's credentials from
   * the primary, so it still has them once a failover makes it the primary). Read at create only.
   */
  adopt?: string;
}
/** Everything but `adopt` (the adopted value only lives on as `value`, a secret). */
export type SecretOutputs = Omit<SecretInputs, "adopt"> & { value: string };

function validateSecret(i: SecretInputs): void {
  assertInt(i.bytes, "bytes", 16, 64);
  if (i.adopt !== undefined) assertSecret(i.adopt, "adopt");
}

/** A generated (or adopted) password (base64url, so it is safe in config files and URLs). Only ever a secret output. */
export const generatedSecret: pulumi.dynamic.ResourceProvider = {
  check: checker(validateSecret),
  diff(_id: string, olds: SecretOutputs, news: SecretInputs) {
    // `adopt` never changes a secret once made: the fleet's credentials outlive role changes.
    const changed = olds.bytes !== news.bytes;
    return Promise.resolve({ changes: changed, replaces: changed ? ["bytes"] : [] });
  },
  create(inputs: SecretInputs) {
    validateSecret(inputs);
    const { adopt, ...rest } = inputs;
    const value = adopt ?? randomBytes(inputs.bytes).toString("base64url");
    return Promise.resolve({ id: `secret:${randomBytes(8).toString("hex")}`, outs: { ...rest, value } });
  },
  read(id: string, props?: SecretOutputs) {
    return Promise.resolve(props === undefined ? { id } : { id, props });
  },
};
