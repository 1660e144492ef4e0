import { describe, expect, it, vi } from "vitest";
import { adminHeaders, call, deliver, waitForStatus } from "./fixtures.ts";

interface RunList {
  runs: { runId: string; status: string; source: string; output?: unknown; inputSummary?: string | null }[];
  nextCursor: string | null;
  from: string;
}

async function listRuns(query: string): Promise<RunList> {
  const res = await call(`/runs?${query}`, { headers: adminHeaders });
  if (res.status !== 200) throw new Error(`GET /runs?${query}: ${res.status} ${await res.text()}`);
  return (await res.json()) as RunList;
}

/**
 * History in Postgres, through HTTP only: the same list runs on workerd (Neon driver over a WebSocket
 * proxy) and on Node (node-postgres), each with DATABASE_URL set.
 */
export const historyScenarios = (opts: { skip?: boolean } = {}) =>
  describe.skipIf(opts.skip)("history in Postgres", { timeout: 90_000 }, () => {
    it("lists a finished run from Postgres, found by source, status and free text over its input", async () => {
      const word = `zebra${Math.random().toString(36).slice(2, 8)}`;
      const { json } = await deliver("run-echo", { text: `is ${word} on?` });
      const runId = json.runId as string;
      await waitForStatus(runId, ["completed"]);
      await vi.waitFor(
        async () => {
          const found = await listRuns(`source=run-echo&status=completed&q=${word}`);
          expect(found.from).toBe("postgres");
          expect(found.runs.map((r) => r.runId)).toEqual([runId]);
          expect(found.runs[0]?.inputSummary).toContain(word);
          expect(found.runs[0]?.output).not.toBeNull();
        },
        { timeout: 30_000, interval: 100 },
      );
      const other = await listRuns(`q=${word}&status=failed`);
      expect(other.runs).toEqual([]);
    });

    it("pages with nextCursor without repeating a run, and refuses a cursor it did not issue", async () => {
      const ids: string[] = [];
      for (let i = 0; i < 3; i++)
        ids.push((await deliver("run-echo", { text: `page ${i}` })).json.runId as string);
      for (const id of ids) await waitForStatus(id, ["completed"]);
      await vi.waitFor(
        async () => {
          const seen: string[] = [];
          let cursor = "";
          for (let i = 0; i < 3; i++) {
            const page = await listRuns(`source=run-echo&limit=1${cursor ? `&cursor=${cursor}` : ""}`);
            seen.push(...page.runs.map((r) => r.runId));
            cursor = page.nextCursor ?? "";
          }
          expect(new Set(seen).size).toBe(3);
          expect(ids.every((id) => seen.includes(id))).toBe(true);
        },
        { timeout: 30_000, interval: 100 },
      );
      const bad = await call("/runs?cursor=not-a-cursor", { headers: adminHeaders });
      expect(bad.status).toBe(400);
      expect(await bad.json()).toMatchObject({ error: "bad_query" });
    });

    it("lists deliveries from Postgres, and the single view adds the ledger's event", async () => {
      const { json } = await deliver("run-echo", { text: "delivery view" });
      await vi.waitFor(
        async () => {
          const res = await call("/admin/deliveries?source=run-echo&limit=50", { headers: adminHeaders });
          const body = (await res.json()) as { from: string; deliveries: { key: string }[] };
          expect(body.from).toBe("postgres");
          expect(body.deliveries.map((d) => d.key)).toContain(json.deliveryKey);
        },
        { timeout: 30_000, interval: 100 },
      );
      const one = await call(`/admin/deliveries/${encodeURIComponent(json.deliveryKey)}`, {
        headers: adminHeaders,
      });
      expect(one.status).toBe(200);
      expect(await one.json()).toMatchObject({
        key: json.deliveryKey,
        seenCount: 1,
        event: expect.any(Object),
      });
    });
  });
