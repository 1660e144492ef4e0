import { DrizzleQueryError } from "drizzle-orm/errors";
import { describe, expect, it, vi } from "vitest";
import type { EventEnvelope } from "../../../src/engine/messages.ts";
import type { HistoryStore } from "../../../src/history/store.ts";
import type { QueueBatch } from "../../../src/host/ports.ts";
import type { Resources } from "../../../src/host/resources.ts";
import { handleEventBatch, reasonOf } from "../../../src/queue/events.ts";

const event = (i: number): EventEnvelope => ({
  v: 1,
  id: `ev-${i}`,
  type: "run.state",
  runId: `run-${i}`,
  workflowId: "w",
  source: "s",
  deliveryKey: null,
  at: 1,
  data: { state: "started", at: 1, input_summary: "x".repeat(2_000) },
});

function batch(attempts: number) {
  const calls: string[] = [];
  const b: QueueBatch = {
    queue: "hookline-events",
    messages: [1, 2].map((i) => ({
      id: `m${i}`,
      timestamp: new Date(),
      attempts,
      body: { v: 1, events: [event(i)] },
      ack: () => calls.push(`ack ${i}`),
      retry: () => calls.push(`retry ${i}`),
    })),
    ackAll: () => calls.push("ackAll"),
    retryAll: (o) => calls.push(`retryAll ${o?.delaySeconds}`),
  };
  return { b, calls };
}

describe("EVENTS consumer with Postgres history", () => {
  it("hands the whole batch back with backoff when the write fails, and logs the driver's reason only", async () => {
    const cause = new Error("WebSocket connection to ws://127.0.0.1:1/v1 failed: 503");
    const store = {
      write: async () => {
        throw new DrizzleQueryError(
          "insert into events … (the whole statement)",
          ["x".repeat(100_000)],
          cause,
        );
      },
      close: async () => {},
    } as unknown as HistoryStore;
    const res = { history: () => store, config: { history: { retention: 1 } } } as unknown as Resources;
    const warn = vi.spyOn(console, "warn").mockImplementation(() => {});
    try {
      const { b, calls } = batch(3);
      await handleEventBatch(b, res);
      expect(calls).toEqual(["retryAll 8"]);
      const line = String(warn.mock.calls[0]?.[0]);
      expect(line).toBe(
        "history: writing 2 events failed (try 3, again in 8 s): WebSocket connection to ws://127.0.0.1:1/v1 failed: 503",
      );
    } finally {
      warn.mockRestore();
    }
  });

  it("caps the backoff at 300 s", async () => {
    const store = {
      write: async () => {
        throw new Error("down");
      },
      close: async () => {},
    } as unknown as HistoryStore;
    const res = { history: () => store, config: { history: { retention: 1 } } } as unknown as Resources;
    const warn = vi.spyOn(console, "warn").mockImplementation(() => {});
    try {
      const { b, calls } = batch(10);
      await handleEventBatch(b, res);
      expect(calls).toEqual(["retryAll 300"]);
    } finally {
      warn.mockRestore();
    }
  });

  it("reasonOf keeps one short line", () => {
    expect(reasonOf(new Error("a\n  b"))).toBe("a b");
    expect(reasonOf(new Error("y".repeat(1_000)))).toHaveLength(301);
    expect(reasonOf("plain")).toBe("plain");
    // The Neon driver's reason when the WebSocket never opens is an ErrorEvent, not an Error.
    const event = { type: "error", message: "Received network error or non-101 status code." };
    expect(reasonOf(new DrizzleQueryError("select 1", ["x".repeat(10_000)], event as never))).toBe(
      "Received network error or non-101 status code.",
    );
    expect(reasonOf(new DrizzleQueryError("select 1", [], {} as never))).toBe(
      "query failed ([object Object])",
    );
  });
});
