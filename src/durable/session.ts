import { DurableObject } from "cloudflare:workers";
import type { Env } from "../env.ts";
import { Session } from "../host/session.ts";
import { resourcesFor } from "./resources.ts";

type Api = Session;

/**
 * The Workers host of a conversation: a SQLite-backed Durable Object whose RPC methods hand each call to
 * the runtime-neutral `Session` (src/host/session.ts): the dedup ledger and the chat-session machine.
 */
export class SessionObject extends DurableObject<Env> {
  private readonly session: Session;

  constructor(ctx: DurableObjectState, env: Env) {
    super(ctx, env);
    this.session = new Session(ctx, resourcesFor(env));
  }

  record(...a: Parameters<Api["record"]>) {
    return this.session.record(...a);
  }
  getDelivery(...a: Parameters<Api["getDelivery"]>) {
    return this.session.getDelivery(...a);
  }
  fromRun(...a: Parameters<Api["fromRun"]>) {
    return this.session.fromRun(...a);
  }
  override alarm() {
    return this.session.alarm();
  }
}
