/** One Server-Sent Event as a test reads it. */
export interface SseEvent {
  id?: string;
  event: string;
  data: string;
}

/**
 * Reads Server-Sent Events from a streaming response until `stop(event)` says so (or the stream ends),
 * then cancels the body, as a browser does when it closes an EventSource.
 *
 * @example
 * const events = await readSse(res, (e) => e.event === "end");
 */
export async function readSse(
  res: Response,
  stop: (event: SseEvent, all: SseEvent[]) => boolean = () => false,
  timeoutMs = 15_000,
): Promise<SseEvent[]> {
  const body = res.body;
  if (!body) throw new Error("no body");
  const reader = body.pipeThrough(new TextDecoderStream()).getReader();
  const events: SseEvent[] = [];
  let buffer = "";
  const deadline = Date.now() + timeoutMs;
  try {
    for (;;) {
      const left = deadline - Date.now();
      if (left <= 0) throw new Error(`SSE: no stop after ${timeoutMs} ms; got ${events.map((e) => e.event)}`);
      const next = await Promise.race([
        reader.read(),
        new Promise<never>((_, fail) => setTimeout(() => fail(new Error("SSE read timed out")), left)),
      ]);
      if (next.done) return events;
      buffer += next.value;
      let end = buffer.indexOf("\n\n");
      while (end >= 0) {
        const block = buffer.slice(0, end);
        buffer = buffer.slice(end + 2);
        end = buffer.indexOf("\n\n");
        const e: SseEvent = { event: "message", data: "" };
        let fields = 0;
        for (const line of block.split("\n")) {
          if (line.startsWith(":") || line === "") continue;
          const at = line.indexOf(":");
          const name = at < 0 ? line : line.slice(0, at);
          const value = at < 0 ? "" : line.slice(at + 1).replace(/^ /, "");
          if (name === "id") e.id = value;
          else if (name === "event") e.event = value;
          else if (name === "data") e.data = e.data ? `${e.data}\n${value}` : value;
          else continue;
          fields++;
        }
        if (fields === 0) continue;
        events.push(e);
        if (stop(e, events)) return events;
      }
    }
  } finally {
    await reader.cancel().catch(() => {});
  }
}
