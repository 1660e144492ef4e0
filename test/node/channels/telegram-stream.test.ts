import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { createTelegramSender } from "../../../src/channels/telegram.ts";
import { createStreamingReply, type StreamClock } from "../../../src/channels/telegram-stream.ts";
import { ChannelError, type ChatSender } from "../../../src/channels/types.ts";
import { type FakeTelegram, startFakeTelegram } from "../../servers/fake-telegram.ts";

/** A clock that only moves when told; due timers run in order on `advance`. */
function manualClock(): StreamClock & { advance(ms: number): void } {
  let now = 0;
  let timers: { at: number; run: () => void }[] = [];
  return {
    now: () => now,
    setTimeout(run, ms) {
      const timer = { at: now + ms, run };
      timers.push(timer);
      return timer;
    },
    clearTimeout(handle) {
      timers = timers.filter((t) => t !== handle);
    },
    advance(ms) {
      const until = now + ms;
      for (;;) {
        const next = timers.filter((t) => t.at <= until).sort((a, b) => a.at - b.at)[0];
        if (!next) break;
        timers = timers.filter((t) => t !== next);
        now = next.at;
        next.run();
      }
      now = until;
    },
  };
}

type Op = [op: "send" | "edit", at: number, text: string];

/** An in-memory sender that logs what it did and when (by the manual clock). */
function recordingSender(clock: StreamClock, opts: { editable?: boolean; failEdit?: () => unknown } = {}) {
  const ops: Op[] = [];
  let nextId = 1;
  const sender: ChatSender = {
    async sendText(_chat, text) {
      ops.push(["send", clock.now(), text]);
      return { messageIds: [String(nextId++)] };
    },
  };
  if (opts.editable !== false) {
    sender.editText = async (_chat, _id, text) => {
      const error = opts.failEdit?.();
      if (error) throw error;
      ops.push(["edit", clock.now(), text]);
    };
  }
  return { sender, ops };
}

