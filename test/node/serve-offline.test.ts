import { type ChildProcess, spawn } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, describe, expect, inject, it, vi } from "vitest";
import type { RunTrace } from "../../src/host/run-trace.ts";
import { TEST_BINDINGS } from "../fixtures/secrets.ts";
import { signedRequest } from "../fixtures/signed-request.ts";
import { closedPortUrl, freePort } from "../servers/closed-port.ts";

// `hookline serve --offline` (what `npm run start:node -- --offline` runs): `model: default` becomes the
// local Ollama model, and the start-up check says what it found or what to do.
const procs: ChildProcess[] = [];
const dirs: string[] = [];
afterEach(() => {
  for (const p of procs.splice(0)) p.kill("SIGKILL");
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

/** Starts `serve --offline` (demo config, development env) and resolves with its banner once it listens. */
async function serveOffline(ollamaUrl: string, port: number): Promise<string> {
  const dataDir = mkdtempSync(join(tmpdir(), "hookline-offline-"));
  dirs.push(dataDir);
  const proc = spawn(
    process.execPath,
    ["--disable-warning=ExperimentalWarning", "src/cli/main.ts", "serve", "--offline"].concat([
      "--port",
      String(port),
      "--data-dir",
      dataDir,
      "--env",
      "offline-test",
    ]),
    { env: { ...process.env, ...TEST_BINDINGS, OLLAMA_BASE_URL: ollamaUrl, OLLAMA_MODEL: "llama3.2" } },
  );
  procs.push(proc);
  let out = "";
  proc.stdout?.on("data", (d) => (out += d));
  proc.stderr?.on("data", (d) => (out += d));
  await vi.waitFor(() => expect(out).toContain("Stop with Ctrl-C"), { timeout: 60_000, interval: 50 });
  return out;
}

describe("hookline serve --offline", { timeout: 120_000 }, () => {
  it("answers with the local Ollama model and lists what Ollama has", async () => {
    const port = await freePort();
    const banner = await serveOffline(inject("fakeOllamaUrl"), port);
    expect(banner).toContain("steps use ollama:llama3.2");
    expect(banner).toMatch(/has: .*llama3\.2:latest/);
    expect(banner).toContain(`Dashboard: http://127.0.0.1:${port}/dashboard`);
    const dashboard = await fetch(`http://127.0.0.1:${port}/dashboard`);
    expect(await dashboard.text()).toContain('<label for="token">Admin token</label>');
    const req = await signedRequest({
      scheme: "standard-webhooks",
      url: `http://127.0.0.1:${port}/webhooks/in/orders`,
      body: {
        type: "order.created",
        customer: { id: "cus_1" },
        order: { id: "o1", total: 5, currency: "EUR" },
      },
      secret: TEST_BINDINGS.ORDERS_WEBHOOK_SECRET,
    });
    const ack = (await (await fetch(req)).json()) as { runId: string };
    const auth = { authorization: `Bearer ${TEST_BINDINGS.HOOKLINE_ADMIN_TOKEN}` };
    await vi.waitFor(
      async () => {
        const trace = (await (
          await fetch(`http://127.0.0.1:${port}/runs/${ack.runId}`, { headers: auth })
        ).json()) as RunTrace;
        expect(trace.status).toBe("completed");
        expect(trace.steps[0]).toMatchObject({ provider: "ollama", model: "llama3.2" });
      },
      { timeout: 45_000, interval: 100 },
    );
  });

  it("says how to start Ollama when nothing listens at OLLAMA_BASE_URL", async () => {
    const banner = await serveOffline(await closedPortUrl(), await freePort());
    expect(banner).toMatch(/Ollama is not reachable at http:\/\/127\.0\.0\.1:\d+ .*ollama serve/);
  });
});
