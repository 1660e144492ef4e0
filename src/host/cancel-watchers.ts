export type WatchResult = "cancelled" | "abandoned" | "done";

/**
 * The outstanding `watchCancel` calls of step workers, by attempt: the push path for cancel. They live in
 * memory only; a worker whose call is lost (the object restarted) falls back to polling.
 */
export class CancelWatchers {
  private readonly byAttempt = new Map<string, Set<(r: WatchResult) => void>>();

  wait(attemptId: string): Promise<WatchResult> {
    return new Promise<WatchResult>((resolve) => {
      const set = this.byAttempt.get(attemptId) ?? new Set();
      set.add(resolve);
      this.byAttempt.set(attemptId, set);
    });
  }

  resolve(attemptId: string, result: WatchResult): void {
    const set = this.byAttempt.get(attemptId);
    if (!set) return;
    this.byAttempt.delete(attemptId);
    for (const done of set) done(result);
  }

  /** How many attempts have an outstanding watch (running now). */
  get size(): number {
    return this.byAttempt.size;
  }

  resolveAll(result: WatchResult): void {
    for (const attemptId of [...this.byAttempt.keys()]) this.resolve(attemptId, result);
  }
}
