import { inject } from "vitest";

/**
 * Where a shared scenario runs: the same HTTP surface on workerd (the Workers vitest plugin's `SELF`) or on
 * the real Node server on 127.0.0.1 (src/node/). Scenarios only speak HTTP to Hookline and to the fake
 * upstream servers, so one list proves one behaviour on both runtimes.
 */
export interface Target {
  runtime: "workerd" | "node";
  /** Origin the requests are addressed to (`https://hookline.test` on workerd, `http://127.0.0.1:<port>` on Node). */
  baseUrl: string;
  fetch(request: Request): Promise<Response>;
}

let current: Target | undefined;

/** Called once per runner file, before its scenarios run. */
export function useTarget(target: Target): void {
  current = target;
}

export function target(): Target {
  if (!current) throw new Error("no scenario target: call useTarget() in the runner file");
  return current;
}

/** The fake upstream servers from test/global-setup.ts (one set for both projects). */
export const fakes = {
  telegram: () => inject("fakeTelegramUrl"),
  openai: () => inject("fakeOpenAiUrl"),
  ollama: () => inject("fakeOllamaUrl"),
  echo: () => inject("echoHttpUrl"),
  graph: () => inject("fakeGraphUrl"),
};
