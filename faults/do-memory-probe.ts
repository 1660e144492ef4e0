/**
 * The soak's memory baseline: how much a local workerd grows per Durable Object made, with a Worker that does
 * nothing but make SQLite-backed objects (one table, one 200-byte row each), at the soak's rate of new
 * objects. The soak's own workerd RSS growth is then read against this, in objects made, not minutes.
 *
 *   node faults/do-memory-probe.ts [--rate 12] [--seconds 180] [--tables 1]   (the soak runs it as its baseline)
 *
 * One workerd through Miniflare on 127.0.0.1, files in a temp dir (deleted). Prints RSS every 15 s and the
 * growth per 1,000 objects after a 30 s warm-up.
 */
import { mkdtempSync, readdirSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { parseArgs } from "node:util";
import { convertV4MiniflareOptions, Log, LogLevel, Miniflare } from "miniflare";

// Offline and quiet, like the rest of the harness (no request.cf lookup).
process.env.CLOUDFLARE_CF_FETCH_ENABLED ??= "false";

/** The probe Worker: each object makes `tables` tables (with an index each) and writes one row to each. */
const scriptFor = (tables: number) => `
const TABLES = ${tables};
export class Obj {
  constructor(ctx) {
    this.ctx = ctx;
    for (let i = 0; i < TABLES; i++) {
      ctx.storage.sql.exec(\`create table if not exists t\${i} (k text primary key, v text, at integer)\`);
      ctx.storage.sql.exec(\`create index if not exists t\${i}_at on t\${i} (at)\`);
    }
  }
  async fetch() {
    for (let i = 0; i < TABLES; i++) {
      this.ctx.storage.sql.exec(\`insert or replace into t\${i} values (?, ?, ?)\`, "k", "v".repeat(200), Date.now());
    }
    return new Response("ok");
  }
}
export default {
  fetch(request, env) {
    const name = new URL(request.url).searchParams.get("n") ?? "x";
    return env.OBJ.getByName(name).fetch(request);
  },
};`;

/** workerd processes whose parent is this process (Miniflare's child). */
function workerdRssMb(): number {
  let kb = 0;
  for (const e of readdirSync("/proc")) {
    if (!/^\d+$/.test(e)) continue;
    try {
      const stat = readFileSync(`/proc/${e}/stat`, "utf8");
      const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
      if (Number(fields[1]) !== process.pid || !stat.includes("(workerd)")) continue;
      kb += Number(/VmRSS:\s+(\d+)/.exec(readFileSync(`/proc/${e}/status`, "utf8"))?.[1] ?? 0);
    } catch {
      // gone
    }
  }
  return kb / 1024;
}

export interface BareGrowth {
  /** workerd RSS after the warm-up and at the end, and the objects made in between. */
  fromMb: number;
  toMb: number;
  made: number;
  failed: number;
  /** MB of RSS per 1,000 objects made after the warm-up. */
  perThousandMb: number;
}

/** Makes `rate` new objects a second for `seconds` in a fresh workerd; RSS growth per object after 30 s. */
export async function bareObjectGrowth(o: {
  rate: number;
  seconds: number;
  /** Tables (each with an index) per object; 1 by default. */
  tables?: number;
  log?: (m: string) => void;
}): Promise<BareGrowth> {
  const log = o.log ?? (() => {});
  const dir = mkdtempSync(join(tmpdir(), "hookline-do-memory-"));
  const mf = new Miniflare(
    convertV4MiniflareOptions({
      host: "127.0.0.1",
      port: 0,
      log: new Log(LogLevel.WARN),
      resourcePersistencePath: dir,
      workers: [
        {
          name: "probe",
          modules: true,
          script: scriptFor(o.tables ?? 1),
          compatibilityDate: "2026-11-01",
          durableObjects: { OBJ: { className: "Obj", useSQLite: true } },
        },
      ],
    } as Parameters<typeof convertV4MiniflareOptions>[0]),
  );
  try {
    const url = await mf.ready;
    const t0 = performance.now();
    let made = 0;
    let failed = 0;
    const samples: { s: number; made: number; rssMb: number }[] = [];
    const sampler = setInterval(() => {
      const s = (performance.now() - t0) / 1000;
      const rssMb = workerdRssMb();
      samples.push({ s, made, rssMb });
      log(`${s.toFixed(0)} s: ${made} objects, workerd RSS ${rssMb.toFixed(0)} MB`);
    }, 15_000);
    const inflight = new Set<Promise<void>>();
    for (let i = 0; (performance.now() - t0) / 1000 < o.seconds; i++) {
      const wait = t0 + (i * 1000) / o.rate - performance.now();
      if (wait > 0) await new Promise((r) => setTimeout(r, wait));
      const p: Promise<void> = fetch(new URL(`/?n=obj-${i}`, url))
        .then(async (res) => {
          await res.text();
          if (res.ok) made++;
          else failed++;
        })
        .catch(() => void failed++)
        .finally(() => inflight.delete(p));
      inflight.add(p);
    }
    await Promise.all(inflight);
    clearInterval(sampler);
    samples.push({ s: (performance.now() - t0) / 1000, made, rssMb: workerdRssMb() });
    const after = samples.find((x) => x.s >= 30) ?? samples[0];
    const end = samples.at(-1);
    if (!after || !end || end.made <= after.made)
      throw new Error("the probe made no objects after its warm-up");
    return {
      fromMb: after.rssMb,
      toMb: end.rssMb,
      made: end.made - after.made,
      failed,
      perThousandMb: ((end.rssMb - after.rssMb) / (end.made - after.made)) * 1000,
    };
  } finally {
    await mf.dispose();
    rmSync(dir, { recursive: true, force: true });
  }
}

if (process.argv[1] === import.meta.filename) {
  const { values } = parseArgs({
    options: {
      rate: { type: "string", default: "12" },
      seconds: { type: "string", default: "180" },
      tables: { type: "string", default: "1" },
    },
  });
  const g = await bareObjectGrowth({
    rate: Number(values.rate),
    seconds: Number(values.seconds),
    tables: Number(values.tables),
    log: console.log,
  });
  console.log(
    `after warm-up: ${g.fromMb.toFixed(0)} → ${g.toMb.toFixed(0)} MB over ${g.made} objects: ${g.perThousandMb.toFixed(1)} MB per 1,000 objects (${g.failed} failed)`,
  );
}
