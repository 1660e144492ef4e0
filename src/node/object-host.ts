import { createHash } from "node:crypto";
import { join } from "node:path";
import type { ObjectLookup, ObjectState } from "../host/ports.ts";
import { AlarmRegistry, AlarmScheduler } from "./object-alarms.ts";
import { copyError, ObjectSlot } from "./object-slot.ts";
import { rpcCopy } from "./rpc-copy.ts";
import { openObjectStorage } from "./sqlite-storage.ts";

/** How `NodeNamespace` finds, builds and retires the objects of one kind. */
export interface NamespaceOptions<T extends object> {
  /** Object kind, e.g. "run": files live in `dir/<kind>/`, alarms are indexed under it. */
  kind: string;
  dir: string;
  /** Builds the instance, as workerd calls the class constructor with `ctx`. */
  create: (state: ObjectState, name: string) => T;
  /** Close an object after this long without calls or background work (default 30 s). */
  idleMs?: number;
  /** Above this many open objects, the least recently used idle one is closed (default 256). */
  maxOpen?: number;
  /** First retry delay of a throwing `alarm()`, doubled per retry (default 1 s, as in workerd). */
  alarmRetryBaseMs?: number;
  /** `close()` waits this long for in-flight calls and waitUntil work (default 5 s). */
  closeTimeoutMs?: number;
}

/** Method names a stub never forwards (workerd RPC does not expose Object.prototype either). */
const NOT_RPC = new Set(Object.getOwnPropertyNames(Object.prototype));

/**
 * One namespace of in-process objects, shaped like a Durable Object namespace: `getByName(name)` returns a
 * stub whose method calls run on the one instance for that name, backed by `dir/<kind>/<sha256(name)>.sqlite`.
 *
 * Concurrency matches workerd's for SQLite-backed objects: calls are not serialized; they interleave at
 * `await` points (an outstanding `watchCancel` must not block `cancel`, or the two would deadlock). Every SQL
 * call is synchronous, so each stretch of code between two awaits is atomic, which is what workerd's input
 * gate guarantees. The one gate we do enforce is `blockConcurrencyWhile`: no call starts while one runs.
 *
 * Like RPC, arguments and results are copied (`rpcCopy`: structuredClone's result, faster for plain data),
 * and errors too (`copyError`). Idle objects are closed
 * (instance dropped, file closed) and re-opened on the next call or alarm, like an eviction.
 *
 * @example
 * const runs = new NodeNamespace({ kind: "run", dir: "/var/lib/hookline", create: (state) => new RunObject(state, env) });
 * runs.start(); // re-arm persisted alarms
 * await runs.getByName(runId).start(args);
 */
export class NodeNamespace<T extends object> implements ObjectLookup<T> {
  private readonly slots = new Map<string, ObjectSlot<T>>();
  private readonly registry: AlarmRegistry;
  private readonly alarms: AlarmScheduler;
  private readonly idleMs: number;
  private readonly maxOpen: number;
  private sweeper: NodeJS.Timeout | undefined;
  private closed = false;
  private readonly options: NamespaceOptions<T>;

  constructor(options: NamespaceOptions<T>) {
    this.options = options;
    this.idleMs = options.idleMs ?? 30_000;
    this.maxOpen = options.maxOpen ?? 256;
    this.registry = new AlarmRegistry(join(options.dir, "alarms.sqlite"));
    this.alarms = new AlarmScheduler(
      options.kind,
      this.registry,
      (name, fn) => this.withObject(name, (slot) => fn(slot.storage, slot.instance as object)),
      options.alarmRetryBaseMs ?? 1_000,
    );
  }

  /** Re-arms every alarm persisted for this kind; overdue ones fire at once. */
  start(): void {
    this.alarms.start();
  }

  getByName(name: string): T {
    return new Proxy(Object.create(null) as object, {
      get: (_target, prop) => {
        // Not a thenable (awaiting a stub must not call it) and no symbol-keyed methods.
        if (typeof prop !== "string" || prop === "then") return undefined;
        return (...args: unknown[]) => this.call(name, prop, args);
      },
    }) as T;
  }

