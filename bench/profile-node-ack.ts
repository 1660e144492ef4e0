/**
 * Where a Node ack's CPU goes: starts the bench's Hookline server (bench/node/server.ts, `HOOKLINE_ENV=bench`)
 * under `--cpu-prof`, sends Telegram deliveries for a while at a fixed number in flight, stops it, and prints
 * the functions with the most self time (and by file), from the profile Node wrote.
 *
 *   npx node bench/profile-node-ack.ts [--seconds 8] [--inflight 8] [--target telegram|standard-webhooks]
 */
import { mkdtempSync, readdirSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, relative, resolve } from "node:path";
import { parseArgs } from "node:util";
import { keepAlivePool, RequestSource, runWindow } from "./lib/load.ts";
import { hooklineTargets } from "./lib/targets.ts";
import { startChild } from "./node/child.ts";

const ROOT = resolve(import.meta.dirname, "..");
const { values: args } = parseArgs({
  options: {
    seconds: { type: "string", default: "8" },
    inflight: { type: "string", default: "8" },
    target: { type: "string", default: "telegram" },
    top: { type: "string", default: "30" },
  },
});
const target = hooklineTargets.find((t) => t.id === args.target);
if (!target) throw new Error(`no target ${args.target}`);
const base = process.env.BENCH_TMPDIR ?? (readdirSync("/dev").includes("shm") ? "/dev/shm" : tmpdir());
const dataDir = mkdtempSync(join(base, "hookline-prof-"));
const profDir = mkdtempSync(join(tmpdir(), "hookline-cpuprof-"));
const server = await startChild("hookline", { kind: "hookline", dataDir, envName: "bench" }, 30_000, [
  "--cpu-prof",
  `--cpu-prof-dir=${profDir}`,
]);
const inflight = Number(args.inflight);
const source = new RequestSource(target);
// Signed before the window (as the ack bench does), enough for about 4,000 acks a second.
await source.prepare(Number(args.seconds) * 4_000);
const pool = keepAlivePool(server.url, inflight);
const load = await runWindow(pool, source, inflight, Number(args.seconds) * 1000);
await pool.close();
await server.stop();
console.log(
  `${load.requests} requests in ${args.seconds} s (${load.rps.toFixed(0)}/s), ${load.errors} not accepted`,
);

interface Node {
  id: number;
  children?: number[];
  callFrame: { functionName: string; url: string; lineNumber: number };
  hitCount: number;
}
const file = readdirSync(profDir).find((f) => f.endsWith(".cpuprofile"));
if (!file) throw new Error("no profile written");
const profile = JSON.parse(readFileSync(join(profDir, file), "utf8")) as {
  nodes: Node[];
  samples: number[];
  timeDeltas: number[];
};
const total = profile.samples.length;
const byFn = new Map<string, number>();
const byFile = new Map<string, number>();
for (const node of profile.nodes) {
  const where = node.callFrame.url.replace(/^file:\/\//, "");
  const short = where.startsWith(ROOT) ? relative(ROOT, where) : where || "(native)";
  const fn = `${node.callFrame.functionName || "(anonymous)"} ${short}:${node.callFrame.lineNumber + 1}`;
  byFn.set(fn, (byFn.get(fn) ?? 0) + node.hitCount);
  const pkg = short.includes("node_modules/")
    ? short.replace(/.*node_modules\/((@[^/]+\/)?[^/]+).*/, "node_modules/$1")
    : short;
  byFile.set(pkg, (byFile.get(pkg) ?? 0) + node.hitCount);
}
// Inclusive time of the project's own functions (a function counted once per stack).
const byId = new Map(profile.nodes.map((node) => [node.id, node]));
const parent = new Map<number, number>();
for (const node of profile.nodes) for (const c of node.children ?? []) parent.set(c, node.id);
const inclusive = new Map<string, number>();
const label = (node: Node) => {
  const where = node.callFrame.url.replace(/^file:\/\//, "");
  return where.startsWith(join(ROOT, "src"))
    ? `${node.callFrame.functionName || "(anonymous)"} ${relative(ROOT, where)}:${node.callFrame.lineNumber + 1}`
    : undefined;
};
for (const node of profile.nodes) {
  if (node.hitCount === 0) continue;
  const seen = new Set<string>();
  for (let at: Node | undefined = node; at; at = byId.get(parent.get(at.id) ?? -1)) {
    const l = label(at);
    if (l && !seen.has(l)) {
      seen.add(l);
      inclusive.set(l, (inclusive.get(l) ?? 0) + node.hitCount);
    }
  }
}
const top = Number(args.top);
const pct = (v: number) => `${((100 * v) / total).toFixed(1)}%`.padStart(6);
console.log(`\nself time by function (${total} samples):`);
for (const [k, v] of [...byFn].sort((a, b) => b[1] - a[1]).slice(0, top)) console.log(pct(v), k);
console.log("\ninclusive time of src/ functions:");
for (const [k, v] of [...inclusive].sort((a, b) => b[1] - a[1]).slice(0, top)) console.log(pct(v), k);
console.log("\nself time by file / package:");
for (const [k, v] of [...byFile].sort((a, b) => b[1] - a[1]).slice(0, top)) console.log(pct(v), k);
rmSync(dataDir, { recursive: true, force: true });
rmSync(profDir, { recursive: true, force: true });
