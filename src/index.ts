import { app } from "./app.ts";
import type { Env } from "./env.ts";
import { handleEventBatch } from "./queue/events.ts";
import { handleDeadLetterBatch, handleStepBatch } from "./queue/steps.ts";

export { OpsObject } from "./durable/ops.ts";
export { RunObject } from "./durable/run.ts";
export { SessionObject } from "./durable/session.ts";

/** Queue names as bound in wrangler.toml. */
export const QUEUES = {
  steps: "hookline-steps",
  deadSteps: "hookline-steps-dlq",
  events: "hookline-events",
} as const;

export default {
  fetch: app.fetch,
  async queue(batch, env, _ctx) {
    if (batch.queue === QUEUES.steps) return handleStepBatch(batch, env);
    if (batch.queue === QUEUES.deadSteps) return handleDeadLetterBatch(batch, env);
    if (batch.queue === QUEUES.events) return handleEventBatch(batch, env);
    console.error(`no consumer for queue ${batch.queue}; retrying the batch`);
    batch.retryAll();
  },
} satisfies ExportedHandler<Env, unknown>;
