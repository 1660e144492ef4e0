import type { InboundEvent } from "../inbound-event.ts";

export type GenericScheme = "standard-webhooks" | "github" | "stripe";

export type GenericResult = { ok: true; event: InboundEvent } | { ok: false; code: string; message: string };

/** RFC 6901 JSON pointer lookup; returns undefined for anything that is not a string or number. */
export function readPointer(body: unknown, pointer: string): string | undefined {
  let node = body;
  for (const raw of pointer.split("/").slice(1)) {
    const key = raw.replaceAll("~1", "/").replaceAll("~0", "~");
    if (typeof node !== "object" || node === null) return undefined;
    node = (node as Record<string, unknown>)[key];
  }
  return typeof node === "string" || typeof node === "number" ? String(node) : undefined;
}

/** Where each scheme puts the id its sender reuses on every retry. */
function deliveryIdOf(scheme: GenericScheme, headers: Headers, body: unknown): string | undefined {
  switch (scheme) {
    case "standard-webhooks":
      return headers.get("webhook-id") ?? undefined;
    case "github":
      return headers.get("x-github-delivery") ?? undefined;
    case "stripe":
      return readPointer(body, "/id");
  }
}

/**
 * Deliveries without a conversation share this many ledger shards per source. Copies of one delivery
 * always land in the same shard (the shard is a hash of its id), so dedup holds; spreading over a few warm
 * objects avoids creating a new Durable Object, with its own database, for every delivery.
 */
export const LEDGER_SHARDS = 32;

/**
 * The ledger shard for a delivery id: FNV-1a, 32 bit.
 *
 * @example ledgerShard("msg_2Lk…") // 0..31
 */
export function ledgerShard(id: string): number {
  let hash = 0x811c9dc5;
  for (let i = 0; i < id.length; i++) {
    hash ^= id.charCodeAt(i);
    hash = Math.imul(hash, 0x01000193);
  }
  return (hash >>> 0) % LEDGER_SHARDS;
}

const WHERE: Record<GenericScheme, string> = {
  "standard-webhooks": "the webhook-id header",
  github: "the X-GitHub-Delivery header",
  stripe: "the event's `id` field",
};

/**
 * Normalizes a verified generic delivery. The session is the value at `sessionPointer` when given,
 * otherwise one of the source's ledger shards.
 *
 * @example normalizeGeneric({ source: "orders", scheme: "standard-webhooks", headers, body, receivedAt })
 */
export function normalizeGeneric(args: {
  source: string;
  scheme: GenericScheme;
  headers: Headers;
  body: unknown;
  receivedAt: string;
  sessionPointer?: string;
}): GenericResult {
  const id = deliveryIdOf(args.scheme, args.headers, args.body);
  if (!id)
    return {
      ok: false,
      code: "missing_delivery_id",
      message: `no delivery id: expected ${WHERE[args.scheme]}`,
    };
  const session = args.sessionPointer ? readPointer(args.body, args.sessionPointer) : undefined;
  return {
    ok: true,
    event: {
      kind: "event",
      channel: "generic",
      source: args.source,
      deliveryKey: `${args.source}:${id}`,
      sessionKey: session ? `in:${args.source}:${session}` : `in:${args.source}:ledger:${ledgerShard(id)}`,
      payload: args.body,
      receivedAt: args.receivedAt,
    },
  };
}
