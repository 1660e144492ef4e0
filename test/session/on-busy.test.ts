import { describe, expect, it } from "vitest";
import { Harness, msg, only, runIntent } from "./harness.ts";

describe("chat session: a message while a run is active (onBusy interrupt and steer)", () => {
  it("interrupts: cancels the active run, then starts the new message's run", () => {
    const s = new Harness();
    s.send(1);
    s.now += 2_000;
    const actions = s.send(2, runIntent({ onBusy: "interrupt" }));
    expect(actions.map((a) => a.type)).toEqual(["cancelRun", "startRun"]);
    expect(actions[0]).toEqual({
      type: "cancelRun",
      runId: "run_1",
      source: "telegram:interrupt",
      requestedAt: s.now,
      then: "interrupt",
      message: msg(2),
      chat: s.chat,
    });
    expect(s.state.active).toMatchObject({ runId: "run_2", since: s.now });
  });

  it("names the channel in the interrupt's cancel source", () => {
    const s = new Harness();
    s.send(1);
    const wa = msg(2, { channel: "whatsapp", target: "555/49151" });
    const [cancel] = only(s.send(2, runIntent({ onBusy: "interrupt" }), { message: wa }), "cancelRun");
    expect(cancel?.source).toBe("whatsapp:interrupt");
  });

  it("interrupts nothing when the chat is idle: the run just starts", () => {
    const s = new Harness();
    expect(s.send(1, runIntent({ onBusy: "interrupt" })).map((a) => a.type)).toEqual(["startRun"]);
  });

  it("leaves queued messages in place when interrupting", () => {
    const s = new Harness();
    s.send(1);
    s.send(2);
    s.send(3, runIntent({ onBusy: "interrupt" }));
    expect(s.state.queue.map((q) => q.runId)).toEqual(["run_2"]);
    expect(s.state.active?.runId).toBe("run_3");
  });

  it("steers the message's text into the active run without changing the state", () => {
    const s = new Harness();
    s.send(1);
    const before = structuredClone(s.state);
    const intent = runIntent({ onBusy: "steer" });
    expect(s.send(2, intent)).toEqual([
      { type: "steer", runId: "run_1", text: "message 2", item: { runId: "run_2", intent, message: msg(2) } },
    ]);
    expect(s.state).toEqual(before);
  });

  it("steers an empty text when the message has none", () => {
    const s = new Harness();
    s.send(1);
    const [steer] = only(
      s.send(2, runIntent({ onBusy: "steer" }), { message: msg(2, { text: null }) }),
      "steer",
    );
    expect(steer?.text).toBe("");
  });

  it("starts a steered message as its own run when the active run refused it (it was over)", () => {
    const s = new Harness();
    s.send(1);
    const [steer] = only(s.send(2, runIntent({ onBusy: "steer" })), "steer");
    if (!steer) throw new Error("no steer");
    s.now += 10;
    const actions = s.feed({ type: "steerRefused", now: s.now, item: steer.item });
    expect(only(actions, "startRun")).toEqual([
      {
        type: "startRun",
        runId: "run_2",
        workflowId: "chat",
        input: undefined,
        message: msg(2),
        exclusive: true,
      },
    ]);
    expect(s.state.active).toMatchObject({ runId: "run_2", since: s.now });
  });

  it("starts a steer message directly when the chat is idle", () => {
    const s = new Harness();
    expect(s.send(1, runIntent({ onBusy: "steer" })).map((a) => a.type)).toEqual(["startRun"]);
  });
});
