import type { OpsObject } from "./durable/ops.ts";
import type { RunObject } from "./durable/run.ts";
import type { SessionObject } from "./durable/session.ts";

/** Bindings from wrangler.toml, plus secrets whose names the config references. */
export interface Env {
  SESSIONS: DurableObjectNamespace<SessionObject>;
  OPS: DurableObjectNamespace<OpsObject>;
  RUNS: DurableObjectNamespace<RunObject>;
  /** Step attempts (llm, http), fanned out to step workers. */
  STEPS: Queue<unknown>;
  /** Audit events (run.state, step.*, model.call, run.cancel…). */
  EVENTS: Queue<unknown>;
  /** Picks config/<HOOKLINE_ENV>.yaml as the overlay. */
  HOOKLINE_ENV?: string;
  /** Secrets are looked up by the env var names given in hookline.yaml. */
  [name: string]: unknown;
}
