import { z } from "zod";
import * as S from "./api-schemas.ts";
import type { ProblemCode } from "./problem.ts";

/**
 * Every route of the HTTP API, for `/openapi.json` and docs/api.md (`npm run docs:api`). The handlers stay
 * plain Hono (a webhook's raw bytes must be verified before anything parses them, so no validator middleware
 * sits in front of them); this table names the schemas they parse with and what they answer.
 * test/node/openapi.test.ts fails when the app serves a route this table lacks, or the other way round.
 *
 * Adding a route: add its entry here (the section below that fits, or a new one), then `npm run docs:api`.
 */

export type Auth = "none" | "signature" | "admin" | "admin-or-run-token";

export interface Param {
  description: string;
  schema?: z.ZodType;
  required?: boolean;
}

export interface ApiResponse {
  description: string;
  /** A component from api-schemas.ts (JSON), or a content type with no schema (e.g. text/plain). */
  schema?: z.ZodType;
  contentType?: string;
}

export interface ApiRoute {
  method: "get" | "post";
  /** Hono syntax: `/runs/:id`. */
  path: string;
  tag: "webhooks" | "runs" | "admin" | "meta";
  summary: string;
  description?: string;
  auth: Auth;
  params?: Record<string, Param>;
  query?: Record<string, Param>;
  body?: { schema: z.ZodType; description: string; contentType?: string };
  responses: Record<number, ApiResponse>;
  /** Error answers (problem.ts codes); their statuses come from problem.ts. */
  errors: ProblemCode[];
}

const SIGNATURE_ERRORS: ProblemCode[] = [
  "unknown_source",
  "payload_too_large",
  "missing_header",
  "malformed_header",
  "stale",
  "bad_signature",
  "no_secret",
  "bad_secret",
  "malformed_json",
  "invalid_payload",
  "not_recorded",
  "overloaded",
];
const ADMIN_ERRORS: ProblemCode[] = ["unauthorized", "admin_disabled"];
const runId = { id: { description: "The run id (`runId` from the 202, a list or a trace)" } };
const listQuery = (extra: Record<string, Param>): Record<string, Param> => ({
  ...extra,
  since: { description: "Only rows at or after this time (ISO 8601 or epoch ms)", schema: S.ListQuery.since },
  until: {
    description: "Only rows at or before this time (ISO 8601 or epoch ms)",
    schema: S.ListQuery.until,
  },
  cursor: { description: "`nextCursor` from the previous page, as is", schema: S.ListQuery.cursor },
  limit: { description: "Rows per page, 1–500", schema: S.ListQuery.limit },
});

