/**
 * Subscribers waiting for the next change (a committed transition, more live text, a feed batch):
 * outstanding calls that resolve at once when something happens, after their timeout, or when their
 * subscriber is released (its client went away, so the object does not hold the call for nothing).
 */
export class ChangeWaiters {
  private readonly waiting = new Set<() => void>();
  private readonly byKey = new Map<string, () => void>();

  get size(): number {
    return this.waiting.size;
  }

  wait(ms: number, key?: string): Promise<void> {
    return new Promise<void>((resolve) => {
      const done = () => {
        clearTimeout(timer);
        this.waiting.delete(done);
        if (key !== undefined && this.byKey.get(key) === done) this.byKey.delete(key);
        resolve();
      };
      const timer = setTimeout(done, ms);
      this.waiting.add(done);
      if (key !== undefined) {
        this.byKey.get(key)?.();
        this.byKey.set(key, done);
      }
    });
  }

  notify(): void {
    for (const done of [...this.waiting]) done();
  }

  /** Ends the wait of one subscriber now. */
  release(key: string): void {
    this.byKey.get(key)?.();
  }
}
