import type { QueueBatch } from "../host/ports.ts";
import type { Resources } from "../host/resources.ts";
import { handleDeadEventBatch, handleEventBatch } from "./events.ts";
import { handleDeadLetterBatch, handleStepBatch } from "./steps.ts";

/** Queue names as bound in wrangler.toml (the Node adapter uses the same names and settings). */
export const QUEUES = {
  steps: "hookline-steps",
  deadSteps: "hookline-steps-dlq",
  events: "hookline-events",
  deadEvents: "hookline-events-dlq",
} as const;

type Consumer = (batch: QueueBatch, res: Resources) => Promise<void>;

const consumers: Record<string, Consumer> = {
  [QUEUES.steps]: handleStepBatch,
  [QUEUES.deadSteps]: handleDeadLetterBatch,
  [QUEUES.events]: handleEventBatch,
  [QUEUES.deadEvents]: handleDeadEventBatch,
};

/** The consumer of a queue, by name: the same code on both runtimes. */
export function consumerFor(queue: string): Consumer | undefined {
  return consumers[queue];
}
