import type { QueueBatch, QueueMessage } from "../host/ports.ts";
import type { Outcome, QueueStore, StoredMessage } from "./queue-store.ts";

/** One consumer's settings, as in wrangler.toml's `[[queues.consumers]]` (timeouts in ms). */
export interface QueueConfig {
  name: string;
  maxBatchSize: number;
  /** Wait up to this long for a batch to fill; 0 delivers at once. */
  maxBatchTimeoutMs: number;
  /** Redeliveries after the first; a message failing maxRetries + 1 deliveries is dead-lettered. */
  maxRetries: number;
  deadLetterQueue?: string;
  /** Batches of this queue handled at once (default 10). */
  maxConcurrentBatches?: number;
}

export type BatchHandler = (batch: QueueBatch) => Promise<void>;

/** Lease and idle-poll lengths, and how to wake another queue's consumer (after dead-lettering into it). */
export interface ConsumerTiming {
  leaseMs: number;
  pollMs: number;
  wake: (queue: string) => void;
}

type Decision = { ack: true } | { ack: false; delayMs: number };

/** `delaySeconds` as Workers Queues take it: 0 to 12 hours. */
export function delayMs(delaySeconds: number | undefined): number {
  const s = delaySeconds ?? 0;
  if (!Number.isFinite(s) || s < 0 || s > 43_200)
    throw new RangeError(`delaySeconds must be 0..43200, got ${s}`);
  return Math.round(s * 1000);
}

/**
 * Delivers one queue's messages to its handler with Workers Queues semantics: batches of up to
 * `maxBatchSize`, held up to `maxBatchTimeoutMs` to fill; per-message `ack()`/`retry()` win, else the batch
 * is acked if the handler resolves and retried if it throws. Up to `maxConcurrentBatches` run at once.
 * `wake()` is called on every local send, so a send reaches the handler on the next turn of the event loop;
 * the `pollMs` timer only catches sends from another process and delays ending.
 */
export class QueueConsumer {
  private readonly inflight = new Map<number, StoredMessage>();
  private readonly running = new Set<Promise<void>>();
  private batches = 0;
  private timer: NodeJS.Timeout | undefined;
  private scheduled = false;
  private stopped = false;
  private readonly store: QueueStore;
  private readonly config: QueueConfig;
  private readonly handler: BatchHandler;
  private readonly timing: ConsumerTiming;

  constructor(store: QueueStore, config: QueueConfig, handler: BatchHandler, timing: ConsumerTiming) {
    this.store = store;
    this.config = config;
    this.handler = handler;
    this.timing = timing;
  }

  /** Message seqs whose handlers are running (their leases are renewed). */
  leased(): Iterable<number> {
    return this.inflight.keys();
  }

  /** Look for deliverable messages soon (coalesces many sends in one turn into one look). */
  wake(): void {
    if (this.scheduled || this.stopped) return;
    this.scheduled = true;
    setImmediate(() => {
      this.scheduled = false;
      this.pump();
    });
  }

  /** Stops delivering and waits up to `timeoutMs` for running handlers. */
  async stop(timeoutMs: number): Promise<void> {
    this.stopped = true;
    clearTimeout(this.timer);
    const all = Promise.allSettled([...this.running]);
    await Promise.race([all, new Promise((resolve) => setTimeout(resolve, timeoutMs).unref())]);
  }

  private pump(): void {
    clearTimeout(this.timer);
    this.timer = undefined;
    try {
      this.deliverDue();
    } catch (err) {
      // E.g. SQLITE_BUSY from another process holding the file: try again later rather than crash.
      console.error(`queue ${this.config.name}: delivery failed: ${String(err)}`);
      if (!this.stopped) this.sleep(this.timing.pollMs);
    }
  }

