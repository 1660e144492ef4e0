import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import type { RunTrace } from "../../../src/host/run-trace.ts";
import { CUT_OFF_NOTE } from "../../../src/steps/execute.ts";
import { type NodeServer, startNodeServer } from "../../fixtures/node-server.ts";
import {
  botCalls,
  deliver,
  sendTelegram,
  trace,
  uniqueChat,
  waitForStatus,
} from "../../scenarios/fixtures.ts";
import { useTarget } from "../../scenarios/target.ts";
import { marker, seenRequests } from "../../servers/client.ts";

// Issue 11: the model server fails one way at a time (500, 429 with Retry-After, a hang, a stream cut
// mid-way), on the real Node server with its queues and timers, against the fake OpenAI and Ollama of
// test/global-setup.ts. The fakes count attempts; the run's trace shows what the user and the budget see.

/** Each fault gets a source and a one-step workflow: `answer` calls `model` with the delivery's text. */
const FAULTS = {
  "flaky-500": { model: "openai:flaky2-fail-500" },
  "always-500": { model: "openai:fail-500" },
  "flaky-429": { model: "openai:flaky1-fail-429-1" },
  "always-429": { model: "openai:fail-429-1", maxAttempts: 2 },
  "flaky-hang": { model: "openai:flaky1-hang", timeout: "2s" },
  "always-hang": { model: "ollama:hang", timeout: "1s", maxAttempts: 2 },
  "flaky-cut": { model: "openai:flaky1-cut-2" },
  "ollama-flaky-cut": { model: "ollama:flaky1-cut-3" },
} as const satisfies Record<string, { model: string; timeout?: string; maxAttempts?: number }>;
type Fault = keyof typeof FAULTS;

const sources: Record<string, unknown> = {};
const workflows: Record<string, unknown> = {};
for (const [name, f] of Object.entries(FAULTS) as [Fault, (typeof FAULTS)[Fault]][]) {
  sources[`fault-${name}`] = {
    channel: "generic",
    scheme: "github",
    secretEnv: "GITHUB_WEBHOOK_SECRET",
    workflow: `fault-${name}`,
  };
  workflows[`fault-${name}`] = {
    steps: [
      {
        id: "answer",
        kind: "llm",
        model: f.model,
        stream: true,
        prompt: "{{ input.text }}",
        ...("timeout" in f && { timeout: f.timeout }),
        // Short, jitter-free backoff so the test is fast and its waits are exact.
        retry: {
          maxAttempts: "maxAttempts" in f ? f.maxAttempts : 3,
          backoff: { initialMs: "100ms" },
          jitter: 0,
        },
      },
    ],
  };
}

// A chat whose streamed llm reply is cut once (`/cut …` on the demo Telegram bot).
workflows["fault-chat-cut"] = {
  steps: [
    {
      id: "answer",
      kind: "llm",
      model: "openai:flaky1-cut-3",
      stream: true,
      prompt: "{{ event.text }}",
      retry: { maxAttempts: 3, backoff: { initialMs: "100ms" }, jitter: 0 },
    },
  ],
};
const triggers = [{ id: "cut", match: { source: "demo-bot", command: "/cut" }, workflow: "fault-chat-cut" }];

let node: NodeServer | undefined;
beforeAll(async () => {
  node = await startNodeServer({
    name: "model-faults",
    layers: [{ file: "model-faults.test.ts", data: { sources, workflows, triggers } }],
  });
}, 180_000);
afterAll(async () => {
  await node?.close();
});
useTarget({
  runtime: "node",
  get baseUrl() {
    return node?.baseUrl ?? "";
  },
  fetch: (request) => fetch(request),
});

/** Starts the fault's run with a unique text and waits for it to end. */
async function runFault(fault: Fault, timeout = 25_000) {
  const m = marker("mf");
  const text = `${m} hello world`;
  const { json } = await deliver(`fault-${fault}`, { text });
  expect(json.runId).toBeDefined();
  const done = await waitForStatus(json.runId as string, ["completed", "failed"], timeout);
  const provider = FAULTS[fault].model.startsWith("ollama:") ? "ollama" : "openai";
  const url = provider === "ollama" ? inject("fakeOllamaUrl") : inject("fakeOpenAiUrl");
  const calls = await seenRequests(url, (r) => JSON.stringify(r.body).includes(m));
  return { m, text, run: done, calls, trace: () => trace(json.runId as string) };
}

const attempts = (run: RunTrace) => run.steps.filter((s) => s.stepId === "answer");

