import { type ChildProcess, spawn } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, inject, it, vi } from "vitest";
import type { RunTrace } from "../../src/host/run-trace.ts";
import { TEST_BINDINGS } from "../fixtures/secrets.ts";
import { signedRequest } from "../fixtures/signed-request.ts";
import { freePort } from "../servers/closed-port.ts";

// The Node adapter across a SIGKILL: the real `hookline serve` process, killed mid-run and started again
// on the same data directory. Acknowledged deliveries stay duplicates, a timer resumes, a queued step is
// redelivered, and each run completes exactly once.
const dataDir = mkdtempSync(join(tmpdir(), "hookline-restart-"));
const auth = { authorization: `Bearer ${TEST_BINDINGS.HOOKLINE_ADMIN_TOKEN}` };
let child: ChildProcess | undefined;

afterAll(() => {
  child?.kill("SIGKILL");
  rmSync(dataDir, { recursive: true, force: true });
});

async function startServer(port: number): Promise<ChildProcess> {
  const proc = spawn(
    process.execPath,
    ["--disable-warning=ExperimentalWarning", "src/cli/main.ts", "serve", "--env", "test"].concat([
      "--port",
      String(port),
      "--data-dir",
      dataDir,
      "--lease-ms",
      "500",
    ]),
    {
      env: {
        ...process.env,
        ...TEST_BINDINGS,
        OPENAI_BASE_URL: `${inject("fakeOpenAiUrl")}/v1`,
        TELEGRAM_API_ROOT: inject("fakeTelegramUrl"),
      },
      stdio: ["ignore", "pipe", "pipe"],
    },
  );
  let output = "";
  proc.stdout?.on("data", (d) => (output += d));
  proc.stderr?.on("data", (d) => (output += d));
  await vi.waitFor(
    async () => {
      if (proc.exitCode !== null) throw new Error(`serve exited ${proc.exitCode}: ${output}`);
      expect((await fetch(`http://127.0.0.1:${port}/health/live`)).status).toBe(200);
    },
    { timeout: 60_000, interval: 100 },
  );
  return proc;
}

function kill9(proc: ChildProcess): Promise<void> {
  return new Promise((ok) => {
    proc.once("exit", () => ok());
    proc.kill("SIGKILL");
  });
}

describe("Node adapter across a SIGKILL restart", { timeout: 180_000 }, () => {
  it("keeps acknowledged deliveries, resumes a waiting timer, redelivers an in-flight step, and completes each run once", async () => {
    const port = await freePort();
    const base = `http://127.0.0.1:${port}`;
    const send = async (id: string) => {
      const req = await signedRequest({
        scheme: "github",
        url: `${base}/webhooks/in/run-restart`,
        body: { text: "probe" },
        secret: TEST_BINDINGS.GITHUB_WEBHOOK_SECRET,
        id,
      });
      return (await (await fetch(req)).json()) as { status: string; runId: string };
    };
    const trace = async (runId: string) =>
      (await (await fetch(`${base}/runs/${runId}`, { headers: auth })).json()) as RunTrace;
    const idA = crypto.randomUUID();
    const idB = crypto.randomUUID();

    // 1. Kill while run A waits on its 1 s delay timer (only in storage and the alarm registry).
    child = await startServer(port);
    const a = await send(idA);
    expect(a.status).toBe("accepted");
    expect((await trace(a.runId)).status).toBe("running");
    await kill9(child);

    // 2. Restart: the acknowledged delivery is a duplicate naming the same run; the timer fires from
    //    storage and the run goes on. Kill again while run B's streaming step is in flight.
    child = await startServer(port);
    expect(await send(idA)).toMatchObject({ status: "duplicate", runId: a.runId });
    const b = await send(idB);
    await vi.waitFor(
      async () => expect((await trace(b.runId)).steps.find((s) => s.mode !== "pure")?.status).toBe("running"),
      {
        timeout: 30_000,
        interval: 50,
      },
    );
    await kill9(child);

    // 3. Restart: B's step message is redelivered (its lease lapsed with the process) and both complete.
    child = await startServer(port);
    for (const runId of [a.runId, b.runId]) {
      await vi.waitFor(async () => expect((await trace(runId)).status).toBe("completed"), {
        timeout: 60_000,
        interval: 100,
      });
    }
    // Exactly once: one attempt of the llm step each, applied once, nothing ignored or repeated. (A's delay
    // ran inside transitions and is listed as a pure step.)
    const io = async (runId: string) => (await trace(runId)).steps.filter((s) => s.mode !== "pure");
    const ta = await trace(a.runId);
    const [ioA, ioB] = [await io(a.runId), await io(b.runId)];
    expect(ioA.map((s) => [s.stepId, s.status])).toEqual([["think", "succeeded"]]);
    expect(ioB.map((s) => [s.stepId, s.status])).toEqual([["think", "succeeded"]]);
    const tb = await trace(b.runId);
    // B's inline step died with the process; the next process handed it to the queue. (A's may have too,
    // if its timer fired before the second kill.)
    expect(ioB[0]).toMatchObject({ mode: "queue", deliveries: 2 });
    expect(ta.output).toEqual(tb.output);
    expect(await send(idB)).toMatchObject({ status: "duplicate", runId: b.runId });
    await kill9(child);
    child = undefined;
  });
});
