/**
 * Cloudflare list prices (US$) that bench/cost.ts multiplies the metered counts by: Workers Paid, Standard usage
 * model. Only the price per unit beyond the included amount is used; free and included allowances (10 M Worker
 * requests, 30 M CPU ms, 1 M DO requests, 400,000 GB-s, 25 B rows read, 50 M rows written, 1 M queue operations per
 * month, and the $5 monthly minimum) are ignored, so "$ per million runs" is the marginal bill of a busy account.
 *
 * Each price names the page it was read from and the date it was taken. They were read from stored copies of
 * these pages (no live internet here); check them before quoting a number.
 */

export interface Price {
  /** What is billed: `usd` per `per` `units`. */
  item: string;
  usd: number;
  per: number;
  units: string;
  source: string;
  taken: string;
  note?: string;
}

const TAKEN = "2026-11-30";
const WORKERS = "https://developers.cloudflare.com/workers/platform/pricing/";
const DURABLE_OBJECTS = "https://developers.cloudflare.com/durable-objects/platform/pricing/";
const QUEUES = "https://developers.cloudflare.com/queues/platform/pricing/";

export const PRICES = {
  workerRequests: {
    item: "Worker requests",
    usd: 0.3,
    per: 1e6,
    units: "requests",
    source: WORKERS,
    taken: TAKEN,
    note: "Standard: 10 million included per month, +$0.30 per additional million. Footnote: inbound requests to your Worker; subrequests are not billed. The page does not say whether a queue consumer invocation is a request: this bench prices each as one (its own line, so it can be dropped).",
  },
  workerCpuMs: {
    item: "Worker CPU time",
    usd: 0.02,
    per: 1e6,
    units: "CPU ms",
    source: WORKERS,
    taken: TAKEN,
    note: "Standard: 30 million CPU ms included per month, +$0.02 per additional million CPU ms.",
  },
  doRequests: {
    item: "Durable Object requests",
    usd: 0.15,
    per: 1e6,
    units: "requests",
    source: DURABLE_OBJECTS,
    taken: TAKEN,
    note: "1 million included, +$0.15/million. Includes HTTP requests, RPC sessions (every RPC method call on a stub is its own session and one billed request), WebSocket messages and alarm invocations.",
  },
  doDurationGbS: {
    item: "Durable Object duration",
    usd: 12.5,
    per: 1e6,
    units: "GB-s",
    source: DURABLE_OBJECTS,
    taken: TAKEN,
    note: "400,000 GB-s included, +$12.50/million GB-s. Wall-clock time while the object is active, shared by the requests active on it at once, at 128 MB per object regardless of use.",
  },
  doRowsRead: {
    item: "SQLite rows read",
    usd: 0.001,
    per: 1e6,
    units: "rows",
    source: DURABLE_OBJECTS,
    taken: TAKEN,
    note: "SQLite storage backend: first 25 billion per month included, +$0.001/million rows. Key-value methods (get, list) are billed as rows read.",
  },
  doRowsWritten: {
    item: "SQLite rows written",
    usd: 1.0,
    per: 1e6,
    units: "rows",
    source: DURABLE_OBJECTS,
    taken: TAKEN,
    note: "SQLite storage backend: first 50 million per month included, +$1.00/million rows. Key-value methods (put, delete) are billed as rows written; each setAlarm is billed as one row written.",
  },
  queueOperations: {
    item: "Queue operations",
    usd: 0.4,
    per: 1e6,
    units: "operations",
    source: QUEUES,
    taken: TAKEN,
    note: "1,000,000 operations per month included, +$0.40/million. One operation per 64 KB (1 KB = 1,000 bytes, ~100 bytes of metadata per message) written, read or deleted: 3 per delivered message (write, read, delete); each retry adds a read.",
  },
} as const satisfies Record<string, Price>;

/** Duration is billed at 128 MB per active object: 1 s active = 0.128 GB-s (the pricing page's own example). */
export const GB_PER_OBJECT = 0.128;

/** US$ for `count` units of `price`. */
export const usd = (price: Price, count: number): number => (count * price.usd) / price.per;

/** Not metered: SQL stored data (5 GB-month included, +$0.20/GB-month) is a function of retention, not of runs. */
export const NOT_COUNTED =
  "SQL stored data (+$0.20/GB-month beyond 5 GB-month) depends on retention, not on runs, and is not counted.";
