import { env, SELF } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import { resourcesFor } from "../../src/durable/resources.ts";
import type { Env } from "../../src/env.ts";
import type { QueueMessage } from "../../src/host/ports.ts";
import type { Resources, RunApi } from "../../src/host/resources.ts";
import { handleStepMessage } from "../../src/queue/steps.ts";
import { adminHeaders, deliver, stepMessageFor, trace, waitForStatus } from "../fixtures/runs.ts";
import { BASE_URL } from "../fixtures/secrets.ts";

/** The real Resources, with one side effect cut: every run's `watchCancel` call is lost (it fails). */
function withLostWatch(res: Resources): Resources {
  return {
    ...res,
    runs: {
      getByName: (name: string) => {
        const real = res.runs.getByName(name);
        // An RPC stub answers any property as a remote method, so wrap calls rather than bind them.
        return new Proxy(real, {
          get: (target, key) =>
            key === "watchCancel"
              ? () => Promise.reject(new Error("watch lost"))
              : (...args: unknown[]) =>
                  (target as unknown as Record<PropertyKey, (...a: unknown[]) => unknown>)[key]?.(...args),
        }) as RunApi;
      },
    },
  };
}

describe("step worker cancel fallback", () => {
  it("aborts an attempt by polling isOutstanding when its watchCancel call is lost", async () => {
    // The run's own (inline) attempt streams 100 words at 100 ms, so it is still open throughout.
    const text = Array.from({ length: 100 }, (_, i) => `t${i}`).join(" ");
    const { json } = await deliver("run-slow-echo", { text });
    const runId = json.runId as string;
    await expect.poll(async () => (await trace(runId)).steps[0]?.status, { timeout: 15_000 }).toBe("running");
    const step = (await trace(runId)).steps[0];
    if (!step) throw new Error("no step");
    // A STEPS delivery of the same attempt whose echo call would take 60 × 100 ms = 6 s to finish.
    const words = Array.from({ length: 61 }, (_, i) => `w${i}`).join(" ");
    const body = {
      ...stepMessageFor(runId, step, words),
      resolved: {
        kind: "llm" as const,
        model: "echo?delayMs=100",
        prompt: words,
        stream: false,
        timeoutMs: 30_000,
      },
      deadlineMs: Date.now() + 30_000,
    };
    const acked: string[] = [];
    const msg: QueueMessage = {
      id: "slow",
      timestamp: new Date(),
      body,
      attempts: 1,
      ack: () => acked.push("slow"),
      retry: () => acked.push("retry"),
    };
    const handled = handleStepMessage(msg, withLostWatch(resourcesFor(env as Env))).then(() =>
      performance.now(),
    );
    await new Promise((r) => setTimeout(r, 300));
    const cancel = await SELF.fetch(`${BASE_URL}/runs/${runId}/cancel`, {
      method: "POST",
      headers: adminHeaders,
    });
    expect(cancel.status).toBe(200);
    const cancelledAt = performance.now();
    const finishedAt = await handled;
    // Only polling can see the cancel (every 50 ms); without it the attempt would run its full 6 s.
    expect(finishedAt - cancelledAt).toBeLessThan(4_000);
    expect(acked).toEqual(["slow"]);
    expect((await waitForStatus(runId, ["cancelled"])).status).toBe("cancelled");
  }, 60_000);
});
