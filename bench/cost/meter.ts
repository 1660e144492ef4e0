/**
 * The cost meter, inside workerd (bench-only; imported by bench/cost/worker.ts, never by src/). It counts what
 * Cloudflare bills at the boundaries the real code already has, so it does not depend on Hookline's internals:
 *
 * - a Durable Object class: `metered(RealClass, "Name")` returns a subclass whose every prototype method (each RPC
 *   method and `alarm`) counts one request per call, by method, and whose `ctx` is the real one with three
 *   properties shadowed before the real constructor runs: `storage` (a proxy whose `sql.exec` keeps each cursor so
 *   its `rowsRead` / `rowsWritten` are summed once the call is done, and whose alarm and key-value methods are
 *   counted), `waitUntil` and `blockConcurrencyWhile` (both tracked for the object's active time);
 * - the bindings: `meteredEnv(env)` wraps every queue producer (messages sent, by sender) and every Durable Object
 *   namespace (calls as the caller made them), once per `env` object;
 * - the Worker's handlers: `meterHandler` counts a fetch or a queue invocation and runs it in its own context.
 *
 * Where a thing happened comes from an AsyncLocalStorage context set by each wrapper (`Class.method`), so work a
 * call leaves running in the background (waitUntil) is still charged to the call that started it. Module-level
 * state is shared by every object of the worker: locally they all live in one isolate.
 */

import { DurableObject } from "cloudflare:workers";
import { AsyncLocalStorage } from "node:async_hooks";
import type { MeterSnapshot } from "./snapshot.ts";

interface Where {
  cls: string;
  method: string;
}
const als = new AsyncLocalStorage<Where>();
const here = (): string => {
  const w = als.getStore();
  return w ? `${w.cls}.${w.method}` : "(outside)";
};

class Counter {
  private readonly map = new Map<string, number>();
  add(key: string, n = 1): void {
    this.map.set(key, (this.map.get(key) ?? 0) + n);
  }
  toJSON(): Record<string, number> {
    return Object.fromEntries(this.map);
  }
}

interface Sent {
  calls: number;
  messages: number;
  bytes: number;
  chunks: number;
}

function fresh() {
  return {
    since: Date.now(),
    fetch: new Counter(),
    queues: new Map<string, { invocations: number; messages: number; redeliveries: number }>(),
    requests: new Counter(),
    failures: new Counter(),
    objects: new Counter(),
    rowsRead: new Counter(),
    rowsWritten: new Counter(),
    statements: new Counter(),
    sql: new Map<string, { n: number; read: number; written: number }>(),
    storage: new Counter(),
    activeMs: new Counter(),
    sent: new Map<string, Sent>(),
    calls: new Counter(),
  };
}
let m = fresh();

/** Calls, alarms, waitUntil promises and handlers running now (not reset). */
let inflight = 0;

// ------------------------------------------------------------------------------------------ active time

/** Per object (`Class:id`): how many things keep it active, since when. Survives resets. */
const active = new Map<string, { n: number; since: number; cls: string }>();

function enter(key: string | null, cls: string): void {
  inflight++;
  if (key === null) return;
  const a = active.get(key) ?? { n: 0, since: 0, cls };
  if (a.n++ === 0) a.since = Date.now();
  active.set(key, a);
}

function leave(key: string | null): void {
  inflight--;
  if (key === null) return;
  const a = active.get(key);
  if (!a) return;
  if (--a.n === 0) {
    m.activeMs.add(a.cls, Date.now() - a.since);
    active.delete(key);
  }
}

/** Runs `fn` (sync or async) with object `key` active (null: a Worker handler), then harvests its cursors. */
function tracked<T>(key: string | null, cls: string, fn: () => T): T | Promise<Awaited<T>> {
  enter(key, cls);
  let result: T;
  try {
    result = fn();
  } catch (err) {
    leave(key);
    harvest();
    throw err;
  }
  return Promise.resolve(result).finally(() => {
    leave(key);
    harvest();
  }) as Promise<Awaited<T>>;
}

// -------------------------------------------------------------------------------------------- alarms

/** Pending alarm time per object (`Class:id`), as set through the metered storage. Survives resets. */
const alarms = new Map<string, { cls: string; at: number }>();

// ------------------------------------------------------------------------------------------- SQLite