export const API_ROUTES: ApiRoute[] = [
  // ---- webhooks: signed senders ------------------------------------------------------------------------
  {
    method: "post",
    path: "/webhooks/telegram/:bot",
    tag: "webhooks",
    summary: "A Telegram Bot API update",
    description:
      "Verified by `X-Telegram-Bot-Api-Secret-Token` (the webhook's `secret_token`), deduplicated by `update_id`.",
    auth: "signature",
    params: { bot: { description: "A source with `channel: telegram`" } },
    body: { schema: S.COMPONENTS.TelegramUpdate, description: "One update, as Telegram sends it" },
    responses: {
      200: { description: "Recorded: a duplicate, or a message that starts no run", schema: S.Ack },
      202: { description: "Recorded, and it started a run (`runId`)", schema: S.Ack },
    },
    errors: SIGNATURE_ERRORS,
  },
  {
    method: "get",
    path: "/webhooks/whatsapp/:app",
    tag: "webhooks",
    summary: "Meta's verify-token handshake",
    description: "Echoes `hub.challenge` when `hub.verify_token` matches the source's verify token.",
    auth: "none",
    params: { app: { description: "A source with `channel: whatsapp`" } },
    query: {
      "hub.mode": { description: "Must be `subscribe`", schema: z.literal("subscribe"), required: true },
      "hub.verify_token": { description: "The verify token set in the Meta dashboard", required: true },
      "hub.challenge": { description: "Echoed back as the body", required: true },
    },
    responses: { 200: { description: "The challenge, as text", contentType: "text/plain" } },
    errors: ["unknown_source", "missing_param", "bad_mode", "bad_verify_token", "no_secret"],
  },
  {
    method: "post",
    path: "/webhooks/whatsapp/:app",
    tag: "webhooks",
    summary: "A signed WhatsApp Cloud API batch",
    description:
      "Verified by `X-Hub-Signature-256` over the raw body. Each message is its own delivery (keyed by `wamid`); statuses are recorded, never runs.",
    auth: "signature",
    params: { app: { description: "A source with `channel: whatsapp`" } },
    body: { schema: S.COMPONENTS.WhatsAppWebhook, description: "One webhook POST, as Meta sends it" },
    responses: { 200: { description: "Every message and status recorded", schema: S.WhatsAppAck } },
    errors: SIGNATURE_ERRORS,
  },
  {
    method: "post",
    path: "/webhooks/in/:source",
    tag: "webhooks",
    summary: "A generic signed sender",
    description:
      "Standard Webhooks, GitHub or Stripe signatures, chosen per source. The delivery id is `webhook-id`, `X-GitHub-Delivery` or the event's `id`.",
    auth: "signature",
    params: { source: { description: "A source with `channel: generic`" } },
    body: { schema: S.Json, description: "Any JSON document; what it means is the workflow's business" },
    responses: {
      200: { description: "Recorded: a duplicate, or a source without a workflow", schema: S.Ack },
      202: { description: "Recorded, and it started a run (`runId`, `runToken`)", schema: S.Ack },
    },
    errors: [...SIGNATURE_ERRORS, "missing_delivery_id"],
  },

  // ---- runs ----------------------------------------------------------------------------------------------
  {
    method: "get",
    path: "/runs",
    tag: "runs",
    summary: "Runs, newest first",
    auth: "admin",
    query: listQuery({
      status: { description: "Only runs with this status", schema: S.RunStatusQuery },
      workflow: { description: "Only runs of this workflow id" },
      source: { description: "Only runs started by this source" },
      q: { description: "Free text over input, output and error (Postgres history only)" },
    }),
    responses: { 200: { description: "One page", schema: S.RunList } },
    errors: [...ADMIN_ERRORS, "bad_query"],
  },
  {
    method: "get",
    path: "/runs/:id",
    tag: "runs",
    summary: "One run's trace: every step with its output",
    description:
      "Admin token, or the run's own `runToken` (`Authorization: Bearer rt_…`). A run that has not started yet (its 202 has just come back) is waited for up to 3 s before the answer is 404.",
    auth: "admin-or-run-token",
    params: runId,
    responses: { 200: { description: "The trace", schema: S.RunTrace } },
    errors: [...ADMIN_ERRORS, "not_found"],
  },
  {
    method: "post",
    path: "/runs/:id/restart",
    tag: "runs",
    summary:
      "Start a new run with the same pinned workflow and input, linked to this one (a chat run answers in its chat)",
    auth: "admin",
    params: runId,
    responses: { 201: { description: "The new run", schema: S.RelaunchAnswer } },
    errors: [...ADMIN_ERRORS, "csrf", "not_found", "bad_relaunch"],
  },
  {
    method: "post",
    path: "/runs/:id/retry",
    tag: "runs",
    summary:
      "Start a new run at the failed step, reusing the outputs of the steps before it (a chat run answers in its chat)",
    auth: "admin",
    params: runId,
    responses: { 201: { description: "The new run", schema: S.RelaunchAnswer } },
    errors: [...ADMIN_ERRORS, "csrf", "not_found", "bad_relaunch"],
  },
  {
    method: "get",
    path: "/runs/:id/stream",
    tag: "runs",
    summary: "The run's events as Server-Sent Events",
    description:
      "`id:` is the event's sequence number: reconnect with `Last-Event-ID` (or `?after=`) to resume without a gap or a repeat. `token` events carry an llm step's text as it streams; `end` closes the stream once the run is over. A run that has not started yet (its 202 has just come back) is waited for up to 3 s before the answer is 404.",
    auth: "admin-or-run-token",
    params: runId,
    responses: { 200: { description: "The event stream", contentType: "text/event-stream" } },
    errors: [...ADMIN_ERRORS, "not_found"],
  },
  {
    method: "post",
    path: "/runs/:id/cancel",
    tag: "runs",
    summary: "Cancel a run",
    description: "Committed before it is answered; in-flight steps are aborted right after.",
    auth: "admin",
    params: runId,
    responses: {
      200: { description: "Cancelled, or already finished (`alreadyFinished`)", schema: S.CancelAnswer },
    },
    errors: [...ADMIN_ERRORS, "not_found"],
  },
  {
    method: "post",
    path: "/runs/:id/resume",
    tag: "runs",
    summary: "Resume a waiting run",
    auth: "admin",
    params: runId,
    query: { step: { description: "The wait step to resume, when several wait" } },
    body: { schema: S.Json, description: "Input the wait step's schema accepts" },
    responses: { 200: { description: "Resumed", schema: S.ResumeAnswer } },
    errors: [...ADMIN_ERRORS, "not_found", "malformed_json", "bad_resume"],
  },
  // The dashboard's run routes (/runs/:id/stream, /runs/:id/restart, /runs/:id/retry) go here.

  // ---- admin ---------------------------------------------------------------------------------------------
  {
    method: "get",
    path: "/admin/deliveries",
    tag: "admin",
    summary: "Recent deliveries, newest first",
    auth: "admin",
    query: listQuery({
      source: { description: "Only deliveries of this source" },
      outcome: { description: "Only this outcome: accepted, recorded" },
    }),
    responses: { 200: { description: "One page", schema: S.DeliveryList } },
    errors: [...ADMIN_ERRORS, "bad_query"],
  },
  {
    method: "get",
    path: "/admin/deliveries/:key",
    tag: "admin",
    summary: "One delivery from the authoritative ledger, with its normalized event",
    auth: "admin",
    params: { key: { description: "The delivery key, e.g. `demo-bot:1795316277`" } },
    query: {
      session: { description: "A chat delivery's `sessionKey`, when the index does not know the key yet" },
    },
    responses: { 200: { description: "The delivery", schema: S.DeliveryDetail } },
    errors: [...ADMIN_ERRORS, "not_found"],
  },
  {
    method: "get",
    path: "/admin/events/dead",
    tag: "admin",
    summary: "EVENTS messages that exhausted their retries (the oldest 20)",
    auth: "admin",
    responses: { 200: { description: "How many, and the oldest", schema: S.DeadEvents } },
    errors: ADMIN_ERRORS,
  },
  {
    method: "post",
    path: "/admin/events/replay",
    tag: "admin",
    summary: "Send dead-lettered EVENTS back to the queue",
    auth: "admin",
    responses: { 200: { description: "How many went back, how many are left", schema: S.ReplayAnswer } },
    errors: ADMIN_ERRORS,
  },

  // ---- meta ----------------------------------------------------------------------------------------------
  {
    method: "get",
    path: "/health",
    tag: "meta",
    summary: "Readiness: each component, and the routes this config serves",
    auth: "none",
    responses: {
      200: { description: "Every required component is up", schema: S.Health },
      503: { description: "A required component is down (see `components`)", schema: S.Health },
    },
    errors: [],
  },
  {
    method: "get",
    path: "/health/live",
    tag: "meta",
    summary: "Liveness: the process answers (no I/O)",
    auth: "none",
    responses: { 200: { description: "Alive", schema: S.Live } },
    errors: [],
  },
  {
    method: "get",
    path: "/metrics",
    tag: "meta",
    summary: "Counters and histograms in Prometheus text format 0.0.4",
    auth: "admin",
    responses: { 200: { description: "The metrics", contentType: "text/plain" } },
    errors: ADMIN_ERRORS,
  },
  {
    method: "get",
    path: "/openapi.json",
    tag: "meta",
    summary: "This API as OpenAPI 3.1",
    auth: "none",
    responses: { 200: { description: "The document", schema: S.OpenApiDoc } },
    errors: [],
  },
  {
    method: "get",
    path: "/admin/stream",
    tag: "admin",
    summary: "Server-Sent Events of recent run events (the dashboard's live feed)",
    auth: "admin",
    responses: { 200: { description: "The event stream", contentType: "text/event-stream" } },
    errors: ADMIN_ERRORS,
  },
  {
    method: "get",
    path: "/dashboard",
    tag: "meta",
    summary: "The operator console (sign-in page without a session)",
    auth: "none",
    responses: { 200: { description: "The page", contentType: "text/html" } },
    errors: [],
  },
  {
    method: "post",
    path: "/dashboard/login",
    tag: "meta",
    summary: "Exchange the admin token (form field `token`) for a signed HttpOnly session cookie",
    auth: "none",
    responses: { 303: { description: "Signed in: to the dashboard" }, 401: { description: "Wrong token" } },
    errors: ["csrf"],
  },
  {
    method: "post",
    path: "/dashboard/logout",
    tag: "meta",
    summary: "End the dashboard session",
    auth: "none",
    responses: { 303: { description: "Signed out: to the sign-in page" } },
    errors: ["csrf"],
  },
  {
    method: "get",
    path: "/dashboard/app.js",
    tag: "meta",
    summary: "The dashboard's script",
    auth: "none",
    responses: { 200: { description: "JavaScript", contentType: "text/javascript" } },
    errors: [],
  },
  {
    method: "get",
    path: "/dashboard/app.css",
    tag: "meta",
    summary: "The dashboard's styles",
    auth: "none",
    responses: { 200: { description: "CSS", contentType: "text/css" } },
    errors: [],
  },
];

