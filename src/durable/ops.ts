import { DurableObject } from "cloudflare:workers";
import type { Env } from "../env.ts";
import { Ops } from "../host/ops.ts";

type Api = Ops;

/** The Workers host of the operator index: hands each RPC call to the runtime-neutral `Ops`. */
export class OpsObject extends DurableObject<Env> {
  private readonly ops: Ops;

  constructor(ctx: DurableObjectState, env: Env) {
    super(ctx, env);
    this.ops = new Ops(ctx);
  }

  indexDeliveries(...a: Parameters<Api["indexDeliveries"]>) {
    return this.ops.indexDeliveries(...a);
  }
  listDeliveries(...a: Parameters<Api["listDeliveries"]>) {
    return this.ops.listDeliveries(...a);
  }
  getDelivery(...a: Parameters<Api["getDelivery"]>) {
    return this.ops.getDelivery(...a);
  }
  applyRunEvents(...a: Parameters<Api["applyRunEvents"]>) {
    return this.ops.applyRunEvents(...a);
  }
  publish(...a: Parameters<Api["publish"]>) {
    return this.ops.publish(...a);
  }
  feedSince(...a: Parameters<Api["feedSince"]>) {
    return this.ops.feedSince(...a);
  }
  releaseSubscriber(...a: Parameters<Api["releaseSubscriber"]>) {
    return this.ops.releaseSubscriber(...a);
  }
  listRuns(...a: Parameters<Api["listRuns"]>) {
    return this.ops.listRuns(...a);
  }
  parkDeadEvents(...a: Parameters<Api["parkDeadEvents"]>) {
    return this.ops.parkDeadEvents(...a);
  }
  deadEvents(...a: Parameters<Api["deadEvents"]>) {
    return this.ops.deadEvents(...a);
  }
  dropDeadEvents(...a: Parameters<Api["dropDeadEvents"]>) {
    return this.ops.dropDeadEvents(...a);
  }
  countEvents(...a: Parameters<Api["countEvents"]>) {
    return this.ops.countEvents(...a);
  }
  metrics() {
    return this.ops.metrics();
  }
  probe() {
    return this.ops.probe();
  }
  override alarm() {
    return this.ops.alarm();
  }
}
