import { readFileSync } from "node:fs";
import { describe, expect, it, vi } from "vitest";
import type { QueueBatch } from "../../../src/host/ports.ts";
import type { Resources } from "../../../src/host/resources.ts";
import { chaosFrom } from "../../../src/queue/chaos.ts";
import { consumerFor, QUEUES } from "../../../src/queue/consumers.ts";

// The fault harness's queue chaos must never switch on outside the test and faults environments.
const wranglerEnv = /\[vars\][^[]*HOOKLINE_ENV\s*=\s*"([^"]+)"/.exec(
  readFileSync("wrangler.toml", "utf8"),
)?.[1];
const CHAOS = "throw=1,kill=1,timeout=1,dup=1,reorder=1,poison=1";

function batchOfOne(acked: string[], retried: string[]): QueueBatch {
  return {
    queue: QUEUES.steps,
    // A malformed body: the real consumer acks it without calling any run.
    messages: [
      {
        id: "m1",
        timestamp: new Date(),
        body: {},
        attempts: 1,
        ack: () => acked.push("m1"),
        retry: () => retried.push("m1"),
      },
    ],
    ackAll() {},
    retryAll() {},
  } as QueueBatch;
}

describe("queue chaos (HOOKLINE_CHAOS)", () => {
  it("is ignored in every environment production can run in, whatever HOOKLINE_CHAOS says", () => {
    expect(wranglerEnv).toBe("development");
    for (const env of [wranglerEnv, "production", "staging", "", undefined, "TEST", "faults "]) {
      expect(chaosFrom({ HOOKLINE_ENV: env, HOOKLINE_CHAOS: CHAOS })).toBeNull();
    }
  });

  it("is read only in the test and faults environments", () => {
    expect(chaosFrom({ HOOKLINE_ENV: "faults" })).toBeNull();
    expect(
      chaosFrom({ HOOKLINE_ENV: "faults", HOOKLINE_CHAOS: "throw=0.2,poison=0.05,reorder=1" }),
    ).toMatchObject({
      throw: 0.2,
      poison: 0.05,
      reorder: true,
      kill: 0,
    });
  });

  it("leaves the STEPS consumer alone with production's environment, and throws with faults'", async () => {
    const consume = consumerFor(QUEUES.steps);
    if (!consume) throw new Error("no STEPS consumer");
    vi.spyOn(console, "error").mockImplementation(() => {});
    vi.spyOn(console, "warn").mockImplementation(() => {});
    const acked: string[] = [];
    const retried: string[] = [];
    const prod = { secrets: { HOOKLINE_ENV: wranglerEnv, HOOKLINE_CHAOS: CHAOS } } as unknown as Resources;
    await consume(batchOfOne(acked, retried), prod);
    expect({ acked, retried }).toEqual({ acked: ["m1"], retried: [] });
    const faults = { secrets: { HOOKLINE_ENV: "faults", HOOKLINE_CHAOS: "throw=1" } } as unknown as Resources;
    await expect(consume(batchOfOne(acked, retried), faults)).rejects.toThrow(/chaos/);
    vi.restoreAllMocks();
  });
});
