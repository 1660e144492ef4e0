import { SELF } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import { createApp } from "../../src/app.ts";
import { resourcesFor } from "../../src/durable/resources.ts";
import type { Env } from "../../src/env.ts";
import { adminHeaders, deliver, waitForStatus } from "../fixtures/runs.ts";
import { BASE_URL, TEST_BINDINGS } from "../fixtures/secrets.ts";
import { readSse } from "../scenarios/sse.ts";

const TOKEN = TEST_BINDINGS.HOOKLINE_ADMIN_TOKEN;
const form = (token: string) => new URLSearchParams({ token }).toString();

/** Signs in like the form does; returns the session cookie and the page's CSRF token. */
async function signIn(): Promise<{ cookie: string; csrf: string }> {
  const res = await SELF.fetch(`${BASE_URL}/dashboard/login`, {
    method: "POST",
    headers: { "content-type": "application/x-www-form-urlencoded", origin: BASE_URL },
    body: form(TOKEN),
    redirect: "manual",
  });
  expect(res.status).toBe(303);
  const setCookie = res.headers.get("set-cookie") ?? "";
  expect(setCookie).toMatch(/^hookline_dashboard=/);
  expect(setCookie).toMatch(/HttpOnly/);
  expect(setCookie).toMatch(/SameSite=Strict/);
  expect(setCookie).toMatch(/Secure/);
  expect(setCookie).not.toContain(TOKEN);
  const cookie = setCookie.split(";")[0] as string;
  const page = await (await SELF.fetch(`${BASE_URL}/dashboard`, { headers: { cookie } })).text();
  const csrf = /<meta name="csrf" content="([0-9a-f]+)"/.exec(page)?.[1] ?? "";
  expect(csrf).toMatch(/^[0-9a-f]{32}$/);
  return { cookie, csrf };
}

/** The dashboard on workerd: sign-in, the cookie session over the admin API, CSRF, and the admin feed. */
describe("dashboard on the Worker", () => {
  it("serves the sign-in form and refuses a wrong token with a clear message", async () => {
    const page = await SELF.fetch(`${BASE_URL}/dashboard`);
    expect(page.status).toBe(200);
    expect(page.headers.get("content-security-policy")).toContain("script-src 'self'");
    expect(await page.text()).toContain('<label for="token">Admin token</label>');
    const wrong = await SELF.fetch(`${BASE_URL}/dashboard/login`, {
      method: "POST",
      headers: { "content-type": "application/x-www-form-urlencoded", origin: BASE_URL },
      body: form("nope"),
    });
    expect(wrong.status).toBe(401);
    expect(wrong.headers.get("set-cookie")).toBeNull();
    expect(await wrong.text()).toContain("Wrong token");
    const crossSite = await SELF.fetch(`${BASE_URL}/dashboard/login`, {
      method: "POST",
      headers: { "content-type": "application/x-www-form-urlencoded", origin: "https://evil.example" },
      body: form(TOKEN),
    });
    expect(crossSite.status).toBe(401);
    expect(crossSite.headers.get("set-cookie")).toBeNull();
  });

  it("a session reads the admin API; changes need the CSRF token from the same origin", async () => {
    const { cookie, csrf } = await signIn();
    expect((await SELF.fetch(`${BASE_URL}/runs?limit=1`, { headers: { cookie } })).status).toBe(200);
    const cancel = (headers: Record<string, string>) =>
      SELF.fetch(`${BASE_URL}/runs/run_none/cancel`, { method: "POST", headers: { cookie, ...headers } });
    expect((await cancel({})).status).toBe(403);
    expect((await cancel({ "x-csrf": csrf, origin: "https://evil.example" })).status).toBe(403);
    expect((await cancel({ "x-csrf": "0".repeat(32), origin: BASE_URL })).status).toBe(403);
    // Past the CSRF check: the run does not exist.
    expect((await cancel({ "x-csrf": csrf, origin: BASE_URL })).status).toBe(404);
    // A tampered cookie is no session.
    const forged = `${cookie.slice(0, -3)}abc`;
    expect((await SELF.fetch(`${BASE_URL}/runs?limit=1`, { headers: { cookie: forged } })).status).toBe(401);
  });

  it("is closed, not open, when the admin token is not set", async () => {
    const closed = createApp((e) => resourcesFor(e as Env));
    const res = await closed.request("/dashboard", {}, { HOOKLINE_ENV: "test" });
    expect(res.status).toBe(403);
    expect(await res.text()).toContain("closed until HOOKLINE_ADMIN_TOKEN is set");
  });

  it("feeds the dashboard: /admin/stream says hello, then carries run events as they are consumed", async () => {
    const res = await SELF.fetch(`${BASE_URL}/admin/stream`, { headers: adminHeaders });
    expect(res.headers.get("content-type")).toContain("text/event-stream");
    const { json } = await deliver("run-echo", { text: "feed me" });
    const runId = json.runId as string;
    await waitForStatus(runId, ["completed"]);
    const events = await readSse(
      res,
      (e) => e.event === "event" && e.data.includes(runId) && e.data.includes('"completed"'),
    );
    expect(events[0]?.event).toBe("hello");
    const mine = events.filter((e) => e.event === "event" && e.data.includes(runId));
    expect(mine.map((e) => (JSON.parse(e.data) as { type: string }).type)).toContain("run.state");
    expect(mine.every((e) => /^[0-9a-f]{8}:\d+$/.test(e.id ?? ""))).toBe(true);
  });
});