/** What every error code means and what the sender (or operator) should do. */
export const PROBLEM_DOCS: Record<ProblemCode, { meaning: string; todo: string }> = {
  missing_header: {
    meaning: "A signature header the scheme needs is missing.",
    todo: "Send the scheme's headers.",
  },
  malformed_header: {
    meaning: "A signature header is there but not in the scheme's format.",
    todo: "Fix the header's format.",
  },
  stale: {
    meaning: "The signed timestamp is outside the tolerance (5 minutes by default).",
    todo: "Check the sender's clock; sign again.",
  },
  bad_signature: {
    meaning: "The signature does not match the raw body under any configured secret.",
    todo: "Check the secret, and that nothing re-encodes the body on the way.",
  },
  no_secret: {
    meaning: "The source's secret is not set here. Nothing unverified is processed.",
    todo: "Retry (Retry-After: 30); the operator sets the secret.",
  },
  bad_secret: {
    meaning: "The source's secret is set but unusable for its scheme (e.g. not a `whsec_` key).",
    todo: "Retry; the operator fixes the secret.",
  },
  unknown_source: {
    meaning: "No source of that name for this route's channel.",
    todo: "Fix the URL, or add the source to hookline.yaml.",
  },
  payload_too_large: {
    meaning: "The body is over `maxBodyBytes` (default 1 MiB), counted on the stream.",
    todo: "Send a smaller body, or raise the limit.",
  },
  malformed_json: { meaning: "Verified, but the body is not JSON.", todo: "Send JSON." },
  invalid_payload: {
    meaning: "Verified JSON, but not the channel's shape; `path` says where.",
    todo: "Fix the body at `path`.",
  },
  missing_delivery_id: {
    meaning: "Verified, but the delivery has no id to deduplicate by.",
    todo: "Send `webhook-id`, `X-GitHub-Delivery`, or the event's `id`, per scheme.",
  },
  overloaded: {
    meaning:
      "More deliveries are in progress in this isolate or process than `defaults.maxInflight` (512); nothing was recorded.",
    todo: "Retry after the `Retry-After` seconds (2); senders do. Raise `defaults.maxInflight` only if the host keeps up.",
  },
  not_recorded: {
    meaning: "The durable record could not be written; the delivery was not kept or acknowledged.",
    todo: "Retry (Retry-After: 30).",
  },
  missing_param: {
    meaning: "The WhatsApp handshake lacks `hub.mode`, `hub.verify_token` or `hub.challenge`.",
    todo: "Send all three.",
  },
  bad_mode: { meaning: "The WhatsApp handshake's `hub.mode` is not `subscribe`.", todo: "Send `subscribe`." },
  bad_verify_token: {
    meaning: "The WhatsApp handshake's verify token does not match the source's.",
    todo: "Use the same token in the Meta dashboard and in the verify token secret.",
  },
  unauthorized: {
    meaning: "No or a wrong bearer token (`WWW-Authenticate: Bearer`).",
    todo: "Send `Authorization: Bearer <admin token>` (or the run's `rt_…` token for its trace).",
  },
  admin_disabled: {
    meaning: "The admin API is closed: the admin token (`admin.tokenEnv`) is not set.",
    todo: "The operator sets HOOKLINE_ADMIN_TOKEN.",
  },
  bad_query: {
    meaning: "A query parameter is invalid (time, limit, cursor, status), or `q` without Postgres history.",
    todo: "Fix the parameter the message names.",
  },
  bad_resume: {
    meaning: "The run did not resume: it is not waiting, or the body does not match the wait step's schema.",
    todo: "Check the run's status and the step's schema; do not retry as is.",
  },
  not_found: { meaning: "No such route, run or delivery (or it expired).", todo: "Check the path or id." },
  config_invalid: {
    meaning: "The deployed config is invalid; the logs name the file and path.",
    todo: "Retry later; the operator fixes the config.",
  },
  internal: {
    meaning: "An unexpected error; the logs have it.",
    todo: "Retry later; report it if it stays.",
  },
  bad_relaunch: {
    meaning: "The run cannot be restarted or retried (e.g. retry of a run that did not fail).",
    todo: "Check the run's status; retry only a failed run, restart any finished one.",
  },
  csrf: {
    meaning:
      "A mutating call with the dashboard cookie lacked the session's X-CSRF token or came from another origin.",
    todo: "Send the X-CSRF token the dashboard page carries, from the same origin (or use the bearer token).",
  },
};