interface Pending {
  cursor: { readonly rowsRead: number; readonly rowsWritten: number };
  where: string;
  query: string;
}
/** Cursors not yet summed: a cursor's counts grow while it is read, so they are taken when its call is done. */
let pending: Pending[] = [];

function harvest(): void {
  if (pending.length === 0) return;
  const done = pending;
  pending = [];
  for (const p of done) {
    const read = p.cursor.rowsRead;
    const written = p.cursor.rowsWritten;
    m.rowsRead.add(p.where, read);
    m.rowsWritten.add(p.where, written);
    const k = `${p.where}|${p.query}`;
    const q = m.sql.get(k) ?? { n: 0, read: 0, written: 0 };
    q.n++;
    q.read += read;
    q.written += written;
    m.sql.set(k, q);
  }
}

/** Where inside object class `cls`: its current call, or `(background)` outside any call of this class. */
function inside(cls: string): string {
  const w = als.getStore();
  return w && w.cls === cls ? `${cls}.${w.method}` : `${cls}.(background)`;
}

/** Binds functions to the real target, so workerd's own objects keep their receiver. */
function forward<T extends object>(target: T, override: (key: string | symbol) => unknown): T {
  return new Proxy(target, {
    get(t, key) {
      const o = override(key);
      if (o !== undefined) return o;
      const v = Reflect.get(t, key, t);
      return typeof v === "function" ? v.bind(t) : v;
    },
  });
}

type AnyFn = (...args: unknown[]) => unknown;

/** Key-value and alarm methods of `ctx.storage` that are counted (rows: see bench/cost.ts). */
const STORAGE_OPS = new Set([
  "get",
  "put",
  "delete",
  "list",
  "deleteAll",
  "getAlarm",
  "setAlarm",
  "deleteAlarm",
]);

function meterStorage(storage: DurableObjectStorage, cls: string, key: string): DurableObjectStorage {
  const sql = forward(storage.sql, (k) =>
    k === "exec"
      ? (query: string, ...bindings: unknown[]) => {
          const cursor = storage.sql.exec(query, ...bindings);
          const where = inside(cls);
          m.statements.add(where);
          pending.push({ cursor, where, query: query.replace(/\s+/g, " ").trim().slice(0, 300) });
          return cursor;
        }
      : undefined,
  );
  return forward(storage, (k) => {
    if (k === "sql") return sql;
    if (typeof k !== "string" || !STORAGE_OPS.has(k)) return undefined;
    const real = (storage as unknown as Record<string, AnyFn>)[k] as AnyFn;
    return (...args: unknown[]) => {
      m.storage.add(`${inside(cls)}|${k}`);
      if (k === "setAlarm") {
        const at = args[0] instanceof Date ? args[0].getTime() : Number(args[0]);
        alarms.set(key, { cls, at });
      } else if (k === "deleteAlarm" || k === "deleteAll") alarms.delete(key);
      return real.apply(storage, args);
    };
  });
}

/**
 * Shadows `ctx.storage`, `ctx.waitUntil` and `ctx.blockConcurrencyWhile` on the real `ctx` (own properties;
 * workerd's own use of the object is unaffected), before the real constructor sees it.
 */
function meterCtx(ctx: DurableObjectState, cls: string): string {
  const key = `${cls}:${ctx.id.toString()}`;
  m.objects.add(cls);
  const storage = meterStorage(ctx.storage, cls, key);
  const waitUntil = ctx.waitUntil.bind(ctx);
  const block = ctx.blockConcurrencyWhile.bind(ctx);
  const own = (name: string, value: unknown) =>
    Object.defineProperty(ctx, name, { value, configurable: true, enumerable: true, writable: true });
  own("storage", storage);
  own("waitUntil", (p: Promise<unknown>) => waitUntil(tracked(key, cls, () => p) as Promise<unknown>));
  own("blockConcurrencyWhile", <T>(fn: () => Promise<T>) =>
    tracked(key, cls, () => block(() => als.run({ cls, method: "(init)" }, fn))),
  );
  return key;
}

// -------------------------------------------------------------------------------------------- classes

/** Object key (`Class:id`) of each metered instance. */
const keys = new WeakMap<object, string>();

/** A class; a mixin's base constructor must take `any[]` (TS2545). */
type Ctor = abstract new (...args: any[]) => object;

