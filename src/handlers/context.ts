import type { Context } from "hono";
import type { HooklineConfig, Source } from "../config/schema.ts";
import type { Env } from "../env.ts";

export interface AppEnv {
  Bindings: Env;
  Variables: { config: HooklineConfig };
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
