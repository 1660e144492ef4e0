import { describe, expect, it, vi } from "vitest";
import { uniqueId } from "../fixtures/payloads.ts";
import { TEST_BINDINGS } from "../fixtures/secrets.ts";
import type { GraphFailure } from "../servers/fake-graph.ts";
import type { TelegramFailure } from "../servers/fake-telegram.ts";
import {
  adminHeaders,
  botCalls,
  call,
  type GraphCall,
  graphCalls,
  sendTelegram,
  sendWhatsApp,
  uniqueChat,
  uniqueWaNumber,
} from "./fixtures.ts";
import { readSse } from "./sse.ts";
import { fakes } from "./target.ts";

/** Fails the next `times` Bot API calls of `method` for one chat only (the fake is shared). */
async function failTelegram(chat: number, method: string, times: number, failure: TelegramFailure) {
  const res = await fetch(`${fakes.telegram()}/__fail`, {
    method: "POST",
    body: JSON.stringify({ method, times, chatId: String(chat), ...failure }),
  });
  expect(res.status).toBe(200);
}

/** Fails the next `count` Graph message POSTs to one recipient only. */
async function failGraph(to: string, count: number, failure: GraphFailure) {
  const res = await fetch(`${fakes.graph()}/__fail`, {
    method: "POST",
    body: JSON.stringify({ count, to, ...failure }),
  });
  expect(res.status).toBe(200);
}

/** A run's recorded events (GET /runs/:id/stream, replayed to its end). */
async function runEvents(runId: string): Promise<{ type: string; data: Record<string, unknown> }[]> {
  const res = await call(`/runs/${runId}/stream`, { headers: adminHeaders });
  const events = await readSse(res, (e) => e.event === "end");
  return events.filter((e) => e.id !== undefined).map((e) => JSON.parse(e.data));
}

/** Waits for the run's `run.reply_failed` event and returns its reason. */
async function replyFailure(runId: string): Promise<string> {
  let reason = "";
  await vi.waitFor(
    async () => {
      const failed = (await runEvents(runId)).find((e) => e.type === "run.reply_failed");
      expect(failed).toBeDefined();
      reason = String(failed?.data.reason);
    },
    { timeout: 45_000, interval: 250 },
  );
  return reason;
}

/** Calls until one answered 200; then a little longer, so a second send would show. */
async function untilSent<T extends { status: number }>(calls: () => Promise<T[]>): Promise<T[]> {
  await vi.waitFor(async () => expect((await calls()).some((c) => c.status === 200)).toBe(true), {
    timeout: 60_000,
    interval: 100,
  });
  await new Promise((r) => setTimeout(r, 300));
  return calls();
}

const gaps = (calls: { receivedAt: number }[]) =>
  calls.slice(1).map((c, i) => c.receivedAt - (calls[i] as { receivedAt: number }).receivedAt);

/** A WhatsApp message whose reply (demo-chat: "echo: <text>") meets `failure` first; returns the run id. */
async function waReplyMeeting(to: string, count: number, failure: GraphFailure): Promise<string> {
  await failGraph(to, count, failure);
  const ack = await sendWhatsApp(to, [{ id: uniqueId("wamid."), text: `hello ${failure.code}` }]);
  return ack.deliveries[0]?.runId as string;
}

/**
 * Outbound chat APIs failing, end to end: a workflow's reply meets Bot API or Graph API errors from the fakes.
 * Retriable ones (rate limits, 5xx, Graph's transient codes) are held back (Retry-After, else backoff) and the
 * reply goes out once; permanent ones are dropped after one try and recorded as `run.reply_failed` with a
 * reason a person can act on. Each case has its own chat, so the cases of one test run side by side.
 */
