/**
 * Runs the bundled workers in one workerd process through Miniflare (no `wrangler dev`, so no debugger or
 * dev proxy). Each worker gets its own direct socket on 127.0.0.1, so the load generator talks to the worker
 * itself, not through Miniflare's entry worker.
 */
import { join } from "node:path";
import { convertV4MiniflareOptions, Log, LogLevel, Response as MfResponse, Miniflare } from "miniflare";
import type { BuiltWorker } from "./build.ts";

// Offline and quiet, as `npm start` runs wrangler (src/cli/start.ts): no `request.cf` download, no metrics.
process.env.CLOUDFLARE_CF_FETCH_ENABLED ??= "false";
process.env.WRANGLER_SEND_METRICS ??= "false";

interface RawWranglerConfig {
  compatibility_date?: string;
  compatibility_flags?: string[];
  vars?: Record<string, string>;
  durable_objects?: { bindings?: { name: string; class_name: string }[] };
  migrations?: { new_sqlite_classes?: string[]; new_classes?: string[] }[];
  rules?: { type: string; globs: string[]; fallthrough?: boolean }[];
  queues?: {
    producers?: { binding: string; queue: string; delivery_delay?: number }[];
    consumers?: {
      queue: string;
      max_batch_size?: number;
      max_batch_timeout?: number;
      max_retries?: number;
      dead_letter_queue?: string;
      retry_delay?: number;
    }[];
  };
  [key: string]: unknown;
}

/**
 * wrangler.toml keys this runner maps to Miniflare options; any other binding kind fails loudly. `env` holds the
 * named environments (`[env.production]`): the benches run the top-level (local) config, as `wrangler dev` does.
 */
const MAPPED = new Set([
  "env",
  "name",
  "main",
  "compatibility_date",
  "compatibility_flags",
  "send_metrics",
  "build",
  "vars",
  "durable_objects",
  "migrations",
  "rules",
  "queues",
  "observability",
  "workers_dev",
  "minify",
  "keep_vars",
]);

/** wrangler.toml as wrangler itself parses it (TOML parsing lives in wrangler; we just read the fields). */
export async function readWranglerConfig(configPath: string): Promise<RawWranglerConfig> {
  const wrangler = (await import("wrangler")) as unknown as {
    experimental_readRawConfig(args: { config: string }): { rawConfig: RawWranglerConfig };
  };
  return wrangler.experimental_readRawConfig({ config: configPath }).rawConfig;
}

type ModuleRuleType = "ESModule" | "CommonJS" | "Text" | "Data" | "CompiledWasm";

/** Enough of glob syntax for wrangler module rules (`**\/`, `*`, `?`), matched against a file name. */
function globToRegExp(glob: string): RegExp {
  let re = "";
  for (let i = 0; i < glob.length; i++) {
    const ch = glob[i] as string;
    if (glob.startsWith("**/", i)) {
      re += "(?:.*/)?";
      i += 2;
    } else if (ch === "*") re += "[^/]*";
    else if (ch === "?") re += "[^/]";
    else re += ch.replace(/[.+^${}()|[\]\\]/g, "\\$&");
  }
  return new RegExp(`^${re}$`);
}

/** The Miniflare (v4-style) options for one bundled worker, derived from its wrangler config. */
export function workerOptions(
  name: string,
  built: BuiltWorker,
  config: RawWranglerConfig,
  bindings: Record<string, string>,
) {
  const unmapped = Object.keys(config).filter((k) => !MAPPED.has(k));
  if (unmapped.length > 0) {
    throw new Error(`bench/lib/runtime.ts does not map wrangler config key(s) ${unmapped.join(", ")} yet`);
  }
  const sqliteClasses = new Set((config.migrations ?? []).flatMap((m) => m.new_sqlite_classes ?? []));
  const durableObjects = Object.fromEntries(
    (config.durable_objects?.bindings ?? []).map((b) => [
      b.name,
      { className: b.class_name, useSQLite: sqliteClasses.has(b.class_name) },
    ]),
  );
  // Miniflare 5's v4 adapter takes no modulesRules, so list the modules: the entry, then every extra file
  // wrangler emitted, typed by wrangler.toml's [[rules]] (e.g. drizzle's .sql migrations as Text).
  const rules = config.rules ?? [];
  const modules = [
    { type: "ESModule" as ModuleRuleType, path: join(built.outDir, built.entry) },
    ...built.extraModules.map((file) => {
      const rule = rules.find((r) => r.globs.some((g) => globToRegExp(g).test(file)));
      if (!rule) throw new Error(`no wrangler [[rules]] entry types bundle module ${file}`);
      return { type: rule.type as ModuleRuleType, path: join(built.outDir, file) };
    }),
  ];
  return {
    name,
    modules,
    modulesRoot: built.outDir,
    compatibilityDate: config.compatibility_date ?? "2000-01-01",
    compatibilityFlags: config.compatibility_flags ?? [],
    // [vars] first; the caller's bindings (secrets, HOOKLINE_ENV) win, as `wrangler secret` values would.
    bindings: { ...(config.vars ?? {}), ...bindings },
    durableObjects,
    queueProducers: Object.fromEntries(
      (config.queues?.producers ?? []).map((p) => [
        p.binding,
        {
          queueName: p.queue,
          ...(p.delivery_delay === undefined ? {} : { deliveryDelay: p.delivery_delay }),
        },
      ]),
    ),
    queueConsumers: Object.fromEntries(
      (config.queues?.consumers ?? []).map((c) => [
        c.queue,
        Object.fromEntries(
          Object.entries({
            maxBatchSize: c.max_batch_size,
            maxBatchTimeout: c.max_batch_timeout,
            maxRetries: c.max_retries,
            deadLetterQueue: c.dead_letter_queue,
            retryDelay: c.retry_delay,
          }).filter(([, v]) => v !== undefined),
        ),
      ]),
    ),
    // Nothing leaves the machine: any outbound fetch from a worker is refused here and counted.
    outboundService: (request: { url: string }) => {
      outbound.count++;
      outbound.hosts.add(new URL(request.url).host);
      return new MfResponse("outbound traffic is disabled in the bench", { status: 502 });
    },
    unsafeDirectSockets: [{ host: "127.0.0.1", port: 0 }],
  };
}

/** Outbound requests the workers attempted (all refused). */
export const outbound = { count: 0, hosts: new Set<string>() };

export interface Runtime {
  mf: Miniflare;
  urls: Record<string, URL>;
}

/** Starts one workerd with every worker; DO state (SQLite files) lives under persistDir. */
export async function startRuntime(
  workers: ReturnType<typeof workerOptions>[],
  persistDir: string,
): Promise<Runtime> {
  const mf = new Miniflare(
    convertV4MiniflareOptions({
      host: "127.0.0.1",
      port: 0,
      log: new Log(LogLevel.WARN),
      logRequests: false,
      resourcePersistencePath: persistDir,
      // Diagnosis: a DevTools inspector for the isolates (bench/lib/cdp-profiler.ts).
      ...(process.env.BENCH_WORKERD_INSPECTOR && {
        inspectorPort: Number(process.env.BENCH_WORKERD_INSPECTOR),
      }),
      workers,
    } as Parameters<typeof convertV4MiniflareOptions>[0]),
  );
  await mf.ready;
  const urls: Record<string, URL> = {};
  for (const w of workers) urls[w.name] = await mf.unsafeGetDirectURL(w.name);
  return { mf, urls };
}
