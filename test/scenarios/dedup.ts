import { describe, expect, it, vi } from "vitest";
import { telegramUpdate } from "../fixtures/payloads.ts";
import { TEST_BINDINGS } from "../fixtures/secrets.ts";
import { bodyBytes, signedRequest } from "../fixtures/signed-request.ts";
import { adminHeaders, call, trace } from "./fixtures.ts";
import { target } from "./target.ts";

/** The duplicate storm: many concurrent copies of one delivery give one acceptance and one run. */
export const dedupScenarios = () =>
  describe("duplicate storm", { timeout: 90_000 }, () => {
    it("accepts exactly one of 200 concurrent copies of one delivery, and starts one run", async () => {
      const chatId = 600_000_000 + Math.floor(Math.random() * 1_000_000);
      const update = telegramUpdate({ chatId });
      const template = await signedRequest({
        scheme: "telegram",
        url: `${target().baseUrl}/webhooks/telegram/demo-bot`,
        body: update,
        secret: TEST_BINDINGS.TELEGRAM_DEMO_SECRET_TOKEN,
      });
      const body = bodyBytes(update);
      const results = await Promise.all(
        Array.from({ length: 200 }, async () => {
          const r = await target().fetch(
            new Request(template.url, { method: "POST", headers: template.headers, body }),
          );
          return { status: r.status, body: (await r.json()) as { status: string; runId?: string } };
        }),
      );
      const accepted = results.filter((r) => r.body.status === "accepted");
      expect(accepted).toHaveLength(1);
      expect(accepted[0]?.status).toBe(202);
      const duplicates = results.filter((r) => r.body.status === "duplicate");
      expect(duplicates).toHaveLength(199);
      expect(duplicates.every((r) => r.status === 200)).toBe(true);
      const runIds = new Set(results.map((r) => r.body.runId));
      expect(runIds.size).toBe(1);
      const runId = accepted[0]?.body.runId as string;
      await vi.waitFor(async () => expect((await trace(runId)).status).toBe("completed"), {
        timeout: 30_000,
      });
      // The admin index catches up within about a second and keeps the highest count.
      const key = `demo-bot:${update.update_id}`;
      await vi.waitFor(
        async () => {
          const res = await call(`/admin/deliveries/${encodeURIComponent(key)}`, { headers: adminHeaders });
          expect(res.status).toBe(200);
          expect(((await res.json()) as { seenCount: number }).seenCount).toBe(200);
        },
        { timeout: 30_000, interval: 100 },
      );
    });
  });
