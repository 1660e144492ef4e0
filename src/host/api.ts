import type { DeliveryRow } from "../db/durable/session-schema.ts";
import type { StepReport } from "../engine/messages.ts";
import type { WatchResult } from "./cancel-watchers.ts";
import type { RecordInput, RecordResult } from "./ledger.ts";
import type {
  CancelResult,
  RelaunchResult,
  ResumeResult,
  RunToSession,
  SessionToRun,
  SessionToRunReplies,
} from "./protocol.ts";
import type { RunEventsPage } from "./run-events.ts";

/**
 * The call surface of a run, as other objects, step workers and routes see it through a stub. `Run`
 * implements it (src/host/run.ts), so the compiler keeps the two in step.
 */
export interface RunApi {
  /** The Session → Run protocol. */
  fromSession<M extends SessionToRun>(message: M): Promise<SessionToRunReplies[M["type"]]>;
  cancel(args: { source: string; requestedAt: number }): Promise<CancelResult>;
  resume(args: { input: unknown; stepId?: string }): Promise<ResumeResult>;
  getStatus(): Promise<string | null>;
  getTrace(): Promise<string | null>;
  /** Starts a linked run: the same workflow and input (`restart`), or from the failed step (`retry`). */
  relaunch(args: { kind: "restart" | "retry"; runId: string }): Promise<RelaunchResult>;
  /** The run's event log after a sequence number, and live text (what the run stream serves). */
  eventsSince(
    after: number,
    waitMs?: number,
    offsets?: Record<string, number>,
    subscriber?: string,
  ): Promise<RunEventsPage>;
  releaseSubscriber(subscriber: string): Promise<void>;
  /** Step worker → run: one attempt's life. */
  /**
   * `redelivery`: the queue delivered this message before (its `attempts` > 1), so the worker that started
   * the attempt may have died; a first delivery of another copy of a running attempt is refused.
   */
  stepStarted(attemptId: string, redelivery?: boolean): Promise<{ proceed: boolean }>;
  watchCancel(attemptId: string): Promise<WatchResult>;
  isOutstanding(attemptId: string): Promise<boolean>;
  stepFinished(stepId: string, attemptId: string, report: StepReport): Promise<{ applied: boolean }>;
  stepDeadLettered(stepId: string, attemptId: string, reason: string): Promise<{ applied: boolean }>;
}

/** The call surface of a conversation's session. `Session` implements it (src/host/session.ts). */
export interface SessionApi {
  record(input: RecordInput): Promise<RecordResult>;
  getDelivery(key: string): Promise<DeliveryRow | null>;
  /** The Run → Session protocol. */
  fromRun(message: RunToSession): Promise<void>;
}
