import { existsSync, mkdirSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { type BrowserContext, chromium, type Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type NodeServer, startNodeServer } from "../fixtures/node-server.ts";
import { TEST_BINDINGS } from "../fixtures/secrets.ts";
import { deliver, waitForStatus } from "../scenarios/fixtures.ts";
import { fakes, useTarget } from "../scenarios/target.ts";
import { marker, waitForRequest } from "../servers/client.ts";

// The dashboard in a real browser: Debian's Chromium driven by playwright-core, against the real Node server
// on 127.0.0.1 with the fake upstreams. One browser for the whole file. `UPDATE_SCREENSHOTS=1` writes the
// README's screenshots to docs/img/; otherwise they go to a temporary directory.
const CHROMIUM = process.env.CHROMIUM_PATH ?? "/usr/bin/chromium";
// `.ci/run` installs Chromium (scripts/ensure-chromium.sh). Elsewhere a missing browser skips this file with one
// line; under CI=true it is a failure, never a skip.
const NO_BROWSER = !existsSync(CHROMIUM);
if (NO_BROWSER) {
  if (process.env.CI === "true") throw new Error(`${CHROMIUM} not found: run scripts/ensure-chromium.sh`);
  console.log(
    `dashboard: no Chromium at ${CHROMIUM} — browser tests skipped (scripts/ensure-chromium.sh installs it)`,
  );
}
const TOKEN = TEST_BINDINGS.HOOKLINE_ADMIN_TOKEN;
// Made with the browser, not when this file loads: with no browser every test is skipped and so is afterAll.
let shots = "docs/img";

let node: NodeServer;
let profile: string;
let browser: BrowserContext;
let page: Page;
let baseUrl = "";

beforeAll(async () => {
  if (NO_BROWSER) return;
  profile = mkdtempSync(join(tmpdir(), "hookline-chromium-"));
  node = await startNodeServer({ name: "dashboard" });
  baseUrl = node.baseUrl;
  browser = await chromium.launchPersistentContext(profile, {
    executablePath: CHROMIUM,
    headless: true,
    viewport: { width: 1360, height: 900 },
    args: [
      "--headless",
      "--no-sandbox",
      "--disable-gpu",
      "--disable-quic",
      "--no-first-run",
      "--disable-background-networking",
      "--disable-component-update",
      "--disable-sync",
    ],
  });
  page = browser.pages()[0] ?? (await browser.newPage());
  page.setDefaultTimeout(8_000);
  if (process.env.UPDATE_SCREENSHOTS) mkdirSync(shots, { recursive: true });
  else shots = mkdtempSync(join(tmpdir(), "hookline-shots-"));
}, 90_000);

afterAll(async () => {
  if (NO_BROWSER) return;
  if (!process.env.UPDATE_SCREENSHOTS) rmSync(shots, { recursive: true, force: true });
  await browser?.close();
  await node?.close();
  rmSync(profile, { recursive: true, force: true });
});

useTarget({
  runtime: "node",
  get baseUrl() {
    return baseUrl;
  },
  fetch: (request) => fetch(request),
});

/** `expect.poll` with room for a loaded machine (its default gives up after one second). */
const poll = <T>(fn: () => Promise<T> | T) => expect.poll(fn, { timeout: 24_000, interval: 50 });

const runRow = (runId: string) => page.locator(`#runs-body tr[data-run="${runId}"]`);

/** Opens a run's detail from the recent runs list, by keyboard. */
async function openRun(runId: string) {
  const open = page.locator(`#runs-body button[data-run="${runId}"]`);
  await open.focus();
  await page.keyboard.press("Enter");
  await poll(() => page.locator("#d-id").textContent()).toBe(runId);
}

describe.skipIf(NO_BROWSER)("dashboard in Chromium", { timeout: 60_000 }, () => {
  it("refuses a wrong token with a clear message, then signs in by keyboard into an HttpOnly SameSite=Strict session", async () => {
    await page.goto(`${baseUrl}/dashboard`);
    await page.screenshot({ path: join(shots, "dashboard-sign-in.png") });
    await page.getByLabel("Admin token").fill("not-the-token");
    await page.keyboard.press("Enter");
    await poll(() => page.getByRole("alert").textContent()).toMatch(/Wrong token/);
    await page.getByLabel("Admin token").fill(TOKEN);
    await page.keyboard.press("Enter");
    await page.getByRole("heading", { name: "Recent runs" }).waitFor();
    expect(page.url()).toBe(`${baseUrl}/dashboard`);
    const [cookie] = await browser.cookies(baseUrl);
    expect(cookie).toMatchObject({ name: "hookline_dashboard", httpOnly: true, sameSite: "Strict" });
    expect(cookie?.value).not.toContain(TOKEN);
    // The token is nowhere the page keeps things, and a change without the CSRF header is refused.
    const kept = await page.evaluate(() => [
      JSON.stringify({ ...localStorage }),
      JSON.stringify({ ...sessionStorage }),
      document.documentElement.outerHTML,
    ]);
    for (const k of kept) expect(k).not.toContain(TOKEN);
    const forged = await page.evaluate(() =>
      fetch("/runs/run_x/cancel", { method: "POST" }).then((r) => r.status),
    );
    expect(forged).toBe(403);
  });

  it("shows a delivery sent now in recent runs without a reload", async () => {
    await page.evaluate(() => {
      (window as unknown as { notReloaded: boolean }).notReloaded = true;
    });
    const { json } = await deliver("run-echo", { text: "hello dashboard" });
    const runId = json.runId as string;
    await runRow(runId).waitFor();
    await poll(() => runRow(runId).locator(".status").textContent()).toBe("completed");
    expect(await page.evaluate(() => (window as unknown as { notReloaded?: boolean }).notReloaded)).toBe(
      true,
    );
    await poll(() => page.locator("#models-body").textContent()).toMatch(/echo/);
    await poll(() => page.locator("#c-deliveries").textContent()).toMatch(/^[1-9]/);
  });

  it("stops a streaming run: shows cancelled with its latency, and the upstream stream is closed", async () => {
    const tag = marker("dash-stop");
    const { json } = await deliver("run-slow", { text: tag });
    const runId = json.runId as string;
    await waitForRequest(fakes.openai(), (r) => JSON.stringify(r.body).includes(tag));
    await runRow(runId).waitFor();
    await openRun(runId);
    // Streamed model output shows while the step runs.
    await poll(() => page.locator("#live").textContent()).toMatch(/t1 t2/);
    await page.screenshot({ path: join(shots, "dashboard-run-streaming.png") });
    await page.getByRole("button", { name: "Stop" }).click();
    await expect
      .poll(() => page.locator("#act-result").textContent())
      .toMatch(/Stopped: cancelled · latency \d+ ms/);
    await poll(() => page.locator("#d-status").textContent()).toBe("cancelled");
    const seen = await waitForRequest(
      fakes.openai(),
      (r) => JSON.stringify(r.body).includes(tag) && r.closedAt !== undefined,
    );
    expect(seen.clientClosedEarly).toBe(true);
  });

  it("restarts a run: the new run is linked to the old one and completes", async () => {
    const { json } = await deliver("run-echo", { text: "restart me" });
    const oldId = json.runId as string;
    await waitForStatus(oldId, ["completed"]);
    await runRow(oldId).waitFor();
    await openRun(oldId);
    await page.getByRole("button", { name: "Restart" }).click();
    await poll(() => page.locator("#act-result").textContent()).toMatch(/Restarted as run run_/);
    await page.locator("#act-result button").click();
    await expect
      .poll(() => page.locator("#d-links").textContent())
      .toContain(`restart of ${oldId.slice(0, 16)}`);
    await poll(() => page.locator("#d-status").textContent()).toBe("completed");
    await page.screenshot({ path: join(shots, "dashboard.png"), fullPage: true });
  });

  it("retries a failed run from the dead-letter view after the fix, and it completes", async () => {
    const key = marker("dash-broken");
    const { json } = await deliver("run-broken", { text: key });
    const failedId = json.runId as string;
    await waitForStatus(failedId, ["failed"]);
    const retry = page.locator(`#failed-body button[data-retry="${failedId}"]`);
    await retry.waitFor();
    await fetch(`${fakes.openai()}/__fix`, { method: "POST", body: JSON.stringify({ key }) });
    await retry.focus();
    await page.keyboard.press("Enter");
    await expect
      .poll(() => page.locator("#act-result").textContent())
      .toMatch(/Retrying from polish as run run_/);
    await page.screenshot({ path: join(shots, "dashboard-dead-letters.png") });
    await page.locator("#act-result button").click();
    await poll(() => page.locator("#d-status").textContent()).toBe("completed");
    expect(await page.locator("#d-links").textContent()).toContain(`retry of ${failedId.slice(0, 16)}`);
    expect(await page.locator("#steps-body").textContent()).toMatch(/draft.*reused/);
  });

  it("works by keyboard: a skip link, every control named, a run opened with Enter", async () => {
    await page.goto(`${baseUrl}/dashboard`);
    await page.locator("#runs-body button").first().waitFor();
    await page.keyboard.press("Tab");
    expect(await page.evaluate(() => document.activeElement?.textContent)).toBe("Skip to recent runs");
    await page.keyboard.press("Enter");
    expect(await page.evaluate(() => document.activeElement?.id)).toBe("runs-h");
    await page.keyboard.press("Tab");
    const focused = await page.evaluate(() => document.activeElement?.getAttribute("data-run"));
    expect(focused).toMatch(/^run_/);
    await page.keyboard.press("Enter");
    await poll(() => page.evaluate(() => document.activeElement?.id)).toBe("detail-h");
    await poll(() => page.locator("#d-id").textContent()).toBe(focused);
    const unnamed = await page.evaluate(() =>
      Array.from(document.querySelectorAll("button, input:not([type=hidden]), select, textarea"))
        .filter((e) => {
          const el = e as HTMLInputElement;
          const name = el.getAttribute("aria-label") || el.textContent?.trim() || el.labels?.[0]?.textContent;
          return !name;
        })
        .map((e) => e.outerHTML),
    );
    expect(unnamed).toEqual([]);
  });
});
