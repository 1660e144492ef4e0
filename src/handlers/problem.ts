import type { VerifyReason } from "../core/verify/types.ts";

/**
 * Every error Hookline answers with, in one place: a stable `error` code for machines, a `message`
 * for people. Bodies never carry secret material, only the names of things to fix.
 */
export type ProblemCode =
  | VerifyReason
  | "unknown_source"
  | "payload_too_large"
  | "malformed_json"
  | "invalid_payload"
  | "missing_delivery_id"
  | "not_recorded"
  | "overloaded"
  | "missing_param"
  | "bad_mode"
  | "bad_verify_token"
  | "unauthorized"
  | "admin_disabled"
  | "bad_query"
  | "bad_resume"
  | "bad_relaunch"
  | "csrf"
  | "not_found"
  | "config_invalid"
  | "internal";

const STATUS: Record<ProblemCode, number> = {
  missing_header: 401,
  malformed_header: 401,
  stale: 401,
  bad_signature: 401,
  // A missing or unusable secret is our misconfiguration, not the sender's fault: 503 makes senders retry,
  // so nothing is lost while the operator sets the secret, and nothing unverified is processed.
  no_secret: 503,
  bad_secret: 503,
  unknown_source: 404,
  payload_too_large: 413,
  malformed_json: 400,
  invalid_payload: 400,
  missing_delivery_id: 400,
  not_recorded: 503,
  overloaded: 503,
  missing_param: 400,
  bad_mode: 400,
  bad_verify_token: 403,
  unauthorized: 401,
  admin_disabled: 403,
  bad_query: 400,
  bad_resume: 409,
  bad_relaunch: 409,
  csrf: 403,
  not_found: 404,
  config_invalid: 500,
  internal: 500,
};

const MESSAGE: Partial<Record<ProblemCode, string>> = {
  missing_header: "a required signature header is missing",
  malformed_header: "a signature header is malformed",
  stale: "the signed timestamp is outside the allowed tolerance",
  bad_signature: "the signature does not match the body",
  no_secret: "this source has no secret configured; deliveries are refused until one is set",
  bad_secret: "this source's secret is not usable for its scheme; fix the configured secret",
  not_recorded: "the delivery could not be recorded durably; retry later",
  overloaded: "too many deliveries in progress; retry shortly",
};

/** A JSON problem response. `Retry-After` goes on 503s so well-behaved senders back off. */
export function problem(code: ProblemCode, message?: string, extra?: Record<string, unknown>): Response {
  const status = STATUS[code];
  const headers: Record<string, string> = { "content-type": "application/json; charset=utf-8" };
  if (status === 503) headers["retry-after"] = code === "overloaded" ? "2" : "30";
  return new Response(JSON.stringify({ error: code, message: message ?? MESSAGE[code] ?? code, ...extra }), {
    status,
    headers,
  });
}

/** The HTTP status each code is answered with (for /openapi.json and docs/api.md). */
export function statusOf(code: ProblemCode): number {
  return STATUS[code];
}
