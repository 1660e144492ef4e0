import { z } from "zod";
import { RetrySeedSchema } from "../engine/events.ts";
import { PriceTableSchema } from "../engine/governor.ts";
import { StepReport } from "../engine/messages.ts";
import { WorkflowSchema } from "../engine/workflow-schema.ts";

/**
 * What crosses between objects, checked with zod where it arrives: a session (or the API) talking to a
 * run, a run talking back to its session, and a step worker reporting an attempt. Object RPC copies its
 * arguments, but it does not check them: a stale caller after a deploy, or a bug, must fail loudly here
 * instead of corrupting a run.
 */

/** Ids are short and printable; anything else is a caller bug. */
export const RunId = z.string().regex(/^[A-Za-z0-9_-]{1,100}$/, "run ids are 1-100 of [A-Za-z0-9_-]");
export const AttemptId = z.string().min(1).max(300);

/** Where a run came from, if a delivery started it (chat runs also name their session and chat). */
export const RunOrigin = z.object({
  source: z.string(),
  deliveryKey: z.string(),
  sessionKey: z.string().optional(),
  channel: z.string().optional(),
  chatId: z.string().nullable().optional(),
  senderId: z.string().nullable().optional(),
});

// ---- session (or API) → run -------------------------------------------------------------------------

export const StartRun = z.object({
  type: z.literal("start"),
  runId: RunId,
  workflowId: z.string().min(1),
  /**
   * The workflow as configured (or pinned by the run being relaunched), checked again here with its defaults
   * (timeouts, retries): the run pins it for its lifetime, so a hand-built start must not slip a workflow past
   * the config's checks. About 10–35 µs per start for the demo's workflows.
   */
  workflow: WorkflowSchema,
  input: z.json().default(null),
  event: z.json().default(null),
  prices: PriceTableSchema.default({}),
  origin: RunOrigin.nullable().default(null),
  /** A run started from another one by `POST /runs/:id/restart` or `/retry`. */
  link: z.object({ kind: z.enum(["restart", "retry"]), runId: RunId }).optional(),
  /** A retry: where to start and which outputs to reuse (src/engine/relaunch.ts). */
  seed: RetrySeedSchema.optional(),
});
export const CancelRun = z.object({
  type: z.literal("cancel"),
  source: z.string().min(1).max(200),
  requestedAt: z.number(),
});
export const SteerRun = z.object({ type: z.literal("steer"), text: z.string().max(10_000) });
export const ResumeRun = z.object({
  type: z.literal("resume"),
  input: z.json(),
  stepId: z.string().max(200).optional(),
});
export const RunProgressQuery = z.object({ type: z.literal("progress") });
/**
 * A /stop was recorded for the chat whose active run this is: abort the in-flight attempts now, ahead of the
 * session's durable `cancel`, and hold their results until that cancel arrives (`Run.stopping`).
 */
export const StopHint = z.object({ type: z.literal("stopping") });

export const SessionToRun = z.discriminatedUnion("type", [
  StartRun,
  CancelRun,
  SteerRun,
  ResumeRun,
  RunProgressQuery,
  StopHint,
]);
export type SessionToRun = z.input<typeof SessionToRun>;

export interface StartResult {
  runId: string;
  status: string;
  created: boolean;
}
export type CancelResult =
  | { found: false }
  | { found: true; status: string; alreadyFinished: true }
  | {
      found: true;
      status: string;
      alreadyFinished: false;
      requestedAt: number;
      acknowledgedAt: number;
      latencyMs: number;
    };
/** `POST /runs/:id/restart` and `/retry`: the new run, or why there is none. */
export type RelaunchResult =
  | { found: false }
  | { found: true; started: false; reason: string; status: string }
  | {
      found: true;
      started: true;
      runId: string;
      kind: "restart" | "retry";
      status: string;
      fromStep?: string;
    };
export type ResumeResult = { found: false } | { found: true; status: string; resumed: boolean };
export interface RunProgress {
  status: string;
  currentStep: string | null;
  startedAt: number;
}

/** The answer to each message type. */
export interface SessionToRunReplies {
  start: StartResult;
  cancel: CancelResult;
  steer: { accepted: boolean };
  resume: ResumeResult;
  progress: RunProgress | null;
  /** How many in-flight attempts the hint aborted. */
  stopping: { aborting: number };
}

// ---- run → session ----------------------------------------------------------------------------------

export const RunFinishedMsg = z.object({ type: z.literal("runFinished"), runId: RunId, status: z.string() });
export const ApprovalRequestedMsg = z.object({
  type: z.literal("approvalRequested"),
  runId: RunId,
  waitId: z.string(),
  stepId: z.string(),
  prompt: z.string(),
  /** Who may press: the sender who started the run (empty = anyone in the chat). */
  allowed: z.array(z.string()),
  /** The chat to ask in. */
  target: z.string().nullable(),
});
export const ApprovalExpiredMsg = z.object({
  type: z.literal("approvalExpired"),
  runId: RunId,
  stepId: z.string(),
});

export const RunToSession = z.discriminatedUnion("type", [
  RunFinishedMsg,
  ApprovalRequestedMsg,
  ApprovalExpiredMsg,
]);
export type RunToSession = z.infer<typeof RunToSession>;

// ---- step worker → run ------------------------------------------------------------------------------

export const StepFinishedArgs = z.object({ stepId: z.string(), attemptId: AttemptId, report: StepReport });
export const DeadLetterArgs = z.object({ stepId: z.string(), attemptId: AttemptId, reason: z.string() });
