/**
 * A run's id is a hash of its delivery key, so every copy of a delivery names the same run and
 * RunObject.start makes the start idempotent.
 *
 * @example await runIdFor("demo-bot:1795316277") // "run_63e4…"
 */
export async function runIdFor(deliveryKey: string): Promise<string> {
  const digest = await crypto.subtle.digest("SHA-256", new TextEncoder().encode(deliveryKey));
  const hex = [...new Uint8Array(digest).slice(0, 16)].map((b) => b.toString(16).padStart(2, "0")).join("");
  return `run_${hex}`;
}
