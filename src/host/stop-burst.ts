/**
 * /stop aborts first; its bookkeeping (the record, the session's durable cancel, the confirmation) waits until
 * the /stops arriving together have all reached their aborts. In one isolate or process, a hint marks the
 * time, and `afterStopBurst()` resolves once no hint has come for `QUIET_MS`, or after `MAX_DEFER_MS` at most,
 * so a steady stream of /stops cannot hold anyone's bookkeeping back for long.
 */
export const QUIET_MS = 30;
export const MAX_DEFER_MS = 250;

let lastHintAt = 0;

/** A /stop hint went out now. */
export function noteStopHint(now = Date.now()): void {
  lastHintAt = Math.max(lastHintAt, now);
}

/** Resolves once the current burst of /stop hints is over (or `MAX_DEFER_MS` has passed). */
export async function afterStopBurst(): Promise<void> {
  const deadline = Date.now() + MAX_DEFER_MS;
  for (;;) {
    const now = Date.now();
    const wait = Math.min(lastHintAt + QUIET_MS, deadline) - now;
    if (wait <= 0) return;
    await new Promise((resolve) => setTimeout(resolve, wait));
  }
}