export function chatErrorScenarios() {
  describe("outbound chat API errors (fake Bot API and Graph API)", { timeout: 90_000 }, () => {
    it("Bot API 429: the reply is held back as retry_after asks, then sent once", async () => {
      const chat = uniqueChat();
      // retry_after 0 is retried at once in place; the 2 s the second 429 asks for hold the reply back.
      await failTelegram(chat, "sendMessage", 1, { kind: "rate_limit", retryAfter: 0 });
      await failTelegram(chat, "sendMessage", 1, { kind: "rate_limit", retryAfter: 2 });
      await sendTelegram(chat, "flood");
      const calls = await untilSent(() => botCalls(chat, "sendMessage"));
      expect(calls.map((c) => c.status)).toEqual([429, 429, 200]);
      expect(calls.map((c) => c.body.text)).toEqual(Array(3).fill("echo: flood"));
      // The backoff alone would retry within 1 s.
      expect(gaps(calls)[1]).toBeGreaterThanOrEqual(1_990);
    });

    it("Bot API 5xx: the reply is retried after a backoff and sent once", async () => {
      const chat = uniqueChat();
      await failTelegram(chat, "sendMessage", 1, { kind: "error", code: 502, description: "Bad Gateway" });
      await sendTelegram(chat, "outage");
      const calls = await untilSent(() => botCalls(chat, "sendMessage"));
      expect(calls.map((c) => c.status)).toEqual([502, 200]);
      // 1 s, shortened by up to 20% of jitter.
      expect(gaps(calls)[0]).toBeGreaterThanOrEqual(790);
    });

    it("Bot API 403 and 400 are permanent: one try, and run.reply_failed quotes Telegram", async () => {
      const cases: [number, string][] = [
        [403, "Forbidden: bot was blocked by the user"],
        [400, "Bad Request: chat not found"],
      ];
      await Promise.all(
        cases.map(async ([code, description]) => {
          const chat = uniqueChat();
          const rejected = await fetch(`${fakes.telegram()}/__reject-chat`, {
            method: "POST",
            body: JSON.stringify({ chatId: String(chat), code, description }),
          });
          expect(rejected.status).toBe(200);
          const ack = await sendTelegram(chat, "anyone there");
          const reason = await replyFailure(ack.runId as string);
          expect(reason).toBe(`Telegram sendMessage failed (${code}): ${description}`);
          // Recorded means dropped: the row is gone, so this count is final.
          expect((await botCalls(chat, "sendMessage")).map((c) => c.status)).toEqual([code]);
        }),
      );
    });

    it("Graph rate limits (4, 80007, 130429, 131056) hold the reply back as asked, then send it once", async () => {
      const cases: [GraphFailure, number][] = [
        [{ code: 4, headers: { "retry-after": "2" } }, 1_990],
        [{ code: 80007 }, 990],
        [{ code: 130429 }, 990],
        [{ code: 131056 }, 990],
      ];
      await Promise.all(
        cases.map(async ([failure, atLeast]) => {
          const to = uniqueWaNumber();
          await waReplyMeeting(to, 1, failure);
          const calls = await untilSent(() => graphCalls(to));
          const status = failure.code === 131056 ? 400 : 429;
          expect(
            calls.map((c) => c.status),
            `code ${failure.code}`,
          ).toEqual([status, 200]);
          expect(gaps(calls)[0], `code ${failure.code}`).toBeGreaterThanOrEqual(atLeast);
        }),
      );
    });

    it("Graph 5xx and the transient codes 1 and 2 are retried, and the reply sent once", async () => {
      const failures: GraphFailure[] = [
        { code: 1, status: 500, message: "An unknown error occurred" },
        { code: 2, status: 503, message: "Service temporarily unavailable" },
        { code: 2, status: 400, message: "Service temporarily unavailable" },
      ];
      await Promise.all(
        failures.map(async (failure) => {
          const to = uniqueWaNumber();
          await waReplyMeeting(to, 1, failure);
          const calls = await untilSent(() => graphCalls(to));
          expect(calls.map((c: GraphCall) => c.status)).toEqual([failure.status, 200]);
          expect(calls[1]?.body.text?.body).toBe(`echo: hello ${failure.code}`);
        }),
      );
    });

    it("Graph 131047, 131026, 100 and 190 are permanent: one try, and run.reply_failed says what to fix", async () => {
      const cases: [GraphFailure, RegExp][] = [
        [{ code: 131047, message: "Re-engagement message" }, /24 hours .* send an approved template/],
        [{ code: 131026, message: "Message undeliverable" }, /undeliverable: the recipient may not use/],
        [{ code: 100, message: "(#100) Invalid parameter" }, /invalid parameter: check .* the recipient/],
        [
          { code: 190, message: "Error validating access token: Session has expired" },
          /expired or invalid: refresh WHATSAPP_DEMO_ACCESS_TOKEN/,
        ],
      ];
      await Promise.all(
        cases.map(async ([failure, fix]) => {
          const to = uniqueWaNumber();
          const runId = await waReplyMeeting(to, 1, failure);
          const reason = await replyFailure(runId);
          expect(reason).toMatch(new RegExp(`^WhatsApp sendText failed: Graph error ${failure.code} `));
          expect(reason).toContain(failure.message);
          expect(reason).toMatch(fix);
          expect(reason).not.toContain(TEST_BINDINGS.WHATSAPP_DEMO_ACCESS_TOKEN);
          expect((await graphCalls(to)).length).toBe(1);
        }),
      );
    });
  });
}
