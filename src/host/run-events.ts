import { asc, gt, sql } from "drizzle-orm";
import { eventLog } from "../db/durable/run-schema.ts";
import type { EventEnvelope } from "../engine/messages.ts";
import type { ObjectDb } from "./sqlite.ts";

export { ChangeWaiters } from "./change-waiters.ts";

/** At most this many events in one `eventsSince` answer; the subscriber asks again from the last one. */
const MAX_EVENTS = 500;
/** An `eventsSince` call waits at most this long for something new (SSE keeps its own heartbeat). */
export const MAX_WAIT_MS = 25_000;

/** One event of the run's log, with its sequence number (1, 2, 3… per run). */
export interface LoggedEvent {
  seq: number;
  event: EventEnvelope;
}

/** Text an llm attempt running inside this object has streamed so far (not stored: it lives while it runs). */
export interface LiveText {
  attemptId: string;
  stepId: string;
  /** Where `text` starts in the attempt's whole output (what the caller already had). */
  offset: number;
  text: string;
}

/** What `GET /runs/:id/stream` polls: events after a sequence number, live text, and whether the run is over. */
export interface RunEventsPage {
  events: LoggedEvent[];
  live: LiveText[];
  status: string;
  finished: boolean;
  /** The last sequence number the run has written (events beyond the page's end are still to come). */
  lastSeq: number;
}

/** Appends one transition's events to the log, numbered on from the last one, in the caller's transaction. */
export function appendLog(db: ObjectDb, events: readonly EventEnvelope[]): void {
  if (events.length === 0) return;
  const last = lastSeq(db);
  db.insert(eventLog)
    .values({ firstSeq: last + 1, lastSeq: last + events.length, payload: JSON.stringify(events) })
    .run();
}

export function lastSeq(db: ObjectDb): number {
  return (
    db
      .select({ n: sql<number>`coalesce(max(${eventLog.lastSeq}), 0)` })
      .from(eventLog)
      .get()?.n ?? 0
  );
}

/** The logged events with a sequence number above `after`, in order. */
export function readLog(db: ObjectDb, after: number): LoggedEvent[] {
  const rows = db
    .select()
    .from(eventLog)
    .where(gt(eventLog.lastSeq, after))
    .orderBy(asc(eventLog.firstSeq))
    .limit(MAX_EVENTS)
    .all();
  const out: LoggedEvent[] = [];
  for (const row of rows) {
    const events = JSON.parse(row.payload) as EventEnvelope[];
    events.forEach((event, i) => {
      const seq = row.firstSeq + i;
      if (seq > after && out.length < MAX_EVENTS) out.push({ seq, event });
    });
  }
  return out;
}

/** Live text of the inline llm attempts in flight, by attempt. */
export class LiveTexts {
  private readonly byAttempt = new Map<string, { stepId: string; text: string }>();

  set(attemptId: string, stepId: string, text: string): void {
    this.byAttempt.set(attemptId, { stepId, text });
  }

  delete(attemptId: string): void {
    this.byAttempt.delete(attemptId);
  }

  /** What is new beyond the offsets the caller already has (by attempt). */
  since(offsets: Record<string, number>): LiveText[] {
    const out: LiveText[] = [];
    for (const [attemptId, { stepId, text }] of this.byAttempt) {
      const offset = Math.min(offsets[attemptId] ?? 0, text.length);
      if (text.length > offset) out.push({ attemptId, stepId, offset, text: text.slice(offset) });
    }
    return out;
  }
}
