import type { QueueBatch } from "../host/ports.ts";
import type { Resources } from "../host/resources.ts";
import { type Chaos, chaosFrom, chaoticStepBatch } from "./chaos.ts";
import { handleDeadEventBatch, handleEventBatch } from "./events.ts";
import { handleDeadLetterBatch, handleStepBatch, handleStepMessage } from "./steps.ts";

/** Queue names as bound in wrangler.toml (the Node adapter uses the same names and settings). */
export const QUEUES = {
  steps: "hookline-steps",
  deadSteps: "hookline-steps-dlq",
  events: "hookline-events",
  deadEvents: "hookline-events-dlq",
} as const;

type Consumer = (batch: QueueBatch, res: Resources) => Promise<void>;

/** Chaos settings per host's resources (read once; null outside the test and faults environments). */
const chaosOf = new WeakMap<Resources, Chaos | null>();

/** STEPS, with the fault harness's chaos when (and only when) `chaosFrom` allows it. */
const steps: Consumer = (batch, res) => {
  let chaos = chaosOf.get(res);
  if (chaos === undefined) {
    chaos = chaosFrom(res.secrets);
    chaosOf.set(res, chaos);
  }
  return chaos
    ? chaoticStepBatch(batch, res, chaos, (msg) => handleStepMessage(msg, res))
    : handleStepBatch(batch, res);
};

const consumers: Record<string, Consumer> = {
  [QUEUES.steps]: steps,
  [QUEUES.deadSteps]: handleDeadLetterBatch,
  [QUEUES.events]: handleEventBatch,
  [QUEUES.deadEvents]: handleDeadEventBatch,
};

/** The consumer of a queue, by name: the same code on both runtimes. */
export function consumerFor(queue: string): Consumer | undefined {
  return consumers[queue];
}
