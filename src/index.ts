import { createApp } from "./app.ts";
import { resourcesFor } from "./durable/resources.ts";
import type { Env } from "./env.ts";
import { consumerFor } from "./queue/consumers.ts";

export { OpsObject } from "./durable/ops.ts";
export { RunObject } from "./durable/run.ts";
export { SessionObject } from "./durable/session.ts";

const app = createApp((env) => resourcesFor(env as Env));

/** The Workers entry point: the HTTP app and the queue consumers, over the same Resources. */
export default {
  fetch: app.fetch,
  async queue(batch, env, _ctx) {
    const consume = consumerFor(batch.queue);
    if (consume) return consume(batch, resourcesFor(env));
    console.error(`no consumer for queue ${batch.queue}; retrying the batch`);
    batch.retryAll();
  },
} satisfies ExportedHandler<Env, unknown>;
