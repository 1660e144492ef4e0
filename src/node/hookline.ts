import { mkdirSync } from "node:fs";
import { join } from "node:path";
import { createApp } from "../app.ts";
import type { HooklineConfig } from "../config/schema.ts";
import type { Secrets } from "../core/secrets.ts";
import type { HistoryStore } from "../history/store.ts";
import { Ops } from "../host/ops.ts";
import type { Resources } from "../host/resources.ts";
import { Run } from "../host/run.ts";
import { Session } from "../host/session.ts";
import { consumerFor, QUEUES } from "../queue/consumers.ts";
import { nodeHistory } from "./history.ts";
import { nodeCutFetch } from "./net/cut-fetch.ts";
import { createPinnedFetch } from "./net/pinned-fetch.ts";
import { NodeNamespace } from "./object-host.ts";
import { createQueues, HOOKLINE_QUEUES } from "./queue.ts";

export interface NodeHooklineOptions {
  config: HooklineConfig;
  secrets: Secrets;
  /** Where objects and queues keep their SQLite files (default `.hookline/`). */
  dataDir: string;
  /** Close an idle object after this long (default 30 s). */
  idleMs?: number;
  /** A delivered queue message is redelivered this long after its handler stopped renewing (a crash). */
  leaseMs?: number;
  /** History store to use instead of one built from `DATABASE_URL` (tests pass one over PGlite). */
  history?: () => HistoryStore;
}

export interface NodeHookline {
  readonly res: Resources;
  /** The same Hono app as on Workers, over this host's resources. */
  fetch(request: Request): Promise<Response>;
  /** Re-arms persisted alarms and starts the queue consumers. */
  start(): void;
  /** Stops consumers and alarms, waits (bounded) for in-flight work, closes every file. */
  close(): Promise<void>;
}

/**
 * Hookline in one Node process: the same objects (Session, Run, Ops), queue consumers and routes as on
 * Workers, over node:sqlite files under `dataDir` and persisted queues with the same at-least-once
 * semantics. Single-process by design: scale comes from Cloudflare, not from this adapter.
 *
 * @example
 * const hl = createNodeHookline({ config, secrets: process.env, dataDir: ".hookline" });
 * hl.start();
 * serve({ fetch: hl.fetch, port: 8788 });
 */
export function createNodeHookline(options: NodeHooklineOptions): NodeHookline {
  const { config, secrets, dataDir, idleMs } = options;
  mkdirSync(dataDir, { recursive: true });
  const queues = createQueues(join(dataDir, "queues.sqlite"), HOOKLINE_QUEUES, { leaseMs: options.leaseMs });
  const history = options.history
    ? { store: options.history, end: async () => {} }
    : secrets.DATABASE_URL
      ? nodeHistory(secrets.DATABASE_URL)
      : undefined;
  const outboundFetch = createPinnedFetch({ allowHosts: config.http.allowHosts });
  // The namespaces build objects with `res`, and `res` names the namespaces: tie the knot lazily.
  let res: Resources;
  const sessions = new NodeNamespace({
    kind: "session",
    dir: dataDir,
    idleMs,
    create: (s) => new Session(s, res),
  });
  const runs = new NodeNamespace({ kind: "run", dir: dataDir, idleMs, create: (s) => new Run(s, res) });
  const ops = new NodeNamespace({ kind: "ops", dir: dataDir, idleMs, create: (s) => new Ops(s) });
  res = {
    config,
    secrets,
    steps: queues.producer(QUEUES.steps),
    events: queues.producer(QUEUES.events),
    sessions,
    runs,
    ops: () => ops.getByName("global"),
    history: history?.store,
    outboundFetch,
    cutFetch: nodeCutFetch,
    runtime: "node",
  };
  const app = createApp(() => res);
  const env = { HOOKLINE_ENV: secrets.HOOKLINE_ENV };
  return {
    res,
    fetch: (request) => Promise.resolve(app.fetch(request, env)),
    start() {
      for (const ns of [sessions, runs, ops]) ns.start();
      for (const name of Object.values(QUEUES)) {
        const consume = consumerFor(name);
        if (consume) queues.consume(name, (batch) => consume(batch, res));
      }
    },
    async close() {
      await queues.close();
      await Promise.all([sessions.close(), runs.close(), ops.close()]);
      await outboundFetch.close();
      await history?.end();
    },
  };
}
