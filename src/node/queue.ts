import type { QueuePort } from "../host/ports.ts";
import { type BatchHandler, delayMs, type QueueConfig, QueueConsumer } from "./queue-consumer.ts";
import { QueueStore } from "./queue-store.ts";

export type { BatchHandler, QueueConfig } from "./queue-consumer.ts";

/**
 * wrangler.toml's `[[queues.consumers]]`, in milliseconds. The DLQ sets no max_retries, so Cloudflare's
 * default of 3 applies.
 */
export const HOOKLINE_QUEUES: readonly QueueConfig[] = [
  {
    name: "hookline-steps",
    maxBatchSize: 10,
    maxBatchTimeoutMs: 0,
    maxRetries: 3,
    deadLetterQueue: "hookline-steps-dlq",
    // A queued streaming step holds its batch while it streams; Cloudflare scales consumers, one process
    // must allow enough batches at once that 20+ chats can stream (a batch of 10 with timeout 0 is often 1).
    maxConcurrentBatches: 64,
  },
  { name: "hookline-steps-dlq", maxBatchSize: 10, maxBatchTimeoutMs: 0, maxRetries: 3 },
  {
    name: "hookline-events",
    maxBatchSize: 100,
    maxBatchTimeoutMs: 1_000,
    maxRetries: 10,
    deadLetterQueue: "hookline-events-dlq",
  },
  { name: "hookline-events-dlq", maxBatchSize: 100, maxBatchTimeoutMs: 1_000, maxRetries: 3 },
];

export interface QueuesOptions {
  /**
   * A delivered message is redelivered if its handler has not finished this long after the last lease
   * renewal (renewed every leaseMs/3 while the handler runs), i.e. after a crash. Default 30 s.
   */
  leaseMs?: number;
  /** Longest idle sleep of a consumer, to notice sends from another process. Default 1 s. */
  pollMs?: number;
  /** `close()` waits this long for running handlers. Default 10 s. */
  closeTimeoutMs?: number;
}

/** Every queue of one process: producers, consumers, one SQLite file. */
export interface NodeQueues {
  /** The producer binding for `name` (a queue of the topology or a dead-letter queue it names). */
  producer(name: string): QueuePort;
  /** Starts delivering `name`'s messages to `handler` (once per queue). */
  consume(name: string, handler: BatchHandler): void;
  /** Stops consuming, waits (bounded) for running handlers, closes the file. */
  close(): Promise<void>;
}

/**
 * Opens the persisted queues at `path` with Workers Queues semantics (see `QueueConsumer`): at-least-once,
 * batches, per-message ack/retry with delay, `maxRetries` then the dead-letter queue, and a lease so a
 * message whose handler was cut short by a crash is redelivered after a restart with `attempts` + 1.
 *
 * @example
 * const queues = createQueues("/var/lib/hookline/queues.sqlite", HOOKLINE_QUEUES);
 * const env = { STEPS: queues.producer("hookline-steps"), EVENTS: queues.producer("hookline-events") };
 * queues.consume("hookline-steps", (batch) => handleSteps(batch, env));
 */
export function createQueues(
  path: string,
  topology: readonly QueueConfig[],
  options: QueuesOptions = {},
): NodeQueues {
  const store = new QueueStore(path);
  const leaseMs = options.leaseMs ?? 30_000;
  const pollMs = options.pollMs ?? 1_000;
  const configs = new Map(topology.map((c) => [c.name, c]));
  const known = new Set([...configs.keys(), ...topology.flatMap((c) => c.deadLetterQueue ?? [])]);
  const consumers = new Map<string, QueueConsumer>();
  const wake = (queue: string) => consumers.get(queue)?.wake();
  let closed = false;

  // Leases of running handlers are renewed well before they lapse, so a long step is never redelivered
  // while it still runs in this process.
  const renewer = setInterval(() => {
    try {
      for (const c of consumers.values()) store.renew(c.leased());
    } catch (err) {
      console.error(`queues: lease renewal failed: ${String(err)}`);
    }
  }, leaseMs / 3);
  renewer.unref();

  const send = (name: string, messages: { body: unknown; contentType?: "json"; delaySeconds?: number }[]) => {
    if (closed) throw new Error("queues are closed");
    store.insert(
      name,
      messages.map((m) => ({
        // "json" keeps only what survives JSON, as on Workers; otherwise v8 structured clone, the default.
        body: m.contentType === "json" ? JSON.parse(JSON.stringify(m.body)) : m.body,
        delayMs: delayMs(m.delaySeconds),
      })),
    );
    wake(name);
  };

  return {
    producer(name: string): QueuePort {
      if (!known.has(name)) throw new Error(`unknown queue "${name}"`);
      return {
        async send(body, opts) {
          send(name, [{ body, ...opts }]);
        },
        async sendBatch(messages, opts) {
          send(
            name,
            [...messages].map((m) => ({ ...m, delaySeconds: m.delaySeconds ?? opts?.delaySeconds })),
          );
        },
      };
    },

    consume(name: string, handler: BatchHandler): void {
      const config = configs.get(name);
      if (!config) throw new Error(`queue "${name}" has no consumer settings in the topology`);
      if (consumers.has(name)) throw new Error(`queue "${name}" already has a consumer`);
      const consumer = new QueueConsumer(store, config, handler, { leaseMs, pollMs, wake });
      consumers.set(name, consumer);
      consumer.wake();
    },

    async close(): Promise<void> {
      if (closed) return;
      closed = true;
      clearInterval(renewer);
      const timeout = options.closeTimeoutMs ?? 10_000;
      await Promise.all([...consumers.values()].map((c) => c.stop(timeout)));
      store.close();
    },
  };
}
