import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, onTestFinished } from "vitest";

/**
 * A fresh temp dir per call, removed when the test that made it finishes (or, made outside a test, after its
 * file). An `afterEach` registered from inside a running test never ran for it, and the dirs piled up in /tmp.
 */
export function tempDir(): string {
  const dir = mkdtempSync(join(tmpdir(), "hookline-adapter-"));
  const remove = () => rmSync(dir, { recursive: true, force: true });
  try {
    onTestFinished(remove);
  } catch {
    afterAll(remove);
  }
  return dir;
}

export const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/** Polls `check` until it is truthy or `timeoutMs` passes (then fails with `what`). */
export async function waitFor(check: () => unknown, what: string, timeoutMs = 10_000): Promise<void> {
  const until = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > until) throw new Error(`timed out waiting for ${what}`);
    await sleep(5);
  }
}
