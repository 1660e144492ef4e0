import type { DatabaseSync, StatementSync } from "node:sqlite";
import type { ObjectStorage } from "./sqlite-storage.ts";
import { openSqlite } from "./sqlite-storage.ts";

/** workerd retries a throwing `alarm()` up to six times with exponential backoff, then drops it. */
export const MAX_ALARM_RETRIES = 6;
/** setTimeout's largest delay (about 24.8 days); a later alarm is re-armed when that timer fires. */
const MAX_TIMER_MS = 2 ** 31 - 1;

/**
 * Which objects have an alarm, and when: `dir/alarms.sqlite` (kind, name, at). An object's own file is the
 * source of truth; this index exists so a restarted process knows which objects to wake (and their names,
 * which the hashed file names do not reveal). A row is written before the object commits an earlier or
 * first alarm (`AlarmScheduler.willSet`), so it never lags behind the object: at worst it is early or
 * stale, which is harmless, as the fire path reads the object's own alarm first.
 *
 * @example
 * const registry = new AlarmRegistry("/var/lib/hookline/alarms.sqlite");
 * registry.set("run", "run-123", Date.now() + 1_000);
 */
export class AlarmRegistry {
  private readonly db: DatabaseSync;
  private readonly upsert: StatementSync;
  private readonly remove: StatementSync;
  private readonly byKind: StatementSync;

  constructor(path: string) {
    this.db = openSqlite(path);
    this.db.exec(
      "CREATE TABLE IF NOT EXISTS alarms (kind TEXT NOT NULL, name TEXT NOT NULL, at INTEGER NOT NULL, PRIMARY KEY (kind, name))",
    );
    this.upsert = this.db.prepare("INSERT OR REPLACE INTO alarms (kind, name, at) VALUES (?, ?, ?)");
    this.remove = this.db.prepare("DELETE FROM alarms WHERE kind = ? AND name = ?");
    this.byKind = this.db.prepare("SELECT name, at FROM alarms WHERE kind = ? ORDER BY at");
  }

  set(kind: string, name: string, at: number | null): void {
    if (at === null) this.remove.run(kind, name);
    else this.upsert.run(kind, name, at);
  }

  list(kind: string): { name: string; at: number }[] {
    return this.byKind.all(kind) as { name: string; at: number }[];
  }

  close(): void {
    this.db.close();
  }
}

/** Opens an object (waiting for its init gate) for the length of `fn`, so it is not closed meanwhile. */
export type WithObject = <R>(
  name: string,
  fn: (storage: ObjectStorage, instance: object) => Promise<R>,
) => Promise<R>;

/**
 * One namespace's alarm timers. Each object's alarm is a timer here (not in the object), so an idle-closed
 * object is re-opened when its alarm is due, like a Durable Object woken by its alarm. Delivery follows
 * workerd: the alarm row stays until `alarm()` succeeds (a crash mid-delivery redelivers it after a
 * restart); a throw is retried after base·2^n ms (n = 0…5), then dropped with a warning.
 */
export class AlarmScheduler {
  private readonly timers = new Map<string, NodeJS.Timeout>();
  private readonly running = new Set<string>();
  private readonly retries = new Map<string, number>();
  /** What the registry holds for this kind, as far as this process wrote or read it. */
  private readonly indexed = new Map<string, number>();
  private stopped = false;
  /** Alarms whose time has come, started one per event-loop turn (see `startDue`). */
  private readonly due: string[] = [];
  private starting = false;
  private readonly kind: string;
  private readonly registry: AlarmRegistry;
  private readonly withObject: WithObject;
  private readonly retryBaseMs: number;

  constructor(kind: string, registry: AlarmRegistry, withObject: WithObject, retryBaseMs: number) {
    this.kind = kind;
    this.registry = registry;
    this.withObject = withObject;
    this.retryBaseMs = retryBaseMs;
  }

  /** An object's committed alarm changed: index it and (re)arm its timer. */
  changed(name: string, at: number | null): void {
    try {
      this.index(name, at);
    } catch (err) {
      // Only after close() gave up waiting for a call; the object's own file still holds the alarm.
      if (!this.stopped) throw err;
    }
    this.arm(name, at);
  }

  /**
   * Before an object writes alarm `at` (so before it commits): the registry must already hold a time no
   * later than `at`. Otherwise a process killed between the object's commit and `changed` would leave the
   * alarm unknown to the next start, and the object asleep until something happened to open it. A row
   * that ends up earlier than the committed alarm (a rollback, a later time committed, a kill) is harmless:
   * it fires, reads the object's own alarm and re-arms. Adds no write in the usual cases (a first alarm,
   * an earlier one: `changed` then finds the row already right; a later one writes only after the commit).
   */
  willSet(name: string, at: number): void {
    const indexed = this.indexed.get(name);
    if (indexed !== undefined && indexed <= at) return;
    this.registry.set(this.kind, name, at);
    this.indexed.set(name, at);
  }

