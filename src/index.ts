import { app } from "./app.ts";
import type { Env } from "./env.ts";

export { OpsObject } from "./durable/ops.ts";
export { SessionObject } from "./durable/session.ts";

export default {
  fetch: app.fetch,
} satisfies ExportedHandler<Env>;
