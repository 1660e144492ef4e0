import { z } from "zod";
import { TelegramUpdate } from "../core/inbound/telegram.ts";
import { WhatsAppWebhook } from "../core/inbound/whatsapp.ts";
import { RunStatusSchema } from "../engine/state.ts";
import { RUN_STATUSES } from "./list-query.ts";

/**
 * The zod schemas of the HTTP API, for `/openapi.json` and docs/api.md. Request bodies are the very schemas
 * the routes parse with (TelegramUpdate, WhatsAppWebhook, any JSON); responses describe what the handlers
 * answer, and test/node/openapi.test.ts parses real answers with them so they cannot drift.
 */

/** Any JSON value (a generic sender's document, a resume body, a step output). One instance: it is recursive. */
export const Json = z.json();

const Iso = z.string().describe("ISO 8601 time");

export const Problem = z
  .object({
    error: z.string().describe("A stable code; see the error table"),
    message: z.string().describe("For people; never contains secret material"),
    path: z.string().optional().describe("invalid_payload only: where the body is wrong"),
  })
  .describe("Every error answer");

export const Ack = z
  .object({
    status: z.enum(["accepted", "duplicate", "recorded"]),
    deliveryKey: z.string(),
    seenCount: z.int().optional().describe("duplicate only: how often this delivery arrived"),
    runId: z.string().optional().describe("The run this delivery started (a duplicate names the same run)"),
    runToken: z
      .string()
      .optional()
      .describe("Generic senders: `Bearer rt_…` reads this run's trace at GET /runs/{runId}"),
  })
  .describe("202 when the delivery starts a run, else 200");

export const WhatsAppAck = z.object({
  status: z.literal("ok"),
  messages: z.int(),
  statuses: z.int(),
  deliveries: z.array(
    z.object({
      deliveryKey: z.string(),
      status: z.enum(["accepted", "duplicate", "recorded"]),
      runId: z.string().optional(),
    }),
  ),
});

const From = z.enum(["postgres", "index"]).describe("Where the list came from");
const NextCursor = z.string().nullable().describe("Pass back as `cursor=`; null on the last page");

export const RunListItem = z.looseObject({
  runId: z.string(),
  workflowId: z.string(),
  workflowVersion: z.string().nullable().optional(),
  status: z.string(),
  source: z.string().nullable(),
  deliveryKey: z.string().nullable(),
  startedAt: Iso,
  updatedAt: Iso,
  finishedAt: Iso.nullable().optional(),
  inputSummary: z.string().nullable().optional().describe("Postgres history only"),
  output: Json.nullable().optional(),
  error: z.string().nullable().optional(),
  inputTokens: z.int().nullable().optional(),
  outputTokens: z.int().nullable().optional(),
  costUsd: z.number().nullable().optional(),
});

export const RunList = z.object({ runs: z.array(RunListItem), nextCursor: NextCursor, from: From });

export const TraceStep = z.looseObject({
  stepId: z.string(),
  attemptId: z.string(),
  attempt: z.int(),
  kind: z.string(),
  mode: z.string().describe("inline | queue | pure"),
  status: z.string(),
  enqueuedAt: Iso.nullable(),
  startedAt: Iso.nullable(),
  finishedAt: Iso.nullable(),
  latencyMs: z.number().nullable(),
  provider: z.string().nullable(),
  model: z.string().nullable(),
  inputTokens: z.int().nullable(),
  outputTokens: z.int().nullable(),
  costUsd: z.number().nullable(),
  error: z.string().nullable(),
  abortLatencyMs: z.number().nullable(),
  output: Json.optional(),
});

