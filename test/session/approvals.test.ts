import { describe, expect, it } from "vitest";
import { texts } from "../../src/session/index.ts";
import { ask, press, TOKEN } from "./approval-helpers.ts";
import { Harness, msg, only, said } from "./harness.ts";

describe("chat session: approval buttons", () => {
  it("records an approval request and sends the prompt with Approve and Reject buttons", () => {
    const s = new Harness();
    expect(ask(s)).toEqual([
      {
        type: "sendButtons",
        target: "100",
        text: "Refund 20 EUR?",
        buttons: [
          { id: `hl:${TOKEN}:y`, title: "Approve" },
          { id: `hl:${TOKEN}:n`, title: "Reject" },
        ],
      },
    ]);
    expect(s.state.approvals).toEqual([
      {
        token: TOKEN,
        runId: "run_1",
        waitId: "w1",
        stepId: "confirm",
        allowed: ["7"],
        target: "100",
        createdAt: s.now,
        answeredAt: null,
      },
    ]);
  });

  it("asks with the default prompt when the workflow gives none, and records silently without a chat", () => {
    const s = new Harness();
    expect(only(ask(s, { prompt: "" }), "sendButtons")[0]?.text).toBe(texts.approvalPrompt);
    expect(ask(s, { token: "other1234", target: null })).toEqual([]);
    expect(s.state.approvals.map((a) => a.token)).toEqual([TOKEN, "other1234"]);
  });

  it("resumes the run when an allowed sender presses, and confirms once the run answers", () => {
    const s = new Harness();
    ask(s);
    s.now += 60_000;
    expect(press(s, 2, true)).toEqual([
      {
        type: "resume",
        runId: "run_1",
        stepId: "confirm",
        approved: true,
        token: TOKEN,
        callbackId: "cb2",
        message: msg(2),
      },
    ]);
    expect(s.state.approvals[0]?.answeredAt).toBe(s.now);
    const done = s.feed({
      type: "resumed",
      now: s.now,
      token: TOKEN,
      approved: true,
      resumed: true,
      callbackId: "cb2",
      message: msg(2),
    });
    expect(done).toEqual([{ type: "answerButton", callbackId: "cb2", text: "Approved." }]);
  });

  it("rejects through the Reject button", () => {
    const s = new Harness();
    ask(s);
    expect(only(press(s, 2, false), "resume")[0]?.approved).toBe(false);
    const done = s.feed({
      type: "resumed",
      now: s.now,
      token: TOKEN,
      approved: false,
      resumed: true,
      callbackId: "cb2",
      message: msg(2),
    });
    expect(said(done)).toEqual(["Rejected."]);
  });

  it("tells the presser when the run was no longer waiting", () => {
    const s = new Harness();
    const done = s.feed({
      type: "resumed",
      now: s.now,
      token: TOKEN,
      approved: true,
      resumed: false,
      callbackId: "cb2",
      message: msg(2),
    });
    expect(said(done)).toEqual(["The request is no longer waiting."]);
  });

  it("refuses an approval press from someone else", () => {
    const s = new Harness();
    ask(s);
    expect(press(s, 2, true, "999")).toEqual([
      { type: "answerButton", callbackId: "cb2", text: "You are not allowed to answer this." },
    ]);
    expect(s.state.approvals[0]?.answeredAt).toBeNull();
  });

  it("lets anyone in the chat answer when the allow list is empty", () => {
    const s = new Harness();
    ask(s, { allowed: [] });
    expect(only(press(s, 2, true, "999"), "resume")).toHaveLength(1);
  });

  it("refuses a second press: already answered", () => {
    const s = new Harness();
    ask(s);
    press(s, 2, true);
    expect(said(press(s, 3, false))).toEqual(["Already answered."]);
  });

  it("says a button has expired when its token is unknown or the data is not ours", () => {
    const s = new Harness();
    expect(said(press(s, 1, true))).toEqual(["This button has expired."]);
    const junk = s.send(2, { type: "button", data: "hl:x:y", callbackId: "cb" });
    expect(said(junk)).toEqual([texts.buttonExpired]);
  });

  it("answers in the chat when the press has no callback (WhatsApp buttons)", () => {
    const s = new Harness();
    ask(s);
    expect(press(s, 2, true, "999", null)).toEqual([
      { type: "reply", target: "100", text: texts.notAllowed },
    ]);
    const [resume] = only(press(s, 3, true, "7", null), "resume");
    expect(resume && "callbackId" in resume).toBe(false);
    const done = s.feed({
      type: "resumed",
      now: s.now,
      token: TOKEN,
      approved: true,
      resumed: true,
      message: msg(3),
    });
    expect(done).toEqual([{ type: "reply", target: "100", text: texts.approved }]);
  });

  it("tells the chat when nobody answered in time, and forgets the buttons", () => {
    const s = new Harness();
    ask(s);
    const actions = s.feed({ type: "approvalExpired", now: s.now, runId: "run_1", stepId: "confirm" });
    expect(actions).toEqual([{ type: "reply", target: "100", text: "No answer in time." }]);
    expect(s.state.approvals).toEqual([]);
    expect(said(press(s, 2, true))).toEqual([texts.buttonExpired]);
    expect(s.feed({ type: "approvalExpired", now: s.now, runId: "run_1", stepId: "confirm" })).toEqual([]);
  });
});
