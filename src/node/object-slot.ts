import type { ObjectState } from "../host/ports.ts";
import type { ObjectStorage } from "./sqlite-storage.ts";

/**
 * One open object: its storage, its instance, and what keeps it open (calls in flight, waitUntil work,
 * a running blockConcurrencyWhile). A retired ("dead") slot is out of its namespace's map; its file closes
 * once nothing runs on it any more, so a call still running when the object is reset or evicted finishes.
 */
export class ObjectSlot<T> {
  readonly name: string;
  readonly storage: ObjectStorage;
  readonly state: ObjectState;
  instance: T | undefined;
  /** Settles when every blockConcurrencyWhile so far has finished; rejected if one threw. */
  gate: Promise<void> = Promise.resolve();
  inflight = 0;
  lastUsed = Date.now();
  dead = false;
  private gating = 0;
  private fileClosed = false;
  private readonly pending = new Set<Promise<void>>();
  private readonly onBroken: (slot: ObjectSlot<T>) => void;

  /** `onBroken` runs when a blockConcurrencyWhile callback throws (the namespace drops the slot). */
  constructor(name: string, storage: ObjectStorage, onBroken: (slot: ObjectSlot<T>) => void) {
    this.name = name;
    this.storage = storage;
    this.onBroken = onBroken;
    this.state = {
      storage,
      waitUntil: (promise) => this.track(promise),
      blockConcurrencyWhile: (fn) => this.block(fn),
    };
  }

  get busy(): boolean {
    return this.inflight > 0 || this.pending.size > 0 || this.gating > 0;
  }

  /** Marks the slot dead and closes its file now, or as soon as its last call or background task ends. */
  retire(): void {
    this.dead = true;
    this.closeIfDone();
  }

  closeIfDone(): void {
    if (!this.dead || this.fileClosed || this.busy) return;
    this.forceClose();
  }

  forceClose(): void {
    this.dead = this.fileClosed = true;
    this.storage.close();
  }

  /** workerd's input gate: calls arriving while `fn` runs wait; if it throws, the object is reset. */
  private block<R>(fn: () => Promise<R>): Promise<R> {
    this.gating++;
    const run = this.gate.then(() => fn());
    this.gate = run.then(
      () => {},
      (err) => {
        // Waiting calls get the error; the next call builds a fresh instance.
        this.onBroken(this);
        throw err;
      },
    );
    void this.gate
      .catch(() => {})
      .finally(() => {
        this.gating--;
        this.closeIfDone();
      });
    // Constructors do not await this; the error reaches callers through the gate instead.
    run.catch(() => {});
    return run;
  }

  /** waitUntil: the object stays open until `promise` settles; a rejection is logged, as workerd does. */
  private track(promise: Promise<unknown>): void {
    const tracked = Promise.resolve(promise).then(
      () => {},
      (err) => console.warn(`object "${this.name}": waitUntil task failed: ${messageOf(err)}`),
    );
    this.pending.add(tracked);
    void tracked.then(() => {
      this.pending.delete(tracked);
      this.lastUsed = Date.now();
      this.closeIfDone();
    });
  }
}

/** Errors cross the stub as copies (workerd serializes them); an uncloneable throw becomes a plain Error. */
export function copyError(err: unknown): unknown {
  try {
    const copy = structuredClone(err);
    // A message defined by a getter (zod's errors) is not cloned: keep the text the caller would have read.
    if (err instanceof Error && copy instanceof Error && copy.message !== err.message)
      copy.message = err.message;
    return copy;
  } catch {
    return new Error(messageOf(err));
  }
}

export const messageOf = (err: unknown) => (err instanceof Error ? err.message : String(err));
