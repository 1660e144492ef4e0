import type { Context } from "hono";
import type { HooklineConfig, Source } from "../config/schema.ts";
import type { Resources } from "../host/resources.ts";

/** Routes see the host's resources (config, secrets, objects, queues), never a runtime's `env`. */
export interface AppEnv {
  Bindings: { HOOKLINE_ENV?: string };
  Variables: { config: HooklineConfig; res: Resources };
}
export type AppContext = Context<AppEnv>;

/** The configured source of that name, if it belongs to the channel of the route it came in on. */
export function findSource<C extends Source["channel"]>(
  c: AppContext,
  name: string,
  channel: C,
): Extract<Source, { channel: C }> | undefined {
  const source = c.get("config").sources[name];
  return source?.channel === channel ? (source as Extract<Source, { channel: C }>) : undefined;
}
