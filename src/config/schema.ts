import { z } from "zod";
import { DurationSchema } from "../core/duration.ts";
import type { Scheme } from "../core/verify/types.ts";
import { PriceTableSchema } from "../engine/governor.ts";
import { type Workflow, WorkflowSchema } from "../engine/workflow-schema.ts";
import { NEWEST_GRAPH_VERSION } from "./graph-versions.ts";
import { checkTriggers } from "./trigger-check.ts";
import { TriggersSchema } from "./trigger-schema.ts";

/** A duration in config ("26h", "4d", 500); parsed to milliseconds. */
export const Duration = DurationSchema;

/** Env var names, never values: secrets live in wrangler secrets or `.dev.vars`. Several names = key rotation. */
const EnvNames = z
  .union([z.string(), z.array(z.string()).min(1)])
  .transform((v) => (typeof v === "string" ? [v] : v))
  .pipe(
    z.array(
      z
        .string()
        .regex(
          /^[A-Z][A-Z0-9_]*$/,
          "must be an env var NAME in SCREAMING_CASE (the value goes in .dev.vars)",
        ),
    ),
  );

const common = {
  /** How long a delivery key is remembered; defaults outlast the sender's retry window. */
  retention: Duration.optional(),
  /** Largest accepted body; bigger gets 413. */
  maxBodyBytes: z.number().int().positive().optional(),
  description: z.string().optional(),
  /** The workflow a recorded delivery from this source starts (full trigger rules come with channels). */
  workflow: z.string().optional(),
};

const EnvName = z
  .string()
  .regex(/^[A-Z][A-Z0-9_]*$/, "must be an env var NAME in SCREAMING_CASE (the value goes in .dev.vars)");

/** What a chat session does with commands and a message that arrives while a run is active. */
const Chat = z
  .strictObject({
    /** Text for /start and /help (Telegram) or "help" (WhatsApp). */
    helpText: z
      .string()
      .default(
        "Hi! Send me a message and I will answer. /stop stops an answer, /status shows what I am doing.",
      ),
    /** Words that act as commands on WhatsApp, which has no slash commands. */
    stopWords: z.array(z.string()).default(["stop"]),
    statusWords: z.array(z.string()).default(["status"]),
    /** Whether /stop also drops the queued messages. */
    stopClearsQueue: z.boolean().default(true),
    /** Whether edited messages (Telegram edited_message) start work too. */
    editedMessages: z.boolean().default(false),
  })
  .prefault({});

export const TelegramSource = z.strictObject({
  channel: z.literal("telegram"),
  /** The `secret_token` given to setWebhook; Telegram echoes it in X-Telegram-Bot-Api-Secret-Token. */
  secretEnv: EnvNames,
  /** The bot token from @BotFather, for replies and `hookline telegram set-webhook`. */
  botTokenEnv: EnvName.optional(),
  /** Bot API root; tests and self-hosted Bot API servers change it. */
  apiRoot: z.url().default("https://api.telegram.org"),
  /** An env var that, when set, overrides `apiRoot` (per environment, e.g. a local fake in tests). */
  apiRootEnv: EnvName.optional(),
  /** The bot's @username, so "/ask@MyBot" matches in groups. */
  botUsername: z.string().optional(),
  chat: Chat,
  ...common,
});

export const WhatsAppSource = z.strictObject({
  channel: z.literal("whatsapp"),
  /** The Meta app secret; signs every POST in X-Hub-Signature-256. */
  appSecretEnv: EnvNames,
  /** The verify token you type into the Meta dashboard for the GET handshake. */
  verifyTokenEnv: EnvNames,
  /** A (system user) access token for the Cloud API, for replies and read receipts. */
  accessTokenEnv: EnvName.optional(),
  /** Graph API base URL and version; tests point the base URL at a local server. */
  graphBaseUrl: z.url().default("https://graph.facebook.com"),
  /** An env var that, when set, overrides `graphBaseUrl`. */
  graphBaseUrlEnv: EnvName.optional(),
  /** Keep it current: Meta retires each version about two years after its release (see `hookline doctor`). */
  graphVersion: z
    .string()
    .regex(/^v\d+\.\d+$/)
    .default(NEWEST_GRAPH_VERSION),
  chat: Chat,
  ...common,
});

export const GenericSource = z.strictObject({
  channel: z.literal("generic"),
  scheme: z.enum(["standard-webhooks", "github", "stripe"]),
  secretEnv: EnvNames,
  /** Timestamp tolerance for schemes that sign a timestamp (default 300 s). */
  toleranceSec: z.number().int().positive().optional(),
  /**
   * JSON pointer into the body naming the conversation (e.g. "/customer/id"). Deliveries with the same
   * value share a session. Without it deliveries are spread over the source's ledger shards by id.
   */
  sessionKey: z.string().startsWith("/").optional(),
  /**
   * Where a run's `reply` steps are POSTed, signed with Standard Webhooks (webhook-id/-timestamp/-signature)
   * using the `whsec_` key in `secretEnv`, so the receiver can verify us.
   */
  reply: z
    .strictObject({ url: z.url({ protocol: /^https?$/ }), secretEnv: z.string().regex(/^[A-Z][A-Z0-9_]*$/) })
    .optional(),
  ...common,
});

