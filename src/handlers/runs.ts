import { Hono } from "hono";
import { streamSSE } from "hono/streaming";
import { z } from "zod";
import { page } from "../history/cursor.ts";
import type { RunListItem } from "../history/store.ts";
import { requireAdmin } from "./admin.ts";
import type { AppContext, AppEnv } from "./context.ts";
import { iso, parseListParams, RUN_STATUSES } from "./list-query.ts";
import { parseBody } from "./pipeline.ts";
import { problem } from "./problem.ts";
import { adminOrRunToken } from "./run-token.ts";

const RUN_ID = /^[A-Za-z0-9_-]{1,100}$/;

/**
 * GET /runs: newest first, filtered by status, workflow, source, since/until and (with Postgres history)
 * free text `q` over input, output and error; `nextCursor` pages on. Served from Postgres when
 * `DATABASE_URL` is set, else from the Durable Object index (`from` says which).
 */
const list = new Hono<AppEnv>().get("/", requireAdmin, async (c) => {
  const params = parseListParams(c.req.query());
  if (!params.ok) return params.response;
  const status = c.req.query("status") || undefined;
  if (status && !RUN_STATUSES.includes(status as (typeof RUN_STATUSES)[number])) {
    return problem("bad_query", `status must be one of ${RUN_STATUSES.join(", ")}`);
  }
  const q = c.req.query("q")?.trim() || undefined;
  const filter = {
    ...params.value,
    status,
    workflow: c.req.query("workflow") || undefined,
    source: c.req.query("source") || undefined,
    q,
  };
  const res = c.get("res");
  if (res.history) {
    const store = res.history();
    try {
      const found = await store.listRuns(filter);
      return c.json({ runs: found.items.map(runJson), nextCursor: found.nextCursor, from: "postgres" });
    } finally {
      await store.close();
    }
  }
  if (q) {
    return problem(
      "bad_query",
      "q (free-text search) needs Postgres history: set DATABASE_URL and run `hookline db migrate` (README: History in Postgres)",
    );
  }
  const rows = await res.ops().listRuns({ ...filter, limit: filter.limit + 1 });
  const found = page(rows, filter.limit, (r) => ({ at: r.startedAt, id: r.runId }));
  return c.json({ runs: found.items.map(runJson), nextCursor: found.nextCursor, from: "index" });
});

function runJson(r: RunListItem) {
  return {
    ...r,
    startedAt: iso(r.startedAt),
    updatedAt: iso(r.updatedAt),
    ...(r.finishedAt !== undefined && { finishedAt: iso(r.finishedAt) }),
  };
}

/** A new run's id for a restart or retry: random, in the same shape as a delivery's (`run_` + 32 hex). */
function newRunId(): string {
  let hex = "";
  for (const b of crypto.getRandomValues(new Uint8Array(16))) hex += b.toString(16).padStart(2, "0");
  return `run_${hex}`;
}

/** How long a trace or stream asked for a run that has not started yet waits for its start before answering 404. */
const START_GRACE_MS = 3_000;

/** How long one poll of the run waits for news; between polls the stream sends a keep-alive comment. */
const STREAM_POLL_MS = 15_000;

/**
 * POST /runs/:id/restart (same pinned workflow and input) and /retry (from the failed step, reusing the
 * outputs before it): a new run linked to this one. 201 with the new run's id.
 */
function relaunch(kind: "restart" | "retry") {
  return async (c: AppContext) => {
    const id = c.req.param("id") ?? "";
    if (!RUN_ID.test(id)) return problem("not_found", `no run "${id}"`);
    const result = await c.get("res").runs.getByName(id).relaunch({ kind, runId: newRunId() });
    if (!result.found) return problem("not_found", `no run "${id}"`);
    if (!result.started) return problem("bad_relaunch", `run "${id}" was not ${kind}ed: ${result.reason}`);
    return c.json({ from: id, ...result }, 201);
  };
}

/**
 * GET /runs/:id/stream: Server-Sent Events of the run's event log (`id:` is the event's sequence number, so
 * a reconnect with `Last-Event-ID` resumes after it: no gap, no repeat), `token` events with the text of an
 * llm step as it streams (inline attempts; no id, they are not replayed), and `end` once the run is over
 * and every event was sent.
 */