export const RunTrace = z.looseObject({
  runId: z.string(),
  workflowId: z.string(),
  workflowVersion: z.string().nullable(),
  status: RunStatusSchema,
  source: z.string().nullable(),
  deliveryKey: z.string().nullable(),
  createdAt: Iso.nullable(),
  updatedAt: Iso.nullable(),
  finishedAt: Iso.nullable(),
  output: Json.nullable().optional(),
  error: Json.nullable().optional(),
  usage: z.looseObject({
    inputTokens: z.number(),
    outputTokens: z.number(),
    costUsd: z.number(),
    steps: z.number(),
  }),
  cancel: z
    .object({
      source: z.string().nullable(),
      requestedAt: Iso.nullable(),
      acknowledgedAt: Iso.nullable(),
      latencyMs: z.number().nullable(),
    })
    .nullable(),
  steps: z.array(TraceStep),
});

export const CancelAnswer = z.object({
  runId: z.string(),
  found: z.literal(true),
  status: z.string(),
  alreadyFinished: z.boolean(),
  requestedAt: z.number().optional().describe("epoch ms"),
  acknowledgedAt: z.number().optional().describe("epoch ms: the cancel was committed"),
  latencyMs: z.number().optional(),
});

export const ResumeAnswer = z.object({
  runId: z.string(),
  found: z.literal(true),
  status: z.string(),
  resumed: z.literal(true),
});

export const Delivery = z.object({
  key: z.string(),
  source: z.string(),
  channel: z.string(),
  kind: z.string(),
  outcome: z.string(),
  sessionKey: z.string(),
  receivedAt: Iso.nullable(),
  expiresAt: Iso.nullable(),
  lastSeenAt: Iso.nullable(),
  seenCount: z.int(),
  decision: Json.nullable().describe("reaction.match / reaction.skip for chat messages"),
});

export const DeliveryList = z.object({ deliveries: z.array(Delivery), nextCursor: NextCursor, from: From });

export const DeliveryDetail = Delivery.extend({
  event: Json.describe("The normalized InboundEvent"),
  indexed: z.boolean().describe("false: found in the ledger before the index had it"),
});

export const RelaunchAnswer = z.looseObject({
  from: z.string().describe("The run it was relaunched from"),
  runId: z.string().describe("The new run, linked to the old one (`restartOf` / `retryOf` in its trace)"),
});

export const DeadEvents = z.object({ total: z.int(), oldest: z.array(Json) });
export const ReplayAnswer = z.object({ replayed: z.int(), left: z.int() });

export const HealthComponent = z.object({
  name: z.string().describe("config, secrets:<source>, storage, queues, postgres, model:<provider>, admin"),
  status: z.enum(["up", "down", "skipped"]),
  required: z.boolean(),
  detail: z.string().describe("Names env vars and hosts, never secret values"),
});

export const Health = z.looseObject({
  status: z.enum(["ok", "unavailable"]),
  env: z.string().nullable(),
  runtime: z.string(),
  components: z.array(HealthComponent),
  sources: z.array(z.object({ name: z.string(), channel: z.string(), route: z.string() })),
});

export const Live = z.object({ status: z.literal("ok") });

export const OpenApiDoc = z.looseObject({ openapi: z.string() }).describe("This document");

/** Query parameters shared by the lists. */
export const ListQuery = {
  since: z.string().describe("ISO 8601 time or epoch ms"),
  until: z.string().describe("ISO 8601 time or epoch ms"),
  cursor: z.string().describe("`nextCursor` from the previous page, as is"),
  limit: z.int().min(1).max(500).default(100),
};

export const RunStatusQuery = z.enum(RUN_STATUSES);

/** Every named schema, as `components.schemas`. */
export const COMPONENTS = {
  Json,
  Problem,
  Ack,
  WhatsAppAck,
  TelegramUpdate,
  WhatsAppWebhook,
  RunListItem,
  RunList,
  TraceStep,
  RunTrace,
  CancelAnswer,
  ResumeAnswer,
  Delivery,
  DeliveryList,
  DeliveryDetail,
  DeadEvents,
  ReplayAnswer,
  Health,
  OpenApiDoc,
} as const;