describe("streaming reply", () => {
  it("sends on the first update, then edits at most once per interval with the newest text", async () => {
    const clock = manualClock();
    const { sender, ops } = recordingSender(clock);
    const reply = createStreamingReply(sender, "c1", { minIntervalMs: 1000, clock });

    reply.update("He");
    await reply.idle();
    for (const [at, text] of [
      [100, "Hel"],
      [300, "Hell"],
      [900, "Hello"],
    ] as const) {
      clock.advance(at - clock.now());
      reply.update(text);
    }
    await reply.idle();
    expect(ops).toEqual([["send", 0, "He"]]);

    clock.advance(100); // t = 1000: one edit carries the three coalesced updates
    await reply.idle();
    clock.advance(1500); // nothing new: no edit
    reply.update("Hello, w"); // t = 2500, the interval has passed: at once
    await reply.idle();
    reply.update("Hello, wo");
    clock.advance(999);
    await reply.idle();
    expect(ops).toEqual([
      ["send", 0, "He"],
      ["edit", 1000, "Hello"],
      ["edit", 2500, "Hello, w"],
    ]);

    const done = await reply.finish("Hello, world!");
    expect(ops.at(-1)).toEqual(["edit", 3499, "Hello, world!"]);
    expect(done.messageIds).toEqual(["1"]);
    reply.update("late tokens are ignored");
    clock.advance(5000);
    await reply.idle();
    expect(ops).toHaveLength(4);
  });

  it("rolls over into a new message when the text passes maxChars", async () => {
    const clock = manualClock();
    const { sender, ops } = recordingSender(clock);
    const reply = createStreamingReply(sender, "c1", { minIntervalMs: 1000, maxChars: 12, clock });
    reply.update("one two");
    await reply.idle();
    clock.advance(1000);
    reply.update("one two three four");
    await reply.idle();
    const done = await reply.finish("one two three four five six");
    // "one two" never changes once the text has moved on, so it is not edited again.
    expect(ops).toEqual([
      ["send", 0, "one two"],
      ["send", 1000, "three four"],
      ["send", 1000, "five six"],
    ]);
    expect(done.messageIds).toEqual(["1", "2", "3"]);
  });

  it("stop() ends the edits and appends the note to what was shown", async () => {
    const clock = manualClock();
    const { sender, ops } = recordingSender(clock);
    const reply = createStreamingReply(sender, "c1", { minIntervalMs: 1000, clock });
    reply.update("Counting: 1");
    await reply.idle();
    reply.update("Counting: 1 2");
    await reply.stop("⏹ Stopped");
    reply.update("Counting: 1 2 3");
    clock.advance(10_000);
    await reply.idle();
    expect(ops).toEqual([
      ["send", 0, "Counting: 1"],
      ["edit", 0, "Counting: 1 2\n\n⏹ Stopped"],
    ]);
  });

  it("pauses edits for retryAfterMs after a retriable error, then sends the newest text", async () => {
    const clock = manualClock();
    let failures = 1;
    const rateLimited = () =>
      failures-- > 0
        ? new ChannelError("429", { retriable: true, retryAfterMs: 7000, status: 429 })
        : undefined;
    const { sender, ops } = recordingSender(clock, { failEdit: rateLimited });
    const errors: unknown[] = [];
    const reply = createStreamingReply(sender, "c1", {
      minIntervalMs: 1000,
      clock,
      onError: (e) => errors.push(e),
    });
    reply.update("a");
    await reply.idle();
    clock.advance(1000);
    reply.update("ab"); // this edit hits the 429 at t = 1000
    await reply.idle();
    reply.update("abc");
    clock.advance(6999);
    await reply.idle();
    expect(ops).toEqual([["send", 0, "a"]]);
    clock.advance(1);
    await reply.idle();
    expect(ops).toEqual([
      ["send", 0, "a"],
      ["edit", 8000, "abc"],
    ]);
    expect(errors).toHaveLength(1);
  });

  it("stops editing after a permanent error and finish() reports it", async () => {
    const clock = manualClock();
    const blocked = new ChannelError("Forbidden: bot was blocked by the user", {
      retriable: false,
      status: 403,
    });
    const { sender, ops } = recordingSender(clock, { failEdit: () => blocked });
    const reply = createStreamingReply(sender, "c1", { minIntervalMs: 1000, clock });
    reply.update("a");
    await reply.idle();
    clock.advance(1000);
    reply.update("ab");
    await reply.idle();
    reply.update("abc");
    clock.advance(5000);
    await expect(reply.finish("abcd")).rejects.toBe(blocked);
    expect(ops).toEqual([["send", 0, "a"]]);
  });

  it("with a sender that cannot edit, sends only the final text", async () => {
    const clock = manualClock();
    const { sender, ops } = recordingSender(clock, { editable: false });
    const reply = createStreamingReply(sender, "c1", { clock });
    reply.update("partial");
    clock.advance(5000);
    await reply.finish("the whole answer");
    expect(ops).toEqual([["send", 5000, "the whole answer"]]);
  });
});

describe("streaming reply over the Bot API", () => {
  let telegram: FakeTelegram;
  beforeAll(async () => {
    telegram = await startFakeTelegram();
  });
  afterAll(() => telegram.close());
  beforeEach(() => telegram.reset());

  it("finish() leaves the full final text in the chat, past 4096 characters, in order", async () => {
    const clock = manualClock();
    const sender = createTelegramSender({ token: "1:stream", apiRoot: telegram.url });
    const reply = createStreamingReply(sender, "42", { clock, replyToMessageId: "9" });
    const sentence = "Streaming is fun. ";
    let text = "";
    for (let i = 0; i < 300; i++) {
      text += sentence;
      reply.update(text);
      if (i % 50 === 0) clock.advance(1000);
      await new Promise((r) => setTimeout(r, 0));
    }
    const final = `${text}The end.`;
    const { messageIds } = await reply.finish(final);
    expect(messageIds).toHaveLength(2);
    const shown = messageIds.map((id) => telegram.messages.get(`42:${id}`));
    expect(shown.join(" ")).toBe(final);
    expect(shown.every((t) => (t?.length ?? 0) <= 4096)).toBe(true);
    expect(telegram.calls[0]?.body.reply_parameters).toEqual({
      message_id: 9,
      allow_sending_without_reply: true,
    });
    // Throttled: a handful of edits for 300 updates, none of them rejected.
    const edits = telegram.calls.filter((c) => c.method === "editMessageText");
    expect(edits.length).toBeLessThan(12);
    expect(telegram.calls.every((c) => c.status === 200)).toBe(true);
  });
});