describe("the model server fails, one fault at a time (Node adapter)", { timeout: 120_000 }, () => {
  it("500 twice, then OK: the step retries on its backoff and the run completes", async () => {
    const { run, calls, text } = await runFault("flaky-500");
    expect(run.status).toBe("completed");
    // Exactly the engine's attempts: the AI SDK's own retries are off (maxRetries: 0), none doubled.
    expect(calls).toHaveLength(3);
    expect(attempts(run).map((s) => s.status)).toEqual(["failed", "failed", "succeeded"]);
    expect(attempts(run)[0]?.error).toBe(
      "model openai:flaky2-fail-500 returned 500: fake openai: forced 500",
    );
    expect(run.output).toMatchObject({ text: `openai: ${text}` });
    // Backoff 100 ms, then 200 ms (factor 2, no jitter).
    const gaps = calls.slice(1).map((c, i) => c.receivedAt - (calls[i]?.receivedAt ?? 0));
    expect(gaps[0]).toBeGreaterThanOrEqual(100);
    expect(gaps[1]).toBeGreaterThanOrEqual(200);
  });

  it("always 500: fails after exactly maxAttempts, naming provider, model and status", async () => {
    const { run, calls } = await runFault("always-500");
    expect(run.status).toBe("failed");
    expect(calls).toHaveLength(3);
    expect(run.error?.message).toBe(
      "answer failed after 3 attempts: model openai:fail-500 returned 500: fake openai: forced 500",
    );
  });

  it("429 with Retry-After: 1 waits at least a second, not the 100 ms backoff, and says rate limited", async () => {
    const { run, calls } = await runFault("flaky-429");
    expect(run.status).toBe("completed");
    expect(calls).toHaveLength(2);
    expect((calls[1]?.receivedAt ?? 0) - (calls[0]?.receivedAt ?? 0)).toBeGreaterThanOrEqual(1_000);
    expect(attempts(run)[0]?.error).toBe(
      "model openai:flaky1-fail-429-1 was rate limited (429, retry after 1 s): fake openai: forced 429",
    );
  });

  it("429 every time: the run fails saying rate limited", async () => {
    const { run, calls } = await runFault("always-429");
    expect(run.status).toBe("failed");
    expect(calls).toHaveLength(2);
    expect(run.error?.message).toBe(
      "answer failed after 2 attempts: model openai:fail-429-1 was rate limited (429, retry after 1 s): fake openai: forced 429",
    );
  });

  it("a hang times out at the step timeout, and the retry completes", async () => {
    const { run, calls } = await runFault("flaky-hang");
    expect(run.status).toBe("completed");
    expect(calls).toHaveLength(2);
    expect(attempts(run)[0]?.error).toBe("model openai:flaky1-hang timed out after 2000 ms");
    // The hung connection was closed, not left open.
    expect(calls[0]?.clientClosedEarly).toBe(true);
  });

  it("a server that always hangs fails the run after maxAttempts timeouts, nothing hangs forever", async () => {
    const started = Date.now();
    const { run, calls } = await runFault("always-hang");
    expect(run.status).toBe("failed");
    expect(calls).toHaveLength(2);
    expect(run.error?.message).toBe(
      "answer failed after 2 attempts: model ollama:hang timed out after 1000 ms",
    );
    // Two 1 s timeouts and a 100 ms backoff; the bound is loose for a loaded machine, not for a hang.
    expect(Date.now() - started).toBeLessThan(15_000);
  });

  it("a stream cut mid-way fails the attempt as retriable, the retry completes, and both attempts' tokens count", async () => {
    const { run, calls, text } = await runFault("flaky-cut");
    expect(run.status).toBe("completed");
    expect(calls).toHaveLength(2);
    // Not a silent truncated success: the output is the retry's whole reply.
    expect(run.output).toMatchObject({ text: `openai: ${text}` });
    const [cut, ok] = attempts(run);
    expect(cut?.status).toBe("failed");
    expect(cut?.error).toMatch(/^model openai:flaky1-cut-2 stream broke off mid-response \(.+\)$/);
    // The cut attempt: the 3 prompt words and the 2 words streamed before the cut, as the server reported.
    expect(cut).toMatchObject({ inputTokens: 3, outputTokens: 2 });
    expect(ok).toMatchObject({ status: "succeeded", inputTokens: 3, outputTokens: 4 });
    expect(run.usage).toMatchObject({ inputTokens: 6, outputTokens: 6 });
  });

  it("Ollama's stream cut mid-way: retried and counted the same way", async () => {
    const { run, calls } = await runFault("ollama-flaky-cut");
    expect(run.status).toBe("completed");
    expect(calls).toHaveLength(2);
    expect(attempts(run)[0]?.error).toMatch(/^model ollama:flaky1-cut-3 stream broke off mid-response/);
    expect(run.usage).toMatchObject({ inputTokens: 6, outputTokens: 7 });
  });
});

describe("a chat streaming a reply whose model stream is cut (Node adapter, fake Bot API)", {
  timeout: 60_000,
}, () => {
  it("marks the cut draft as incomplete, then the retry's full reply follows", async () => {
    const chat = uniqueChat();
    const m = marker("cut");
    const started = await sendTelegram(chat, `/cut ${m} hello`);
    const run = await waitForStatus(started.runId as string, ["completed", "failed"], 75_000);
    expect(run.status).toBe("completed");
    const full = String((run.output as { text?: unknown }).text);
    expect(full).toMatch(new RegExp(`^openai: .*${m} hello$`));

    const calls = (await botCalls(chat)).filter(
      (c) => c.method === "sendMessage" || c.method === "editMessageText",
    );
    const sends = calls.filter((c) => c.method === "sendMessage");
    // The draft of the cut attempt, then the retry's reply: two messages, no more.
    expect(sends).toHaveLength(2);
    // The draft ends on the note: no truncated text left looking like a final answer.
    const noted = calls.filter((c) => String(c.body.text).endsWith(CUT_OFF_NOTE));
    expect(noted).toHaveLength(1);
    const draftId = noted[0]?.body.message_id;
    const draftFinal = calls
      .filter((c) => c.method === "editMessageText" && c.body.message_id === draftId)
      .at(-1);
    expect(String(draftFinal?.body.text)).toBe(String(noted[0]?.body.text));
    expect(String(draftFinal?.body.text).startsWith("openai:")).toBe(true);
    // The second message ends as the whole reply.
    const second =
      calls.filter((c) => c.method === "editMessageText" && c.body.message_id !== draftId).at(-1) ?? sends[1];
    expect(String(second?.body.text)).toBe(full);
  });
});
