import { describe, expect, it } from "vitest";
import { DELIVERY_WATCHDOG_MS, deliveryBackoffMs, OutboxPump } from "../../../src/host/run-outbox.ts";

describe("run outbox deliveries", () => {
  it("arms only a watchdog while a delivery round is in flight (a hanging Bot API must not spin the alarm)", async () => {
    let release: () => void = () => {};
    const inFlight = new Promise<void>((r) => {
      release = r;
    });
    let rearmed = 0;
    let pending: number | undefined = 1234;
    const pump = new OutboxPump({
      sendQueued: async () => {},
      sendDeliveries: () => inFlight,
      nextDeliveryAt: () => pending,
      onQueuedError: () => {},
      afterDeliveries: async () => {
        rearmed++;
      },
      waitUntil: () => {},
    });
    expect(pump.nextDeliveryAt()).toBe(1234);
    await pump.flush();
    // Not the row's due time (it is being sent), but a watchdog in case this instance dies mid-send.
    const before = Date.now();
    const watchdog = pump.nextDeliveryAt() ?? 0;
    expect(watchdog).toBeGreaterThanOrEqual(before + DELIVERY_WATCHDOG_MS);
    expect(watchdog).toBeLessThanOrEqual(Date.now() + DELIVERY_WATCHDOG_MS);
    // Nothing pending: no alarm for deliveries, in flight or not.
    pending = undefined;
    expect(pump.nextDeliveryAt()).toBeUndefined();
    pending = 1234;
    release();
    await new Promise((r) => setTimeout(r, 0));
    expect(rearmed).toBe(1);
    expect(pump.nextDeliveryAt()).toBe(1234);
  });

  it("backs off 1, 2, 4 … 60 s with jitter that only shortens, and honours Retry-After", () => {
    expect(deliveryBackoffMs(1, undefined, 0)).toBe(1_000);
    expect(deliveryBackoffMs(3, undefined, 0)).toBe(4_000);
    expect(deliveryBackoffMs(30, undefined, 0)).toBe(60_000);
    expect(deliveryBackoffMs(30, undefined, 0.999)).toBeGreaterThanOrEqual(48_000);
    expect(deliveryBackoffMs(1, 30_000, 0.5)).toBe(30_000);
  });
});
