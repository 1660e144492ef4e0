import { Hono } from "hono";
import { html } from "hono/html";
import type { HtmlEscapedString } from "hono/utils/html";
import { timingSafeEqualText } from "../core/verify/timing-safe.ts";
import { bootedAt } from "./admin-stream.ts";
import type { AppContext, AppEnv } from "./context.ts";
import { DASHBOARD_CSS, DASHBOARD_JS } from "./dashboard-assets.ts";
import { dashboardSession, endSession, sameOrigin, startSession } from "./dashboard-auth.ts";

/** Every dashboard answer: no caching, no framing, scripts and styles from this origin only. */
const SECURITY_HEADERS: Record<string, string> = {
  "cache-control": "no-store",
  "content-security-policy":
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; frame-ancestors 'none'; form-action 'self'; base-uri 'none'",
  "referrer-policy": "same-origin",
  "x-content-type-options": "nosniff",
};

function page(title: string, body: HtmlEscapedString | Promise<HtmlEscapedString>, csrf?: string) {
  return html`<!doctype html>
<html lang="en">
  <head>
    <meta charset="utf-8" />
    <meta name="viewport" content="width=device-width, initial-scale=1" />
    ${csrf ? html`<meta name="csrf" content="${csrf}" />` : ""}
    <title>${title}</title>
    <link rel="stylesheet" href="/dashboard/app.css" />
  </head>
  <body>
    ${body}
  </body>
</html>`;
}

function signInPage(c: AppContext, status: 200 | 401 | 403, message?: string) {
  const tokenEnv = c.get("config").admin.tokenEnv;
  const closed = status === 403;
  const body = html`<main class="signin">
    <h1>Hookline</h1>
    <p>Sign in with the admin token (the value of <code>${tokenEnv}</code>).</p>
    ${message ? html`<p class="alert" role="alert" id="signin-error">${message}</p>` : ""}
    ${
      closed
        ? ""
        : html`<form method="post" action="/dashboard/login">
            <label for="token">Admin token</label>
            <input id="token" name="token" type="password" autocomplete="current-password" required autofocus
              ${message ? html`aria-describedby="signin-error" aria-invalid="true"` : ""} />
            <button type="submit">Sign in</button>
          </form>`
    }
  </main>`;
  return c.html(page("Sign in · Hookline", body), status, SECURITY_HEADERS);
}

function dashboardPage(c: AppContext, csrf: string) {
  const res = c.get("res");
  const body = html`<a class="skip" href="#runs-h">Skip to recent runs</a>
    <header class="top">
      <h1>Hookline <span class="muted">dashboard</span></h1>
      <p class="muted" id="host">runtime ${res.runtime}</p>
      <p id="feed-status" role="status" class="muted">connecting…</p>
      <form method="post" action="/dashboard/logout">
        <input type="hidden" name="csrf" value="${csrf}" />
        <button type="submit">Sign out</button>
      </form>
    </header>
    <main>
      <section aria-labelledby="now-h" class="counters">
        <h2 id="now-h" class="sr-only">Now</h2>
        <dl>
          <div><dt>Deliveries (24 h)</dt><dd id="c-deliveries">…</dd></div>
          <div><dt>Active runs</dt><dd id="c-active">…</dd></div>
          <div><dt>Failures (1 h)</dt><dd id="c-failures">…</dd></div>
          <div><dt>Up</dt><dd id="c-uptime" data-booted="${String(bootedAt())}">…</dd></div>
        </dl>
      </section>
      <div class="grid">
        <section aria-labelledby="runs-h" id="runs">
          <h2 id="runs-h" tabindex="-1">Recent runs</h2>
          <table>
            <caption class="sr-only">Recent runs, newest first; choose a run to see its steps</caption>
            <thead><tr><th scope="col">Run</th><th scope="col">Status</th><th scope="col">Workflow</th><th scope="col">Source</th><th scope="col">Started</th></tr></thead>
            <tbody id="runs-body"><tr><td colspan="5" class="muted">loading…</td></tr></tbody>
          </table>
        </section>
        <section aria-labelledby="detail-h" id="detail">
          <h2 id="detail-h" tabindex="-1">Run detail</h2>
          <p id="detail-empty" class="muted">Choose a run to see its steps.</p>
          <div id="detail-body" hidden>
            <p><code id="d-id"></code> · <span id="d-status" class="status"></span> · <span id="d-workflow"></span></p>
            <p id="d-links" class="muted"></p>
            <p id="d-error" class="error-text"></p>
            <div class="actions" role="group" aria-label="Run actions">
              <button type="button" id="act-stop" aria-describedby="act-result">Stop</button>
              <button type="button" id="act-restart" aria-describedby="act-result">Restart</button>
              <button type="button" id="act-retry" aria-describedby="act-result">Retry from failed step</button>
            </div>
            <p id="act-result" role="status" aria-live="polite"></p>
            <table>
              <caption>Step timeline</caption>
              <thead><tr><th scope="col">Step</th><th scope="col">Kind</th><th scope="col">Mode</th><th scope="col">Status</th><th scope="col">Latency</th><th scope="col">Tokens in/out</th><th scope="col">tok/s</th><th scope="col">Cost</th><th scope="col">Error</th></tr></thead>
              <tbody id="steps-body"></tbody>
            </table>
            <h3 id="live-h">Live output</h3>
            <pre id="live" aria-labelledby="live-h" aria-live="off" tabindex="0"></pre>
          </div>
        </section>
        <section aria-labelledby="models-h" id="models">
          <h2 id="models-h">Model calls</h2>
          <table>
            <caption class="sr-only">Latency and throughput by provider and model, from recent model calls</caption>
            <thead><tr><th scope="col">Provider / model</th><th scope="col">Calls</th><th scope="col">p50</th><th scope="col">p95</th><th scope="col">tok/s</th></tr></thead>
            <tbody id="models-body"><tr><td colspan="5" class="muted">no model calls yet</td></tr></tbody>
          </table>
        </section>
        <section aria-labelledby="dead-h" id="dead">
          <h2 id="dead-h">Dead letters and failed runs</h2>
          <p><span id="dead-count">…</span> EVENTS messages parked after their retries.
            <button type="button" id="act-replay">Replay dead events</button></p>
          <p id="dead-result" role="status" aria-live="polite"></p>
          <table>
            <caption>Failed runs: retry from the failed step once the cause is fixed</caption>
            <thead><tr><th scope="col">Run</th><th scope="col">Workflow</th><th scope="col">Failed</th><th scope="col">Action</th></tr></thead>
            <tbody id="failed-body"></tbody>
          </table>
        </section>
        <section aria-labelledby="events-h" id="events">
          <h2 id="events-h">Events and errors</h2>
          <p><input type="checkbox" id="errors-only" /> <label for="errors-only">Errors only</label></p>
          <ol id="events-list" class="events" aria-live="off"></ol>
        </section>
      </div>
    </main>
    <script src="/dashboard/app.js" defer></script>`;
  return c.html(page("Hookline dashboard", body, csrf), 200, SECURITY_HEADERS);
}

