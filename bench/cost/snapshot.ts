/**
 * What `GET /__meter` answers (bench/cost/meter.ts, inside workerd) and bench/cost.ts reads (in Node).
 * Counters since the last `POST /__meter/reset`. Keys name where a thing happened:
 * - `Class.method` for a Durable Object's RPC method or `alarm` (`(init)` = its constructor's
 *   blockConcurrencyWhile, i.e. migrations; `(background)` = work with no call of its own);
 * - `Worker.fetch <METHOD> <route>` and `Worker.queue <queue>` for the Worker's own handlers.
 */
export interface MeterSnapshot {
  /** Date.now() in workerd at the reset and at this snapshot. */
  since: number;
  now: number;
  /** Calls, alarms, waitUntil promises, constructors and Worker handlers still running. */
  inflight: number;
  /** Worker fetch invocations by route (bench-only `/__meter` routes are not counted). */
  fetch: Record<string, number>;
  /** Worker queue invocations (one per delivered batch), by queue name. */
  queues: Record<string, { invocations: number; messages: number; redeliveries: number }>;
  /** Durable Object requests (every RPC call and every alarm invocation), by `Class.method`. */
  requests: Record<string, number>;
  /** Durable Object calls that threw (still billed), by `Class.method`. */
  failures: Record<string, number>;
  /** Durable Object instances constructed (a new object, or one re-created after eviction), by class. */
  objects: Record<string, number>;
  /** SQLite rows read / written (sum of the cursors' `rowsRead` / `rowsWritten`) and statements, by `Class.method`. */
  rowsRead: Record<string, number>;
  rowsWritten: Record<string, number>;
  statements: Record<string, number>;
  /** The same per statement text (whitespace collapsed, first 300 characters), by `Class.method|SQL`. */
  sql: Record<string, { n: number; read: number; written: number }>;
  /** Storage API calls other than `sql.exec` (setAlarm, deleteAlarm, getAlarm, get, put, …), by `Class.method|op`. */
  storage: Record<string, number>;
  /** Wall-clock ms during which each class had at least one call, alarm or waitUntil promise running, summed over objects. */
  activeMs: Record<string, number>;
  /** Queue producer sends, by `BINDING|Class.method` (the sender). */
  sent: Record<string, { calls: number; messages: number; bytes: number; chunks: number }>;
  /** Durable Object calls as the caller made them, by `Caller.method|BINDING.method`. */
  calls: Record<string, number>;
  /** Objects with an alarm set: due within 10 s (work still to come), and later (e.g. retention purges). */
  alarms: { soon: Record<string, number>; later: Record<string, number> };
}
