/**
 * One server of `npm run bench:node`, in its own Node process so it never shares an event loop with the load
 * generator. bench/node/child.ts starts it with BENCH_NODE_CHILD (a JSON `ChildSpec`) and reads `READY <port>`
 * from stdout; SIGTERM closes it. Every kind listens on 127.0.0.1 with `@hono/node-server`.
 *
 * - `bare`: the cheapest useful Hono webhook route: read the body, answer 200 JSON (baseline 1); also
 *   `GET /runs` answering an empty page (the history bench's baseline).
 * - `grammy`: a grammY bot behind `webhookCallback(bot, "hono", { secretToken })`, handler does nothing (baseline 2).
 * - `sqlite`: the bare route plus one INSERT into node:sqlite in WAL + synchronous=FULL (the durability floor).
 * - `hookline`: `createNodeHookline` with its own data dir, the given config env or overlay, and the test secrets.
 * - `probe`: platform baselines for the engine and /stop measures (bench/node/probe.ts).
 * Every kind also answers `GET /__bench/loop` (event-loop delay since the last call).
 */
import { mkdirSync } from "node:fs";
import type { AddressInfo } from "node:net";
import { join, resolve } from "node:path";
import { monitorEventLoopDelay } from "node:perf_hooks";
import { DatabaseSync } from "node:sqlite";
import { serve } from "@hono/node-server";
import { Bot, webhookCallback } from "grammy";
import { Hono } from "hono";
import type { ChildSpec } from "./child.ts";

const ROOT = resolve(import.meta.dirname, "..", "..");
const spec = JSON.parse(process.env.BENCH_NODE_CHILD ?? "{}") as ChildSpec;
/** The same path as the workerd baselines, so bench/lib/targets.ts's requests fit every server. */
const ROUTE = "/webhooks/telegram/:bot";

type Fetch = (request: Request) => Response | Promise<Response>;
const closers: (() => Promise<void> | void)[] = [];

function bare(): Fetch {
  return (
    new Hono()
      .post(ROUTE, async (c) => {
        await c.req.arrayBuffer();
        return c.json({ status: "ok" });
      })
      // bench/history.ts's baseline for GET /runs: the route alone, an empty page, no database.
      .get("/runs", (c) => c.json({ runs: [], nextCursor: null, from: "bare" })).fetch
  );
}

/** Must match TELEGRAM_DEMO_SECRET_TOKEN in test/fixtures/secrets.ts, which the bench signs with. */
const SECRET_TOKEN = "tg-secret-token-QW9pZ2h0";

function grammy(): Fetch {
  const bot = new Bot("123456:bench-token-never-used", {
    botInfo: {
      id: 123456,
      is_bot: true,
      first_name: "Bench",
      username: "bench_bot",
      can_join_groups: true,
      can_read_all_group_messages: false,
      supports_inline_queries: false,
      can_connect_to_business: false,
      has_main_web_app: false,
      has_topics_enabled: false,
      allows_users_to_create_topics: false,
      can_manage_bots: false,
      supports_join_request_queries: false,
    },
  });
  bot.on("message", () => {});
  const handle = webhookCallback(bot, "hono", { secretToken: SECRET_TOKEN });
  return new Hono().post(ROUTE, (c) => handle(c)).fetch;
}

/** One durable commit per request, as the Node adapter opens its files (src/node/sqlite-storage.ts). */
function sqlite(dataDir: string): Fetch {
  mkdirSync(dataDir, { recursive: true });
  const db = new DatabaseSync(join(dataDir, "floor.sqlite"));
  db.exec("PRAGMA journal_mode = WAL; PRAGMA synchronous = FULL;");
  db.exec(
    "CREATE TABLE deliveries (seq INTEGER PRIMARY KEY, body BLOB NOT NULL, received_at INTEGER NOT NULL)",
  );
  const insert = db.prepare("INSERT INTO deliveries (body, received_at) VALUES (?, ?)");
  closers.push(() => db.close());
  return new Hono().post(ROUTE, async (c) => {
    insert.run(new Uint8Array(await c.req.arrayBuffer()), Date.now());
    return c.json({ status: "ok" });
  }).fetch;
}

async function hookline(s: ChildSpec): Promise<Fetch> {
  // Objects import their drizzle-kit migrations (.sql as text); teach Node that first, as `npm run start:node` does.
  const { registerMigrationLoaders } = await import("../../src/node/module-hooks.ts");
  registerMigrationLoaders();
  const { loadConfig } = await import("../../src/config/load.ts");
  const { BASE_FILE, readLayer } = await import("../../src/cli/config-files.ts");
  const { loadFromDisk } = await import("../../src/cli/load.ts");
  const { createNodeHookline } = await import("../../src/node/hookline.ts");
  const { TEST_BINDINGS } = await import("../../test/fixtures/secrets.ts");
  if (s.stepsConcurrency) {
    const { HOOKLINE_QUEUES } = await import("../../src/node/queue.ts");
    const steps = HOOKLINE_QUEUES.find((q) => q.name === "hookline-steps");
    if (!steps) throw new Error("no hookline-steps queue in HOOKLINE_QUEUES");
    steps.maxConcurrentBatches = s.stepsConcurrency;
  }
  let config = loadFromDisk(ROOT, s.envName);
  if (s.overlay) {
    const base = readLayer(ROOT, BASE_FILE);
    if (!base.ok) throw new Error("hookline.yaml does not parse");
    const loaded = loadConfig([base.layer, { file: `config/${s.envName}.yaml`, data: s.overlay }]);
    if (!loaded.ok) throw new Error(`bench overlay: ${JSON.stringify(loaded.issues)}`);
    config = loaded.config;
  }
  const hl = createNodeHookline({
    config,
    secrets: { ...TEST_BINDINGS, ...s.secrets, HOOKLINE_ENV: s.envName ?? "bench" },
    dataDir: s.dataDir as string,
  });
  hl.start();
  closers.push(() => hl.close());
  return hl.fetch;
}

async function main(): Promise<void> {
  const dataDir = spec.dataDir ?? join(ROOT, ".hookline-bench");
  const fetch =
    spec.kind === "bare"
      ? bare()
      : spec.kind === "grammy"
        ? grammy()
        : spec.kind === "sqlite"
          ? sqlite(dataDir)
          : spec.kind === "hookline"
            ? await hookline({ ...spec, dataDir })
            : await (await import("./probe.ts")).probe(dataDir, closers, spec.secrets?.OPENAI_BASE_URL);
  // `GET /__bench/loop`: this process's event-loop delay since the previous call (then reset), in ms: how long
  // a ready callback waited, i.e. the longest stretch of work that held the loop.
  const loop = monitorEventLoopDelay({ resolution: 10 });
  loop.enable();
  const withLoop: Fetch = (request) => {
    if (!request.url.endsWith("/__bench/loop")) return fetch(request);
    const ms = (ns: number) => Math.round(ns / 1e4) / 100;
    const body = { p50: ms(loop.percentile(50)), p99: ms(loop.percentile(99)), max: ms(loop.max) };
    loop.reset();
    return Response.json(body);
  };
  const server = serve({ fetch: withLoop, port: 0, hostname: "127.0.0.1" });
  await new Promise<void>((ok, fail) => {
    server.once("listening", ok);
    server.once("error", fail);
  });
  process.stdout.write(`READY ${(server.address() as AddressInfo).port}\n`);
  process.once("SIGTERM", async () => {
    server.close();
    if ("closeAllConnections" in server) server.closeAllConnections();
    for (const close of closers) await close();
    process.exit(0);
  });
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