  private deliverDue(): void {
    const { name, maxBatchSize, maxBatchTimeoutMs } = this.config;
    const { leaseMs, pollMs } = this.timing;
    const limit = this.config.maxConcurrentBatches ?? 10;
    while (!this.stopped && this.batches < limit) {
      const now = Date.now();
      const { n, first } = this.store.available(name, leaseMs, maxBatchSize);
      if (n === 0) break;
      if (n < maxBatchSize && first !== null && first + maxBatchTimeoutMs > now) {
        return this.sleep(first + maxBatchTimeoutMs - now);
      }
      const { messages, deadLettered } = this.store.claim(name, {
        leaseMs,
        limit: maxBatchSize,
        maxRetries: this.config.maxRetries,
        deadLetter: this.config.deadLetterQueue,
        running: this.inflight,
      });
      if (messages.length > 0) this.dispatch(messages);
      if (deadLettered > 0 && this.config.deadLetterQueue) this.timing.wake(this.config.deadLetterQueue);
    }
    // At the concurrency bound a finishing batch wakes us; otherwise sleep until the next delay or lease ends.
    if (this.stopped || this.batches >= limit) return;
    const next = this.store.nextAt(name, leaseMs);
    this.sleep(Math.min(next === null ? pollMs : next - Date.now(), pollMs));
  }

  private sleep(ms: number): void {
    this.timer = setTimeout(() => this.pump(), Math.max(0, ms));
    // The host's server keeps the process alive; an idle consumer should not.
    this.timer.unref();
  }

  private dispatch(claimed: StoredMessage[]): void {
    this.batches++;
    for (const m of claimed) this.inflight.set(m.seq, m);
    const decisions = new Map<number, Decision>();
    let batchDecision: Decision | undefined;
    const decide = (seq: number, d: Decision) => {
      if (!decisions.has(seq)) decisions.set(seq, d);
    };
    const messages: QueueMessage[] = claimed.map((m) => ({
      id: m.id,
      timestamp: new Date(m.enqueuedAt),
      body: m.body,
      attempts: m.attempts,
      ack: () => decide(m.seq, { ack: true }),
      retry: (o) => decide(m.seq, { ack: false, delayMs: delayMs(o?.delaySeconds) }),
    }));
    const batch: QueueBatch = {
      queue: this.config.name,
      messages,
      ackAll: () => {
        batchDecision ??= { ack: true };
      },
      retryAll: (o) => {
        batchDecision ??= { ack: false, delayMs: delayMs(o?.delaySeconds) };
      },
    };
    const run = (async () => {
      let failed = false;
      try {
        await this.handler(batch);
      } catch (err) {
        failed = true;
        console.warn(
          `queue ${this.config.name}: handler threw, retrying its unacked messages: ${String(err)}`,
        );
      }
      const fallback: Decision = failed ? { ack: false, delayMs: 0 } : { ack: true };
      this.settle(claimed, (seq) => decisions.get(seq) ?? batchDecision ?? fallback);
    })().finally(() => {
      this.batches--;
      for (const m of claimed) this.inflight.delete(m.seq);
      this.running.delete(run);
      this.wake();
    });
    this.running.add(run);
  }

  private settle(claimed: StoredMessage[], decisionOf: (seq: number) => Decision): void {
    const { maxRetries, deadLetterQueue } = this.config;
    const outcomes = claimed.map((m): Outcome => {
      const d = decisionOf(m.seq);
      if (d.ack) return { seq: m.seq, id: m.id, action: "ack" };
      if (m.attempts > maxRetries) return { seq: m.seq, id: m.id, action: "dead", to: deadLetterQueue };
      return { seq: m.seq, id: m.id, action: "retry", delayMs: d.delayMs };
    });
    try {
      this.store.settle(this.config.name, outcomes);
      if (deadLetterQueue && outcomes.some((o) => o.action === "dead")) this.timing.wake(deadLetterQueue);
    } catch (err) {
      // E.g. after close() stopped waiting: the leases lapse and the messages are redelivered (after a restart).
      if (!this.stopped) console.error(`queue ${this.config.name}: could not settle a batch: ${String(err)}`);
    }
  }
}