export const Source = z.discriminatedUnion("channel", [TelegramSource, WhatsAppSource, GenericSource]);

const ConfigShape = z.strictObject({
  version: z.literal(1),
  defaults: z
    .strictObject({
      maxBodyBytes: z.number().int().positive().default(1_048_576),
      /**
       * Deliveries one isolate (or Node process) handles at once. Past it, a webhook is answered 503
       * `overloaded` with `Retry-After: 2` at once, so the sender retries later and nothing is lost, instead of
       * queueing without bound: requests a sender has already given up on would still be worked through, and
       * each holds a socket (a local workerd ran out of file descriptors that way after a restart under load).
       * 512 stays far below a process's descriptor limit and above the bursts real senders make (Telegram
       * opens at most 100 connections per bot; the dedup test sends 200 copies of one delivery at once).
       */
      maxInflight: z.number().int().positive().default(512),
      /**
       * The model an llm step gets when it says `model: default`. `echo` (the built-in offline stand-in)
       * unless set; `hookline serve --offline` sets it to `ollama:<OLLAMA_MODEL>`.
       */
      model: z.string().min(1).default("echo"),
      /**
       * Run a sequential llm/http step's first attempt inside the RunObject, right after the transition
       * that started it, instead of a queue hop. Fan-out, retries and steps whose timeout exceeds
       * `inlineMaxTimeout` go through the STEPS queue. An inline attempt cut short by an eviction is handed
       * to the queue by the next instance, and is still applied once.
       */
      inlineSteps: z.boolean().default(true),
      inlineMaxTimeout: DurationSchema.default(120_000),
    })
    .prefault({}),
  admin: z.strictObject({ tokenEnv: z.string().default("HOOKLINE_ADMIN_TOKEN") }).prefault({}),
  /**
   * Run history in Postgres, used when `DATABASE_URL` is set (else the Durable Object index keeps it).
   * `retention`: runs, their steps and events, and deliveries older than this are purged (e.g. `30d`).
   */
  history: z.strictObject({ retention: DurationSchema.default(30 * 24 * 60 * 60_000) }).prefault({}),
  sources: z.record(
    z.string().regex(/^[a-z0-9][a-z0-9-]*$/, "use lowercase letters, digits and dashes"),
    Source,
  ),
  /** Workflow definitions by id; validated by the engine's schema (the key is the id). */
  workflows: z
    .record(
      z.string().regex(/^[a-z0-9][a-z0-9-_]*$/, "use lowercase letters, digits, - and _"),
      z.record(z.string(), z.unknown()),
    )
    .default({}),
  /** Trigger rules: which chat messages start which workflow, and the session's onBusy policy. */
  triggers: TriggersSchema.default([]),
  /** Price table for the usage governor: USD per 1M tokens, by model string. */
  models: PriceTableSchema.default({}),
  /** Outbound HTTP steps: hosts (host or host:port) that may be private addresses. */
  http: z.strictObject({ allowHosts: z.array(z.string()).default([]) }).prefault({}),
});

export const HooklineConfig = ConfigShape.transform((cfg, ctx) => {
  const workflows: Record<string, Workflow> = {};
  for (const [id, raw] of Object.entries(cfg.workflows)) {
    const parsed = WorkflowSchema.safeParse({ id, ...raw });
    if (parsed.success) workflows[id] = parsed.data;
    else {
      for (const issue of parsed.error.issues) {
        ctx.addIssue({ code: "custom", message: issue.message, path: ["workflows", id, ...issue.path] });
      }
    }
  }
  for (const [name, source] of Object.entries(cfg.sources)) {
    if (source.workflow && !(source.workflow in cfg.workflows)) {
      ctx.addIssue({
        code: "custom",
        message: `no workflow "${source.workflow}"; define it under workflows: or fix the name (known: ${Object.keys(cfg.workflows).join(", ") || "none"})`,
        path: ["sources", name, "workflow"],
      });
    }
  }
  for (const issue of checkTriggers(cfg.triggers, Object.keys(cfg.workflows))) {
    ctx.addIssue({ code: "custom", path: issue.segments, message: issue.message });
  }
  return { ...cfg, workflows };
});

export type HooklineConfig = z.output<typeof HooklineConfig>;
export type Source = z.infer<typeof Source>;
export type SourceName = string;
export type Channel = Source["channel"];

/** Sender retry windows, plus a margin: Telegram ~24 h, Stripe/Standard Webhooks/GitHub ~3 d, Meta up to 7 d. */
export const DEFAULT_RETENTION_MS: Record<Scheme, number> = {
  telegram: 26 * 3_600_000,
  meta: 8 * 86_400_000,
  "standard-webhooks": 4 * 86_400_000,
  github: 4 * 86_400_000,
  stripe: 4 * 86_400_000,
};

/** The signature scheme a source is verified with. */
export function schemeOf(source: Source): Scheme {
  if (source.channel === "telegram") return "telegram";
  if (source.channel === "whatsapp") return "meta";
  return source.scheme;
}

/** Retention for a source's dedup keys, in ms. */
export function retentionOf(source: Source): number {
  return source.retention ?? DEFAULT_RETENTION_MS[schemeOf(source)];
}
