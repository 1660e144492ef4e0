import { describe, expect, it } from "vitest";
import { texts } from "../../src/session/index.ts";
import { Harness, msg, only, runIntent, said } from "./harness.ts";

describe("chat session: one active run, and a queue behind it", () => {
  it("starts a run at once when the chat is idle, and shows typing once the run is running", () => {
    const s = new Harness();
    const actions = s.send(1, runIntent({ input: { q: "hi" } }));
    expect(actions).toEqual([
      {
        type: "startRun",
        runId: "run_1",
        workflowId: "chat",
        input: { q: "hi" },
        message: msg(1),
        exclusive: true,
      },
    ]);
    expect(s.state.active).toEqual({ runId: "run_1", since: s.now, deliveryKey: "bot:1", target: "100" });
    expect(s.started("run_1")).toEqual([{ type: "typing", target: "100" }]);
  });

  it("leaves the input undefined when the intent has none, so the host uses the event payload", () => {
    const [start] = only(new Harness().send(1), "startRun");
    expect(start?.input).toBeUndefined();
  });

  it("queues a message while a run is active and starts it when the run finishes", () => {
    const s = new Harness();
    s.send(1);
    expect(s.send(2)).toEqual([]);
    expect(s.state.queue.map((q) => q.runId)).toEqual(["run_2"]);
    s.now += 5_000;
    const actions = s.finished("run_1");
    expect(only(actions, "startRun").map((a) => a.runId)).toEqual(["run_2"]);
    expect(s.state.active).toMatchObject({ runId: "run_2", since: s.now });
    expect(s.state.queue).toEqual([]);
  });

  it("starts queued messages in arrival order", () => {
    const s = new Harness();
    for (const n of [1, 2, 3, 4]) s.send(n);
    const order = ["run_1"];
    for (const runId of ["run_1", "run_2", "run_3"]) {
      const [start] = only(s.finished(runId), "startRun");
      order.push(start?.runId ?? "none");
    }
    expect(order).toEqual(["run_1", "run_2", "run_3", "run_4"]);
  });

  it("refuses a message when the queue is full, saying how many are waiting", () => {
    const s = new Harness();
    s.send(1);
    s.send(2, runIntent({ maxDepth: 2 }));
    s.send(3, runIntent({ maxDepth: 2 }));
    const actions = s.send(4, runIntent({ maxDepth: 2 }));
    expect(actions).toEqual([{ type: "reply", target: "100", text: texts.busy(2) }]);
    expect(said(actions)[0]).toBe(
      "I'm still working on your previous message and 2 more are waiting. Please try again in a moment.",
    );
    expect(s.state.queue).toHaveLength(2);
  });

  it("refuses every busy message when maxDepth is 0", () => {
    const s = new Harness();
    s.send(1);
    expect(said(s.send(2, runIntent({ maxDepth: 0 })))).toEqual([texts.busy(0)]);
  });

  it("starts the next queued message when a run is already over as it starts, without typing", () => {
    const s = new Harness();
    s.send(1);
    s.send(2);
    const actions = s.started("run_1", "completed");
    expect(actions.map((a) => a.type)).toEqual(["startRun"]);
    expect(s.state.active?.runId).toBe("run_2");
    expect(s.started("run_2", "failed")).toEqual([]);
    expect(s.state.active).toBeNull();
  });

  it("ignores runStarted and runFinished for runs that are not the active one", () => {
    const s = new Harness();
    s.send(1);
    s.send(2);
    const before = structuredClone(s.state);
    expect(s.finished("run_other")).toEqual([]);
    expect(s.started("run_other", "completed")).toEqual([]);
    expect(s.state).toEqual(before);
  });

  it("starts a generic source's runs at once, side by side, without touching the active run", () => {
    const s = new Harness();
    s.send(1);
    const generic = msg(2, {
      channel: "generic",
      source: "orders",
      target: null,
      text: null,
      senderId: null,
    });
    const actions = s.send(2, runIntent({ exclusive: false, onBusy: "collect" }), { message: generic });
    expect(actions).toEqual([
      {
        type: "startRun",
        runId: "run_2",
        workflowId: "chat",
        input: undefined,
        message: generic,
        exclusive: false,
      },
    ]);
    expect(s.state.active?.runId).toBe("run_1");
    expect(s.state.queue).toEqual([]);
    expect(s.state.collect).toBeNull();
    expect(s.started("run_2")).toEqual([]);
  });
});
