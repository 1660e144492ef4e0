import type { HooklineConfig } from "../config/schema.ts";
import type { Secrets } from "../core/secrets.ts";
import type { HistoryStore } from "../history/store.ts";
import type { RunApi, SessionApi } from "./api.ts";
import type { Ops } from "./ops.ts";
import type { ObjectLookup, QueuePort } from "./ports.ts";

export type { RunApi, Secrets, SessionApi };

/** The operator index's call surface (Ops imports nothing of ours, so it can be read off the class). */
export type OpsApi = Pick<
  Ops,
  | "indexDeliveries"
  | "listDeliveries"
  | "getDelivery"
  | "applyRunEvents"
  | "listRuns"
  | "parkDeadEvents"
  | "deadEvents"
  | "dropDeadEvents"
  | "countEvents"
  | "metrics"
  | "probe"
  | "publish"
  | "feedSince"
  | "releaseSubscriber"
>;

/**
 * Everything a host hands its objects, queue consumers and routes, resolved once per host: config and
 * secrets (so `env` never travels into channels or models), the two queues, and object lookup.
 * Workers build it from bindings (src/durable/resources.ts); Node from its own implementations (src/node/).
 */
export interface Resources {
  readonly config: HooklineConfig;
  readonly secrets: Secrets;
  readonly steps: QueuePort;
  readonly events: QueuePort;
  readonly sessions: ObjectLookup<SessionApi>;
  readonly runs: ObjectLookup<RunApi>;
  /** The single operator index (delivery and run index). */
  readonly ops: () => OpsApi;
  /**
   * Run history in Postgres, when `DATABASE_URL` is set: a store for one unit of work (call `close` when
   * done). Undefined means history stays in the Durable Object index.
   */
  readonly history?: () => HistoryStore;
  /** The fetch http steps and callbacks use. Node pins each connection to a checked address. */
  readonly outboundFetch: typeof fetch;
  /** A model fetch that a /stop's cut closes at the socket (Node); absent: fetch's own abort does it. */
  readonly cutFetch?: (cut: AbortSignal) => typeof fetch;
  /** Which runtime this is, for messages and the health check. */
  readonly runtime: "workerd" | "node";
}