/** Own methods of `proto` and of its ancestors below DurableObject: the RPC surface, plus `alarm`. */
function methodsOf(proto: object): string[] {
  const names = new Set<string>();
  for (let p: object | null = proto; p && p !== DurableObject.prototype && p !== Object.prototype; ) {
    for (const name of Object.getOwnPropertyNames(p)) {
      const d = Object.getOwnPropertyDescriptor(p, name);
      if (name !== "constructor" && typeof d?.value === "function") names.add(name);
    }
    p = Object.getPrototypeOf(p) as object | null;
  }
  return [...names];
}

/**
 * A subclass of a real Durable Object class that counts every call of every method it has (one billed request
 * each; `alarm` is an alarm invocation), the rows its SQL reads and writes, its storage calls and its active time.
 */
export function metered<C extends Ctor>(Base: C, cls: string): C {
  const Base_ = Base as unknown as new (...args: any[]) => object;
  class Metered extends Base_ {
    constructor(...args: any[]) {
      const [ctx, env] = args as [DurableObjectState, object];
      const key = meterCtx(ctx, cls);
      super(ctx, meteredEnv(env), ...args.slice(2));
      keys.set(this, key);
    }
  }
  for (const name of methodsOf(Base.prototype)) {
    const real = (Base.prototype as Record<string, AnyFn>)[name] as AnyFn;
    Object.defineProperty(Metered.prototype, name, {
      configurable: true,
      writable: true,
      value: function (this: object, ...a: unknown[]) {
        const key = keys.get(this) ?? `${cls}:?`;
        m.requests.add(`${cls}.${name}`);
        if (name === "alarm") alarms.delete(key); // it fired; the handler may set the next one
        const result = tracked(key, cls, () => als.run({ cls, method: name }, () => real.apply(this, a)));
        return Promise.resolve(result).catch((err: unknown) => {
          m.failures.add(`${cls}.${name}`);
          // workerd retries a failed alarm soon: keep it pending so the bench waits for it.
          if (name === "alarm" && !alarms.has(key)) alarms.set(key, { cls, at: Date.now() + 2_000 });
          throw err;
        });
      },
    });
  }
  Object.defineProperty(Metered, "name", { value: `Metered${cls}` });
  return Metered as unknown as C;
}

// ------------------------------------------------------------------------------------------- bindings

const KB = 1000; // Queues: "A KB is defined as 1,000 bytes"
const QUEUE_CHUNK = 64 * KB;
const QUEUE_METADATA = 100; // "each message includes approximately 100 bytes of internal metadata"

function recordSend(binding: string, bodies: unknown[]): void {
  const k = `${binding}|${here()}`;
  const s = m.sent.get(k) ?? { calls: 0, messages: 0, bytes: 0, chunks: 0 };
  s.calls++;
  for (const body of bodies) {
    const bytes = new TextEncoder().encode(JSON.stringify(body) ?? "").length;
    s.messages++;
    s.bytes += bytes;
    s.chunks += Math.max(1, Math.ceil((bytes + QUEUE_METADATA) / QUEUE_CHUNK));
  }
  m.sent.set(k, s);
}

type Producer = {
  send(body: unknown, opts?: unknown): Promise<unknown>;
  sendBatch(msgs: Iterable<{ body: unknown }>, opts?: unknown): Promise<unknown>;
};

function meterQueue(binding: string, q: Producer): Producer {
  return forward(q, (k) => {
    if (k === "send")
      return (body: unknown, opts?: unknown) => {
        recordSend(binding, [body]);
        return q.send(body, opts);
      };
    if (k === "sendBatch")
      return (msgs: Iterable<{ body: unknown }>, opts?: unknown) => {
        const list = [...msgs];
        recordSend(
          binding,
          list.map((x) => x.body),
        );
        return q.sendBatch(list, opts);
      };
    return undefined;
  });
}

/** A stub whose method calls are counted at the caller (the callee counts the billed request). */
function meterStub<S extends object>(binding: string, stub: S): S {
  return new Proxy(stub, {
    get(t, k) {
      const v = Reflect.get(t, k, t);
      if (typeof k === "symbol" || k === "then" || typeof v !== "function") return v;
      return (...args: unknown[]) => {
        m.calls.add(`${here()}|${binding}.${k}`);
        return Reflect.apply(v, t, args);
      };
    },
  });
}

