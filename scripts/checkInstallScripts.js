#!/usr/bin/env node
/**
 * npm packages may run install scripts only when package.json's `allowScripts` says so. npm itself
 * runs none (`.npmrc`: ignore-scripts=true); setup runs `npm rebuild` for the packages allowed here.
 *
 * Reads the installed packages (after `npm ci --ignore-scripts`): a package has install scripts
 * when its package.json has a preinstall, install or postinstall script, or when it ships a
 * binding.gyp (npm then runs `node-gyp rebuild` for it). Fails (exit 1) when such a package is not
 * named in `allowScripts`, so a new dependency's scripts are a decision, never a surprise. Prints
 * the names of the allowed ones, space-separated. `node scripts/checkInstallScripts.js [project dir]`.
 */
"use strict";
const fs = require("node:fs");
const path = require("node:path");

const root = path.resolve(process.argv[2] ?? path.join(__dirname, ".."));
const pkg = JSON.parse(fs.readFileSync(path.join(root, "package.json"), "utf8"));
const lock = JSON.parse(fs.readFileSync(path.join(root, "package-lock.json"), "utf8"));
const allow = pkg.allowScripts ?? {};

/** name → version of every installed package that would run install scripts. */
const withScripts = new Map();
for (const where of Object.keys(lock.packages ?? {})) {
  if (where === "" || !where.includes("node_modules/")) continue;
  const dir = path.join(root, where);
  let manifest;
  try {
    manifest = JSON.parse(fs.readFileSync(path.join(dir, "package.json"), "utf8"));
  } catch {
    continue; // an optional package for another platform, not installed
  }
  const scripts = manifest.scripts ?? {};
  if (["preinstall", "install", "postinstall"].some((s) => typeof scripts[s] === "string") || fs.existsSync(path.join(dir, "binding.gyp"))) {
    withScripts.set(where.slice(where.lastIndexOf("node_modules/") + "node_modules/".length), manifest.version);
  }
}

const unknown = [...withScripts.keys()].filter((n) => typeof allow[n] !== "boolean");
if (unknown.length > 0) {
  for (const n of unknown) {
    console.error(`[setup] ${n}@${withScripts.get(n)} has install scripts and package.json "allowScripts" does not name it: ` +
      `add "${n}": true (its scripts run) or false (they never do)`);
  }
  process.exit(1);
}
for (const n of Object.keys(allow).filter((k) => !withScripts.has(k))) {
  console.error(`[setup] note: "allowScripts" names ${n}, which has no install scripts`);
}
console.log([...withScripts.keys()].filter((n) => allow[n] === true).join(" "));
