import { DurableObject } from "cloudflare:workers";
import type { Env } from "../env.ts";
import { Run } from "../host/run.ts";
import { resourcesFor } from "./resources.ts";

type Api = Run;

/**
 * The Workers host of a run: a SQLite-backed Durable Object whose RPC methods hand each call to the
 * runtime-neutral `Run` (src/host/run.ts). workerd gives it what it needs as is: `ctx` is the storage,
 * alarm and input gate, and the bindings become `Resources`.
 */
export class RunObject extends DurableObject<Env> {
  private readonly run: Run;

  constructor(ctx: DurableObjectState, env: Env) {
    super(ctx, env);
    this.run = new Run(ctx, resourcesFor(env));
  }

  fromSession(...a: Parameters<Api["fromSession"]>) {
    return this.run.fromSession(...a);
  }
  cancel(...a: Parameters<Api["cancel"]>) {
    return this.run.cancel(...a);
  }
  resume(...a: Parameters<Api["resume"]>) {
    return this.run.resume(...a);
  }
  getStatus() {
    return this.run.getStatus();
  }
  getTrace() {
    return this.run.getTrace();
  }
  relaunch(...a: Parameters<Api["relaunch"]>) {
    return this.run.relaunch(...a);
  }
  eventsSince(...a: Parameters<Api["eventsSince"]>) {
    return this.run.eventsSince(...a);
  }
  releaseSubscriber(...a: Parameters<Api["releaseSubscriber"]>) {
    return this.run.releaseSubscriber(...a);
  }
  stepStarted(...a: Parameters<Api["stepStarted"]>) {
    return this.run.stepStarted(...a);
  }
  watchCancel(...a: Parameters<Api["watchCancel"]>) {
    return this.run.watchCancel(...a);
  }
  isOutstanding(...a: Parameters<Api["isOutstanding"]>) {
    return this.run.isOutstanding(...a);
  }
  stepFinished(...a: Parameters<Api["stepFinished"]>) {
    return this.run.stepFinished(...a);
  }
  stepDeadLettered(...a: Parameters<Api["stepDeadLettered"]>) {
    return this.run.stepDeadLettered(...a);
  }
  override alarm() {
    return this.run.alarm();
  }
}
