import { describe, expect, it } from "vitest";
import { nextWakeOf, texts } from "../../src/session/index.ts";
import { Harness, msg, only, runIntent, said } from "./harness.ts";

const collect = (over = {}) => runIntent({ onBusy: "collect", collectMs: 1_500, maxDelayMs: 5_000, ...over });

describe("chat session: collect windows (onBusy collect)", () => {
  it("opens a window at the first message, even when idle, and asks for an alarm collectMs later", () => {
    const s = new Harness();
    expect(s.send(1, collect())).toEqual([{ type: "setTimer", at: s.now + 1_500 }]);
    expect(s.state.collect).toMatchObject({
      until: s.now + 1_500,
      hardUntil: s.now + 5_000,
      runId: "batch_1",
    });
    expect(s.state.active).toBeNull();
    expect(nextWakeOf(s.state)).toBe(s.now + 1_500);
  });

  it("pushes the close with every message, but never past the first message's hardUntil", () => {
    const s = new Harness();
    const t0 = s.now;
    s.send(1, collect());
    s.now = t0 + 1_000;
    expect(s.send(2, collect())).toEqual([{ type: "setTimer", at: t0 + 2_500 }]);
    s.now = t0 + 4_000;
    expect(s.send(3, collect())).toEqual([{ type: "setTimer", at: t0 + 5_000 }]);
    expect(s.state.collect).toMatchObject({ until: t0 + 5_000, hardUntil: t0 + 5_000, runId: "batch_1" });
    expect(s.state.collect?.items.map((i) => i.runId)).toEqual(["run_1", "run_2", "run_3"]);
  });

  it("ignores an early alarm, and an alarm with no window open", () => {
    const s = new Harness();
    expect(s.feed({ type: "collectWindowClosed", now: s.now })).toEqual([]);
    s.send(1, collect());
    const open = structuredClone(s.state);
    expect(s.feed({ type: "collectWindowClosed", now: s.now + 1_499 })).toEqual([]);
    expect(s.state).toEqual(open);
  });

  it("turns the window into one run whose input lists every message in arrival order", () => {
    const s = new Harness();
    s.send(1, collect(), { message: msg(1, { senderName: "Ada" }) });
    s.send(2, collect(), { message: msg(2, { text: null, senderId: null }) });
    s.send(3, collect());
    s.now += 1_500;
    const actions = s.feed({ type: "collectWindowClosed", now: s.now });
    expect(actions).toEqual([
      {
        type: "startRun",
        runId: "batch_1",
        workflowId: "chat",
        input: {
          messages: [
            { text: "message 1", sender: { id: "7", name: "Ada" }, at: msg(1).receivedAt },
            { text: "", sender: null, at: msg(2).receivedAt },
            { text: "message 3", sender: { id: "7" }, at: msg(3).receivedAt },
          ],
        },
        message: msg(1, { senderName: "Ada" }),
        exclusive: true,
      },
    ]);
    expect(s.state.collect).toBeNull();
    expect(s.state.active).toMatchObject({ runId: "batch_1", deliveryKey: "bot:1" });
  });

  it("queues the batch behind an active run, like onBusy queue", () => {
    const s = new Harness();
    s.send(1);
    s.send(2, collect());
    s.now += 1_500;
    expect(s.feed({ type: "collectWindowClosed", now: s.now })).toEqual([]);
    expect(s.state.queue.map((q) => [q.runId, q.intent.onBusy])).toEqual([["batch_2", "queue"]]);
    expect(only(s.finished("run_1"), "startRun")[0]?.runId).toBe("batch_2");
  });

  it("refuses the batch when the queue behind the active run is full", () => {
    const s = new Harness();
    s.send(1);
    s.send(2, collect({ maxDepth: 0 }));
    s.now += 1_500;
    expect(said(s.feed({ type: "collectWindowClosed", now: s.now }))).toEqual([texts.busy(0)]);
    expect(s.state.collect).toBeNull();
  });

  it("opens a fresh window, with its own run id and hardUntil, after the previous one closed", () => {
    const s = new Harness();
    s.send(1, collect());
    s.now += 1_500;
    s.feed({ type: "collectWindowClosed", now: s.now });
    s.now += 100;
    s.send(2, collect());
    expect(s.state.collect).toMatchObject({ runId: "batch_2", hardUntil: s.now + 5_000 });
  });

  it("closes at once when the alarm is late and the window is past hardUntil", () => {
    const s = new Harness();
    const t0 = s.now;
    s.send(1, collect());
    s.now = t0 + 9_000;
    expect(s.send(2, collect())).toEqual([{ type: "setTimer", at: t0 + 5_000 }]);
    expect(only(s.feed({ type: "collectWindowClosed", now: s.now }), "startRun")).toHaveLength(1);
  });
});
