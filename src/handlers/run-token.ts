import { createMiddleware } from "hono/factory";
import { timingSafeEqualText } from "../core/verify/timing-safe.ts";
import { requireAdmin } from "./admin.ts";
import type { AppEnv } from "./context.ts";

const encoder = new TextEncoder();

/**
 * A read token for one run, returned in the 202 to the generic sender that started it, so the sender can
 * poll `GET /runs/:id` without the admin token. It is an HMAC of the run id under the admin token: nothing
 * to store, and rotating the admin token revokes every run token. No admin token, no run tokens.
 */
export async function runTokenFor(key: string, runId: string): Promise<string> {
  const k = await crypto.subtle.importKey(
    "raw",
    encoder.encode(key),
    { name: "HMAC", hash: "SHA-256" },
    false,
    ["sign"],
  );
  const mac = new Uint8Array(await crypto.subtle.sign("HMAC", k, encoder.encode(`hookline-run:${runId}`)));
  let hex = "";
  for (const b of mac.subarray(0, 20)) hex += b.toString(16).padStart(2, "0");
  return `rt_${hex}`;
}

/** The admin token's value, if the admin API is open. */
export function adminKey(c: { get: (k: "config" | "res") => unknown }): string | undefined {
  const config = c.get("config") as { admin: { tokenEnv: string } };
  const res = c.get("res") as { secrets: Record<string, string | undefined> };
  const value = res.secrets[config.admin.tokenEnv];
  return typeof value === "string" && value !== "" ? value : undefined;
}

/** `GET /runs/:id`: the admin token, or that run's own token (`Authorization: Bearer rt_…`). */
export const adminOrRunToken = createMiddleware<AppEnv>(async (c, next) => {
  const header = c.req.header("authorization") ?? "";
  const given = header.startsWith("Bearer rt_") ? header.slice("Bearer ".length) : undefined;
  const key = adminKey(c);
  if (given && key) {
    const expected = await runTokenFor(key, c.req.param("id") ?? "");
    if (timingSafeEqualText(given, expected)) return next();
  }
  return requireAdmin(c, next);
});