async function runStream(c: AppContext) {
  const id = c.req.param("id") ?? "";
  if (!RUN_ID.test(id)) return problem("not_found", `no run "${id}"`);
  const run = c.get("res").runs.getByName(id);
  const lastId = Number(c.req.header("last-event-id") ?? c.req.query("after") ?? 0);
  let after = Number.isSafeInteger(lastId) && lastId > 0 ? lastId : 0;
  let page = await run.eventsSince(after);
  // A 202 names its run before the run has started (the work follows the ack): a client that opens the stream
  // at once waits for the start instead of getting a 404 that an EventSource would not retry.
  if (page.status === "unknown" && page.lastSeq === 0) page = await run.eventsSince(after, START_GRACE_MS);
  if (page.status === "unknown" && page.lastSeq === 0) return problem("not_found", `no run "${id}"`);
  const offsets: Record<string, number> = {};
  const subscriber = crypto.randomUUID();
  return streamSSE(c, async (stream) => {
    let closed = false;
    stream.onAbort(() => {
      closed = true;
      run.releaseSubscriber(subscriber).catch(() => {});
    });
    await stream.write("retry: 1000\n\n");
    while (!closed) {
      for (const { seq, event } of page.events) {
        await stream.writeSSE({
          id: String(seq),
          event: event.type,
          data: JSON.stringify({ seq, ...event }),
        });
        after = seq;
      }
      for (const t of page.live) {
        await stream.writeSSE({ event: "token", data: JSON.stringify(t) });
        offsets[t.attemptId] = t.offset + t.text.length;
      }
      if (page.finished && after >= page.lastSeq) {
        await stream.writeSSE({ event: "end", data: JSON.stringify({ runId: id, status: page.status }) });
        return;
      }
      const quiet = page.events.length === 0 && page.live.length === 0;
      if (quiet) await stream.write(": keep-alive\n\n");
      page = await run.eventsSince(after, STREAM_POLL_MS, offsets, subscriber);
    }
  });
}

/** The REST API over runs: list, trace, cancel, resume, restart, retry, stream. Admin bearer auth. */
export const runsApi = new Hono<AppEnv>()
  .route("/", list)
  .get("/:id", adminOrRunToken, async (c) => {
    const id = c.req.param("id");
    if (!RUN_ID.test(id)) return problem("not_found", `no run "${id}"`);
    const run = c.get("res").runs.getByName(id);
    let trace = await run.getTrace();
    if (!trace) {
      // Asked for right after its 202: the run has not started yet. Wait for the start, as the stream does.
      await run.eventsSince(0, START_GRACE_MS);
      trace = await run.getTrace();
    }
    return trace
      ? new Response(trace, { headers: { "content-type": "application/json; charset=utf-8" } })
      : problem("not_found", `no run "${id}"`);
  })
  .post("/:id/cancel", requireAdmin, async (c) => {
    const requestedAt = Date.now();
    const id = c.req.param("id");
    if (!RUN_ID.test(id)) return problem("not_found", `no run "${id}"`);
    const result = await c.get("res").runs.getByName(id).cancel({ source: "api", requestedAt });
    if (!result.found) return problem("not_found", `no run "${id}"`);
    return c.json({ runId: id, ...result });
  })
  .post("/:id/restart", requireAdmin, relaunch("restart"))
  .post("/:id/retry", requireAdmin, relaunch("retry"))
  .get("/:id/stream", adminOrRunToken, runStream)
  .post("/:id/resume", requireAdmin, async (c) => {
    const id = c.req.param("id");
    if (!RUN_ID.test(id)) return problem("not_found", `no run "${id}"`);
    const raw = new Uint8Array(await c.req.arrayBuffer());
    const body = parseBody(raw, z.json());
    if (!body.ok) return body.response;
    const result = await c
      .get("res")
      .runs.getByName(id)
      .resume({ input: body.value, stepId: c.req.query("step") || undefined });
    if (!result.found) return problem("not_found", `no run "${id}"`);
    if (!result.resumed) {
      return problem(
        "bad_resume",
        `run "${id}" did not resume: it is ${result.status}, or the input does not match the wait step's schema`,
      );
    }
    return c.json({ runId: id, ...result });
  });
