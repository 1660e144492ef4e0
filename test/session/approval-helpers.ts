import { approvalButtonId, type InputOf } from "../../src/session/index.ts";
import { type Harness, msg } from "./harness.ts";

export const TOKEN = "tok123456";

/** The run asks chat "100" to approve; only sender "7" may answer. */
export function ask(s: Harness, over: Partial<InputOf<"approvalRequested">> = {}) {
  return s.feed({
    type: "approvalRequested",
    now: s.now,
    runId: "run_1",
    waitId: "w1",
    stepId: "confirm",
    prompt: "Refund 20 EUR?",
    allowed: ["7"],
    token: TOKEN,
    target: "100",
    ...over,
  });
}

/** A press of delivery `n`; `callbackId` null is a WhatsApp press (no callback to answer on). */
export const press = (
  s: Harness,
  n: number,
  approve: boolean,
  from = "7",
  callbackId: string | null = `cb${n}`,
) =>
  s.send(
    n,
    { type: "button", data: approvalButtonId(TOKEN, approve), callbackId: callbackId ?? undefined },
    { message: msg(n, { senderId: from }) },
  );