/**
 * The operator console at /dashboard, served by the Worker and by the Node adapter alike. Server-rendered
 * HTML (hono/html escapes every value) and one small script; the script reads the same admin API a
 * script would, authenticated by the session cookie instead of the bearer token.
 *
 * Sign-in: POST the admin token once (a form, never a URL); a signed HttpOnly SameSite=Strict cookie
 * with its expiry carries the session. Changes also need the session's CSRF token in `X-CSRF` and a
 * same-origin request (src/handlers/dashboard-auth.ts).
 */
export const dashboard = new Hono<AppEnv>()
  .get("/", async (c) => {
    const tokenEnv = c.get("config").admin.tokenEnv;
    const token = c.get("res").secrets[tokenEnv];
    if (typeof token !== "string" || token === "")
      return signInPage(c, 403, `The dashboard is closed until ${tokenEnv} is set.`);
    const session = await dashboardSession(c);
    return session ? dashboardPage(c, session.csrf) : signInPage(c, 200);
  })
  .post("/login", async (c) => {
    const tokenEnv = c.get("config").admin.tokenEnv;
    const expected = c.get("res").secrets[tokenEnv];
    if (typeof expected !== "string" || expected === "")
      return signInPage(c, 403, `The dashboard is closed until ${tokenEnv} is set.`);
    if (!sameOrigin(c))
      return signInPage(c, 401, "Sign in from this page (the request came from another site).");
    const form = await c.req.parseBody();
    const given = typeof form.token === "string" ? form.token.trim() : "";
    if (!timingSafeEqualText(given, expected))
      return signInPage(c, 401, `Wrong token: that is not the admin token (${tokenEnv}).`);
    await startSession(c, expected);
    return c.redirect("/dashboard", 303);
  })
  .post("/logout", async (c) => {
    const session = await dashboardSession(c);
    const form = await c.req.parseBody();
    if (session && sameOrigin(c) && form.csrf === session.csrf) endSession(c);
    return c.redirect("/dashboard", 303);
  })
  .get("/app.js", (c) =>
    c.body(DASHBOARD_JS, 200, { ...SECURITY_HEADERS, "content-type": "text/javascript; charset=utf-8" }),
  )
  .get("/app.css", (c) =>
    c.body(DASHBOARD_CSS, 200, { ...SECURITY_HEADERS, "content-type": "text/css; charset=utf-8" }),
  );
