import { describe, expect, it } from "vitest";
import { texts } from "../../src/session/index.ts";
import { Harness, msg, only, said } from "./harness.ts";

describe("chat session: /help, /status and /stop", () => {
  it("answers /help with the source's help text", () => {
    const s = new Harness();
    expect(s.command(1, "help")).toEqual([{ type: "reply", target: "100", text: s.chat.helpText }]);
  });

  it("answers /status when idle, and counts the waiting messages", () => {
    const s = new Harness();
    expect(said(s.command(1, "status"))).toEqual(["Idle."]);
    s.send(2);
    s.send(3);
    s.send(4);
    s.finished("run_2"); // run_3 starts, run_4 waits
    // run_3's finished notice was lost and the host finds it over: idle, with run_4 still waiting.
    expect(said(s.command(5, "status", { active: null }))).toEqual(["Idle, 1 waiting."]);
  });

  it("answers /status with the step in flight, the time so far and the queue", () => {
    const s = new Harness();
    s.send(1);
    s.send(2);
    s.now += 1_234;
    const active = s.facts({ currentStep: "answer" });
    expect(said(s.command(3, "status", { active }))).toEqual([
      'Working: step "answer", 1.2 s so far, 1 waiting.',
    ]);
    s.now += 1_766;
    expect(said(s.command(4, "status"))).toEqual(["Working: between steps, 3 s so far, 1 waiting."]);
  });

  it("says there is nothing to stop when idle", () => {
    expect(said(new Harness().command(1, "stop"))).toEqual(["Nothing to stop."]);
  });

  it("stops the active run, measuring from when /stop was sent, and confirms with the latency", () => {
    const s = new Harness();
    s.send(1);
    s.now += 3_000;
    const actions = s.command(2, "stop");
    expect(actions).toEqual([
      {
        type: "cancelRun",
        runId: "run_1",
        source: "telegram:/stop",
        requestedAt: Date.parse(msg(2).receivedAt),
        then: "stop",
        message: msg(2),
        chat: s.chat,
      },
    ]);
    expect(s.state.active).toBeNull();
    const done = s.feed({
      type: "stopped",
      now: s.now,
      runId: "run_1",
      latencyMs: 37,
      message: msg(2),
      chat: s.chat,
    });
    expect(done).toEqual([{ type: "reply", target: "100", text: "Stopped after 37 ms." }]);
  });

  it("drops the queue on /stop when stopClearsQueue is set (the default), even when idle", () => {
    const s = new Harness();
    s.send(1);
    s.send(2);
    s.command(3, "stop");
    expect(s.state.queue).toEqual([]);
    const done = s.feed({
      type: "stopped",
      now: s.now,
      runId: "run_1",
      latencyMs: 5,
      message: msg(3),
      chat: s.chat,
    });
    expect(only(done, "startRun")).toEqual([]);
    s.send(4);
    s.send(5);
    // The host found no live run (its finished notice was lost): idle, but the queue still goes.
    expect(said(s.command(6, "stop", { active: null }))).toEqual([texts.nothingToStop]);
    expect(s.state.queue).toEqual([]);
  });

  it("starts the next queued message after the stop when stopClearsQueue is off", () => {
    const s = new Harness();
    s.chat = { ...s.chat, stopClearsQueue: false };
    s.send(1);
    s.send(2);
    s.command(3, "stop");
    expect(s.state.queue.map((q) => q.runId)).toEqual(["run_2"]);
    const done = s.feed({
      type: "stopped",
      now: s.now,
      runId: "run_1",
      latencyMs: 9,
      message: msg(3),
      chat: s.chat,
    });
    expect(done.map((a) => a.type)).toEqual(["reply", "startRun"]);
    expect(s.state.active?.runId).toBe("run_2");
  });

  it("never starts a second run after a stop if another run became active meanwhile", () => {
    const s = new Harness();
    s.chat = { ...s.chat, stopClearsQueue: false };
    s.send(1);
    s.send(2);
    s.command(3, "stop");
    s.send(4); // a host that fed this before the stop's result: run_4 is now active
    const done = s.feed({
      type: "stopped",
      now: s.now,
      runId: "run_1",
      latencyMs: 9,
      message: msg(3),
      chat: s.chat,
    });
    expect(done.map((a) => a.type)).toEqual(["reply"]);
    expect(s.state.active?.runId).toBe("run_4");
  });

  it("ignores commands from generic sources, which have no chat", () => {
    const s = new Harness();
    s.send(1);
    const generic = msg(2, { channel: "generic", target: null });
    for (const c of ["stop", "status", "help"] as const)
      expect(s.command(2, c, { message: generic })).toEqual([]);
    expect(s.state.active?.runId).toBe("run_1");
  });

  it("sends nothing for a command whose chat cannot be addressed", () => {
    expect(new Harness().command(1, "help", { message: msg(1, { target: null }) })).toEqual([]);
  });
});
