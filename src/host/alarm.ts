import type { StoragePort } from "./ports.ts";

/**
 * An object's one alarm, remembered: the time it was last set to, so an unchanged alarm is not written
 * again (each write is a billed storage operation) and the hot path can read it without asking storage.
 */
export class AlarmKeeper {
  private at: number | null | undefined;
  private readonly storage: StoragePort;

  constructor(storage: StoragePort) {
    this.storage = storage;
  }

  /** Reads the stored alarm; call once at start (inside the object's init gate). */
  async load(): Promise<void> {
    this.at = await this.storage.getAlarm();
  }

  /** The alarm as last set or loaded (null: none). */
  get current(): number | null {
    return this.at ?? null;
  }

  /** Sets (or with null, deletes) the alarm, unless it already is that. */
  async set(at: number | null): Promise<void> {
    if (at === this.at) return;
    this.at = at;
    if (at === null) await this.storage.deleteAlarm();
    else await this.storage.setAlarm(at);
  }

  /** Sets the alarm to `at` unless one is already set at or before it. */
  async bringForward(at: number): Promise<void> {
    const current = this.current;
    if (current === null || current > at) await this.set(at);
  }

  /** The alarm fired: it is no longer set. */
  fired(): void {
    this.at = null;
  }
}