type Namespace = {
  getByName(name: string, ...rest: unknown[]): object;
  get(id: DurableObjectId, ...rest: unknown[]): object;
};

function meterNamespace(binding: string, ns: Namespace): Namespace {
  return forward(ns, (k) => {
    if (k === "getByName")
      return (name: string, ...rest: unknown[]) => meterStub(binding, ns.getByName(name, ...rest));
    if (k === "get")
      return (id: DurableObjectId, ...rest: unknown[]) => meterStub(binding, ns.get(id, ...rest));
    return undefined;
  });
}

const isFn = (v: unknown, k: string) =>
  typeof v === "object" && v !== null && typeof (v as Record<string, unknown>)[k] === "function";

const envs = new WeakMap<object, object>();

/**
 * The same bindings with every queue producer and Durable Object namespace metered. One copy per `env` object,
 * so the real code's per-env caches (src/durable/resources.ts) still hit once per isolate.
 */
export function meteredEnv<E extends object>(env: E): E {
  const hit = envs.get(env);
  if (hit) return hit as E;
  const out: Record<string, unknown> = {};
  for (const [name, v] of Object.entries(env)) {
    if (isFn(v, "send") && isFn(v, "sendBatch")) out[name] = meterQueue(name, v as Producer);
    else if (isFn(v, "getByName") && isFn(v, "idFromName")) out[name] = meterNamespace(name, v as Namespace);
    else out[name] = v;
  }
  envs.set(env, out);
  return out as E;
}

// ------------------------------------------------------------------------------------------- handlers

/** `/runs/0123abcd…` → `/runs/:id`, so routes group. */
export function routeOf(req: Request): string {
  const path = new URL(req.url).pathname
    .split("/")
    .map((s) => (/^[0-9a-f-]{16,}$/i.test(s) || /^\d+$/.test(s) ? ":id" : s))
    .join("/");
  return `${req.method} ${path}`;
}

/** Counts one Worker fetch invocation and runs it in its own context. */
export function meterFetch(route: string, fn: () => Promise<Response>): Promise<Response> {
  m.fetch.add(route);
  return tracked(null, "Worker", () =>
    als.run({ cls: "Worker", method: `fetch ${route}` }, fn),
  ) as Promise<Response>;
}

/** Counts one Worker queue invocation (one delivered batch) and its messages. */
export function meterQueueBatch(batch: MessageBatch<unknown>, fn: () => Promise<void>): Promise<void> {
  const q = m.queues.get(batch.queue) ?? { invocations: 0, messages: 0, redeliveries: 0 };
  q.invocations++;
  q.messages += batch.messages.length;
  q.redeliveries += batch.messages.filter((x) => x.attempts > 1).length;
  m.queues.set(batch.queue, q);
  return tracked(null, "Worker", () =>
    als.run({ cls: "Worker", method: `queue ${batch.queue}` }, fn),
  ) as Promise<void>;
}

// --------------------------------------------------------------------------------------------- routes

export function reset(): void {
  harvest();
  m = fresh();
  const now = Date.now();
  for (const a of active.values()) a.since = now;
}

export function snapshot(): MeterSnapshot {
  harvest();
  const now = Date.now();
  // Time still running counts up to now (without closing the interval).
  const activeMs = new Counter();
  for (const [k, v] of Object.entries(m.activeMs.toJSON())) activeMs.add(k, v);
  for (const a of active.values()) activeMs.add(a.cls, now - a.since);
  const soon = new Counter();
  const later = new Counter();
  for (const a of alarms.values()) (a.at <= now + 10_000 ? soon : later).add(a.cls);
  return {
    since: m.since,
    now,
    inflight,
    fetch: m.fetch.toJSON(),
    queues: Object.fromEntries(m.queues),
    requests: m.requests.toJSON(),
    failures: m.failures.toJSON(),
    objects: m.objects.toJSON(),
    rowsRead: m.rowsRead.toJSON(),
    rowsWritten: m.rowsWritten.toJSON(),
    statements: m.statements.toJSON(),
    sql: Object.fromEntries(m.sql),
    storage: m.storage.toJSON(),
    activeMs: activeMs.toJSON(),
    sent: Object.fromEntries(m.sent),
    calls: m.calls.toJSON(),
    alarms: { soon: soon.toJSON(), later: later.toJSON() },
  };
}
