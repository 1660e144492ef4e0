import { configFor } from "../config/runtime.ts";
import type { Secrets } from "../core/secrets.ts";
import type { Env } from "../env.ts";
import type { ObjectLookup } from "../host/ports.ts";
import type { OpsApi, Resources, RunApi, SessionApi } from "../host/resources.ts";
import { historyFor } from "./history.ts";

/** The single OpsObject instance. One index is enough for the admin API today; shard by source if it gets hot. */
export const OPS_INSTANCE = "global";

const cache = new WeakMap<Env, Resources>();

/**
 * Resources for Workers, from the bindings. Built once per `env` object (one per isolate), so config is
 * parsed and secrets are read once. The casts are the one place where a binding's stub type (which wraps
 * results in workerd's `Rpc` types) meets the runtime-neutral API it implements.
 */
export function resourcesFor(env: Env): Resources {
  const hit = cache.get(env);
  if (hit) return hit;
  const secrets: Record<string, string> = {};
  for (const [name, value] of Object.entries(env)) if (typeof value === "string") secrets[name] = value;
  const res: Resources = {
    config: configFor(env.HOOKLINE_ENV),
    secrets: secrets as Secrets,
    steps: env.STEPS,
    events: env.EVENTS,
    sessions: env.SESSIONS as unknown as ObjectLookup<SessionApi>,
    runs: env.RUNS as unknown as ObjectLookup<RunApi>,
    ops: () => env.OPS.getByName(OPS_INSTANCE) as unknown as OpsApi,
    history: historyFor(env),
    // Called through a closure: workerd rejects `fetch` invoked with a foreign `this`.
    outboundFetch: (input, init) => fetch(input, init),
    runtime: "workerd",
  };
  cache.set(env, res);
  return res;
}