  /** How many objects are open now (for tests and metrics). */
  get openCount(): number {
    return this.slots.size;
  }

  private async call(name: string, method: string, args: unknown[]): Promise<unknown> {
    // Copied before the first await, so the caller changing its arguments afterwards changes nothing here.
    const input = rpcCopy(args);
    try {
      return await this.withObject(name, async (slot) => {
        const instance = slot.instance as Record<string, unknown>;
        const fn = NOT_RPC.has(method) ? undefined : instance[method];
        if (typeof fn !== "function") {
          throw new TypeError(`${this.options.kind} object has no method "${method}" (called on "${name}")`);
        }
        return rpcCopy(await fn.apply(instance, input));
      });
    } catch (err) {
      throw copyError(err);
    }
  }

  /** Runs `fn` on the open object once its init gate has passed; the object stays open meanwhile. */
  private async withObject<R>(name: string, fn: (slot: ObjectSlot<T>) => Promise<R>): Promise<R> {
    if (this.closed) throw new Error(`${this.options.kind} namespace is closed`);
    const slot = this.slots.get(name) ?? this.open(name);
    slot.inflight++;
    slot.lastUsed = Date.now();
    this.evictIfFull();
    try {
      await slot.gate;
      return await fn(slot);
    } finally {
      slot.inflight--;
      slot.lastUsed = Date.now();
      slot.closeIfDone();
    }
  }

  private open(name: string): ObjectSlot<T> {
    const { kind, dir, create } = this.options;
    const file = join(dir, kind, `${createHash("sha256").update(name).digest("hex")}.sqlite`);
    const storage = openObjectStorage(file, {
      beforeAlarmWrite: (at) => this.alarms.willSet(name, at),
      onAlarmChange: (at) => this.alarms.changed(name, at),
    });
    const slot = new ObjectSlot<T>(name, storage, (broken) => this.retire(broken));
    try {
      slot.instance = create(slot.state, name);
    } catch (err) {
      storage.close();
      throw err;
    }
    this.slots.set(name, slot);
    this.alarms.ensureArmed(name, storage.storedAlarm());
    this.sweeper ??= setInterval(() => this.sweep(), Math.max(10, Math.min(this.idleMs / 2, 5_000)));
    this.sweeper.unref();
    return slot;
  }

  private retire(slot: ObjectSlot<T>): void {
    if (this.slots.get(slot.name) === slot) this.slots.delete(slot.name);
    slot.retire();
  }

  private sweep(): void {
    const now = Date.now();
    for (const slot of this.slots.values()) {
      if (!slot.busy && now - slot.lastUsed >= this.idleMs) this.retire(slot);
    }
    if (this.slots.size === 0 && this.sweeper) {
      clearInterval(this.sweeper);
      this.sweeper = undefined;
    }
  }

  /** Bounded open files: close the least recently used idle objects above `maxOpen` (busy ones stay). */
  private evictIfFull(): void {
    while (this.slots.size > this.maxOpen) {
      let lru: ObjectSlot<T> | undefined;
      for (const slot of this.slots.values()) {
        if (!slot.busy && (!lru || slot.lastUsed < lru.lastUsed)) lru = slot;
      }
      if (!lru) return;
      this.retire(lru);
    }
  }

  /** Stops alarms, waits (bounded) for in-flight calls and waitUntil work, then closes every file. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    this.alarms.stop();
    if (this.sweeper) clearInterval(this.sweeper);
    const until = Date.now() + (this.options.closeTimeoutMs ?? 5_000);
    while ([...this.slots.values()].some((s) => s.busy) && Date.now() < until) {
      await new Promise((resolve) => setTimeout(resolve, 10));
    }
    for (const slot of [...this.slots.values()]) {
      this.slots.delete(slot.name);
      slot.forceClose();
    }
    this.registry.close();
  }
}
