/**
 * The duplicate check shared by the ingress benches: many concurrent copies of ONE new delivery, of which
 * exactly one may be accepted (the others must be acknowledged as duplicates). Not timed for the results.
 */
import { keepAlivePool, RequestSource } from "./load.ts";
import type { DedupCheck } from "./report.ts";
import type { Target } from "./targets.ts";

export async function dedupCheck(target: Target, origin: URL, copies: number): Promise<DedupCheck> {
  const pool = keepAlivePool(origin, copies);
  const source = new RequestSource(target);
  await source.prepare(1);
  const req = await source.take();
  const started = performance.now();
  const outcomes = await Promise.all(
    Array.from({ length: copies }, async () => {
      try {
        const res = await pool.request({
          method: "POST",
          path: req.path,
          headers: req.headers,
          body: req.body,
        });
        const text = await res.body.text();
        return res.statusCode >= 200 && res.statusCode < 300 && target.ackStatus
          ? target.ackStatus(text)
          : `http ${res.statusCode}`;
      } catch (err) {
        return `error ${(err as Error).message}`;
      }
    }),
  );
  const ms = performance.now() - started;
  await pool.close();
  const count = (s: string) => outcomes.filter((o) => o === s).length;
  const accepted = count("accepted");
  const duplicate = count("duplicate");
  const errors = outcomes.filter((o) => o.startsWith("http") || o.startsWith("error")).length;
  return {
    target: target.id,
    copies,
    accepted,
    duplicate,
    other: copies - accepted - duplicate - errors,
    errors,
    ms,
    pass: accepted === 1 && duplicate === copies - 1,
  };
}
