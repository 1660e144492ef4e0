import { z } from "zod";
import { ApprovalToken, Intent } from "./intent-schema.ts";
import { ChatSettings, MessageRef } from "./message-ref.ts";
import { QueuedItem } from "./state.ts";

const now = z.number();

/** Facts about `state.active`'s run that the host fetched before deciding (null: none or unknown). */
export const ActiveFacts = z.object({
  runId: z.string(),
  status: z.string(),
  currentStep: z.string().nullable(),
  startedAt: z.number(),
});
export type ActiveFacts = z.infer<typeof ActiveFacts>;

/** A recorded delivery's intent, carried out in the order the deliveries were recorded. */
export const MessageInput = z
  .object({
    type: z.literal("message"),
    now,
    deliveryKey: z.string(),
    intent: Intent,
    message: MessageRef,
    chat: ChatSettings,
    /** Run intents: the run this delivery starts (derived from the delivery key, so copies agree). */
    runId: z.string().optional(),
    /** The run id for the batch, if this message opens a collect window. */
    collectRunId: z.string().optional(),
    active: ActiveFacts.nullable(),
  })
  .superRefine((input, ctx) => {
    // The machine cannot derive ids (that needs hashing); a host that forgets them is a bug to catch here.
    if (input.intent.type !== "run") return;
    if (input.runId === undefined) ctx.addIssue({ code: "custom", path: ["runId"], message: "required" });
    if (input.intent.exclusive && input.intent.onBusy === "collect" && input.collectRunId === undefined)
      ctx.addIssue({ code: "custom", path: ["collectRunId"], message: "required for onBusy collect" });
  });

/** Every input `decide` accepts; each carries the host's clock as `now` (ms since the epoch). */
export const SessionInput = z.discriminatedUnion("type", [
  MessageInput,
  /** The result of a startRun action. A finished status means the run is no longer active. */
  z.object({ type: z.literal("runStarted"), now, runId: z.string(), status: z.string() }),
  /** A run of this session finished (its "notify" outbox message). */
  z.object({ type: z.literal("runFinished"), now, runId: z.string() }),
  /** The result of a cancelRun action with `then: "stop"`. */
  z.object({
    type: z.literal("stopped"),
    now,
    runId: z.string(),
    latencyMs: z.number(),
    message: MessageRef,
    chat: ChatSettings,
  }),
  /** The result of a steer action the run refused (it was already over). */
  z.object({ type: z.literal("steerRefused"), now, item: QueuedItem }),
  /** A run waits for a person; `token` is fresh randomness from the host. */
  z.object({
    type: z.literal("approvalRequested"),
    now,
    runId: z.string(),
    waitId: z.string(),
    stepId: z.string(),
    prompt: z.string(),
    allowed: z.array(z.string()),
    token: ApprovalToken,
    target: z.string().nullable(),
  }),
  /** The wait step behind an approval timed out. */
  z.object({ type: z.literal("approvalExpired"), now, runId: z.string(), stepId: z.string() }),
  /** The result of a resume action. */
  z.object({
    type: z.literal("resumed"),
    now,
    token: z.string(),
    approved: z.boolean(),
    resumed: z.boolean(),
    callbackId: z.string().optional(),
    message: MessageRef,
  }),
  /** The host's alarm for the collect window; early or stale alarms are ignored. */
  z.object({ type: z.literal("collectWindowClosed"), now }),
]);
export type SessionInput = z.infer<typeof SessionInput>;
export type MessageInput = z.infer<typeof MessageInput>;
/** One input variant by its `type`, e.g. `InputOf<"stopped">`. */
export type InputOf<T extends SessionInput["type"]> = Extract<SessionInput, { type: T }>;
