#!/usr/bin/env node
// The package mirror this project is developed against does not serve every platform's optional binary
// package (e.g. @biomejs/cli-darwin-x64, @cloudflare/workerd-windows-64). `npm install` then leaves them out
// of package-lock.json, and `npm ci` refuses the lockfile as "Missing: … from lock file". This adds the
// missing optional entries, with the os/cpu/libc their names declare, so `npm ci` skips them on other
// platforms exactly as it would with a complete lockfile. Run it after `npm install` changes the lockfile:
//   npm run lockfile:fix
import { readFileSync, writeFileSync } from "node:fs";

const path = new URL("../package-lock.json", import.meta.url);
const lock = JSON.parse(readFileSync(path, "utf8"));
const OS = {
  darwin: "darwin",
  linux: "linux",
  win32: "win32",
  windows: "win32",
  android: "android",
  freebsd: "freebsd",
};
const CPU = { x64: "x64", 64: "x64", arm64: "arm64", ia32: "ia32", arm: "arm" };

function platformOf(name) {
  const m = /-(darwin|linux|win32|windows|android|freebsd)-(x64|64|arm64|ia32|arm)(-musl)?$/.exec(name);
  if (!m) return undefined;
  return { os: [OS[m[1]]], cpu: [CPU[m[2]]], ...(m[3] ? { libc: ["musl"] } : {}) };
}

let added = 0;
for (const [key, pkg] of Object.entries(lock.packages)) {
  for (const [dep, version] of Object.entries(pkg.optionalDependencies ?? {})) {
    const where = `${key ? `${key}/` : ""}node_modules/${dep}`;
    if (lock.packages[where] || lock.packages[`node_modules/${dep}`]) continue;
    const platform = platformOf(dep);
    if (!platform) continue;
    lock.packages[`node_modules/${dep}`] = { version, optional: true, ...platform };
    added++;
  }
}
lock.packages = Object.fromEntries(
  Object.entries(lock.packages).sort(([a], [b]) => (a === "" ? -1 : b === "" ? 1 : a.localeCompare(b))),
);
writeFileSync(path, `${JSON.stringify(lock, null, 2)}\n`);
console.log(`lockfile-optional: added ${added} optional platform entr${added === 1 ? "y" : "ies"}`);