  /** Writes the registry only when the row changes (each write is an fsync). */
  private index(name: string, at: number | null): void {
    if ((this.indexed.get(name) ?? null) === at) return;
    this.registry.set(this.kind, name, at);
    if (at === null) this.indexed.delete(name);
    else this.indexed.set(name, at);
  }

  /** On open: arms a stored alarm that has no timer (e.g. the registry missed it in a crash). */
  ensureArmed(name: string, at: number | null): void {
    if (at !== null && !this.timers.has(name) && !this.running.has(name)) this.changed(name, at);
  }

  /** Re-arms every persisted alarm of this kind (overdue ones fire at once). */
  start(): void {
    for (const { name, at } of this.registry.list(this.kind)) {
      this.indexed.set(name, at);
      this.arm(name, at);
    }
  }

  stop(): void {
    this.stopped = true;
    for (const timer of this.timers.values()) clearTimeout(timer);
    this.timers.clear();
  }

  private arm(name: string, at: number | null): void {
    const old = this.timers.get(name);
    if (old) clearTimeout(old);
    this.timers.delete(name);
    if (at === null || this.stopped) return;
    const delay = Math.min(Math.max(0, at - Date.now()), MAX_TIMER_MS);
    const timer = setTimeout(() => {
      this.timers.delete(name);
      if (at > Date.now()) this.arm(name, at);
      else this.startDue(name);
    }, delay);
    // The host's server keeps the process alive; a pending alarm alone should not.
    timer.unref();
    this.timers.set(name, timer);
  }

  /**
   * Node runs every expired timer in one phase before it polls for I/O, and an alarm's work is mostly
   * synchronous SQL: many alarms due at once (a second's index flushes of many sessions) would hold every
   * request back for their sum. Each one starts in a turn of its own instead, with I/O polled in between.
   */
  private startDue(name: string): void {
    this.due.push(name);
    if (this.starting) return;
    this.starting = true;
    void (async () => {
      while (this.due.length > 0 && !this.stopped) {
        void this.fire(this.due.shift() as string);
        await new Promise<void>((resolve) => setImmediate(resolve));
      }
      this.due.length = 0;
      this.starting = false;
    })();
  }

  private async fire(name: string): Promise<void> {
    // A delivery in progress re-arms from storage when it ends, which covers this timer too.
    if (this.stopped || this.running.has(name)) return;
    this.running.add(name);
    try {
      await this.withObject(name, async (storage, instance) => {
        try {
          await this.deliver(name, storage, instance);
        } finally {
          if (!this.stopped) this.arm(name, storage.storedAlarm());
        }
      });
    } catch (err) {
      // The object could not be opened (its init threw): retry in memory; the registry row stays.
      const n = this.retries.get(name) ?? 0;
      if (n >= MAX_ALARM_RETRIES || this.stopped) {
        this.retries.delete(name);
        if (!this.stopped)
          console.warn(`${this.kind} "${name}": alarm dropped, object failed to open: ${msg(err)}`);
      } else {
        this.retries.set(name, n + 1);
        this.arm(name, Date.now() + this.retryBaseMs * 2 ** n);
      }
    } finally {
      this.running.delete(name);
    }
  }

  private async deliver(name: string, storage: ObjectStorage, instance: object): Promise<void> {
    const at = storage.storedAlarm();
    if (at === null) {
      this.registry.set(this.kind, name, null); // a stale row: the cache may not know it, so always delete
      this.indexed.delete(name);
      return;
    }
    if (at > Date.now()) return;
    const alarm = (instance as { alarm?: (info: unknown) => Promise<void> }).alarm;
    if (typeof alarm !== "function") {
      console.warn(`${this.kind} "${name}": alarm dropped, the object has no alarm() handler`);
      await storage.deleteAlarm();
      return;
    }
    const retryCount = this.retries.get(name) ?? 0;
    storage.beginAlarm();
    try {
      await alarm.call(instance, { retryCount, isRetry: retryCount > 0 });
      this.retries.delete(name);
      storage.endAlarm(true);
    } catch (err) {
      const changed = storage.endAlarm(false);
      if (retryCount >= MAX_ALARM_RETRIES) {
        this.retries.delete(name);
        console.warn(`${this.kind} "${name}": alarm failed ${retryCount + 1} times, dropped: ${msg(err)}`);
        if (!changed) await storage.deleteAlarm();
        return;
      }
      this.retries.set(name, retryCount + 1);
      const retryAt = Date.now() + this.retryBaseMs * 2 ** retryCount;
      const current = storage.storedAlarm();
      // The failed alarm is retried; an earlier alarm the handler set before throwing still wins.
      if (!changed || current === null || current > retryAt) await storage.setAlarm(retryAt);
      console.warn(`${this.kind} "${name}": alarm failed (retry ${retryCount + 1}): ${msg(err)}`);
    }
  }
}

const msg = (err: unknown) => (err instanceof Error ? err.message : String(err));
