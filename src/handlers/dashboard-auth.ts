import type { Context } from "hono";
import { deleteCookie, getSignedCookie, setSignedCookie } from "hono/cookie";
import type { AppEnv } from "./context.ts";

/** The dashboard's session cookie: HttpOnly, SameSite=Strict, signed, with its expiry inside the value. */
export const SESSION_COOKIE = "hookline_dashboard";
/** A dashboard session lasts this long; signing in again starts a new one. */
export const SESSION_TTL_MS = 8 * 60 * 60_000;

const encoder = new TextEncoder();

export interface DashboardSession {
  /** When the session ends (ms). */
  exp: number;
  /** Sent back as `X-CSRF` on every mutating call (the page reads it from a meta tag). */
  csrf: string;
}

type Ctx = Context<AppEnv>;

/** The admin token's value, if the admin API is open. */
function adminTokenOf(c: Ctx): string | undefined {
  const value = c.get("res").secrets[c.get("config").admin.tokenEnv];
  return typeof value === "string" && value !== "" ? value : undefined;
}

/**
 * The cookie's signing key: an HMAC of a label under the admin token, so the token itself never signs
 * anything a browser holds, and rotating the token ends every dashboard session.
 */
async function signingKey(token: string): Promise<ArrayBuffer> {
  const k = await crypto.subtle.importKey(
    "raw",
    encoder.encode(token),
    { name: "HMAC", hash: "SHA-256" },
    false,
    ["sign"],
  );
  return crypto.subtle.sign("HMAC", k, encoder.encode("hookline-dashboard-session"));
}

/** The signed-in dashboard session of this request, if its cookie is valid and not expired. */
export async function dashboardSession(c: Ctx, now = Date.now()): Promise<DashboardSession | null> {
  const token = adminTokenOf(c);
  if (!token || !c.req.header("cookie")?.includes(SESSION_COOKIE)) return null;
  const value = await getSignedCookie(c, await signingKey(token), SESSION_COOKIE);
  if (typeof value !== "string") return null;
  const [exp, csrf] = value.split(".");
  const expiresAt = Number(exp);
  if (!csrf || !Number.isFinite(expiresAt) || expiresAt <= now) return null;
  return { exp: expiresAt, csrf };
}

/** Starts a session (the caller has checked the token): sets the cookie, returns the CSRF token. */
export async function startSession(c: Ctx, token: string, now = Date.now()): Promise<DashboardSession> {
  const csrf = randomHex(16);
  const exp = now + SESSION_TTL_MS;
  await setSignedCookie(c, SESSION_COOKIE, `${exp}.${csrf}`, await signingKey(token), {
    httpOnly: true,
    sameSite: "Strict",
    path: "/",
    secure: new URL(c.req.url).protocol === "https:",
    maxAge: Math.floor(SESSION_TTL_MS / 1000),
  });
  return { exp, csrf };
}

export function endSession(c: Ctx): void {
  deleteCookie(c, SESSION_COOKIE, { path: "/" });
}

/**
 * Whether a request may change something on a cookie session: the browser says it comes from this origin
 * (`Origin`, else `Sec-Fetch-Site`; a request without either is not from a browser), and it carries the session's CSRF token in `X-CSRF`. SameSite=Strict
 * already keeps the cookie off cross-site requests; this is the second lock.
 */
export function sameOrigin(c: Ctx): boolean {
  const origin = c.req.header("origin");
  // "null" is what a browser sends when it hides the origin (privacy policies, sandboxes): ask Sec-Fetch-Site.
  if (origin && origin !== "null") return origin === new URL(c.req.url).origin;
  const site = c.req.header("sec-fetch-site");
  return site === undefined || site === "same-origin" || site === "none";
}

export function csrfOk(c: Ctx, session: DashboardSession): boolean {
  const given = c.req.header("x-csrf") ?? "";
  return sameOrigin(c) && given.length === session.csrf.length && given === session.csrf;
}

function randomHex(bytes: number): string {
  let hex = "";
  for (const b of crypto.getRandomValues(new Uint8Array(bytes))) hex += b.toString(16).padStart(2, "0");
  return hex;
}
