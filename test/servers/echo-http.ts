import { type FakeServer, sendJson, startRecordingServer } from "./recorder.ts";

/**
 * A small HTTP server for `http` step tests, on 127.0.0.1:
 * - `/json` (any method): echoes `{ method, path, query, headers, body }` as JSON;
 * - `/text`: `text/plain` hello;
 * - `/status/<code>?retryAfter=<value>`: that status, with `Retry-After` when asked;
 * - `/redirect?to=<url>&status=<3xx>`: a redirect to `to` (default 302);
 * - `/hops/<n>`: a chain of n redirects ending at `/json`;
 * - `/slow?ms=<ms>`: sends headers and a first chunk, then waits `ms` before finishing;
 * - `/big?bytes=<n>`: n bytes of text.
 * Like every fake server here it records requests (`GET /__requests`, `POST /__reset`).
 *
 * @example
 * const server = await startEchoHttp(); // fetch(`${server.url}/status/503?retryAfter=2`)
 */
export function startEchoHttp(): Promise<FakeServer> {
  return startRecordingServer(async (_req, res, record) => {
    const url = new URL(record.path, "http://echo.invalid");
    const [, route = "", arg] = url.pathname.split("/");
    const query = Object.fromEntries(url.searchParams);
    switch (route) {
      case "json":
        return sendJson(res, 200, {
          method: record.method,
          path: url.pathname,
          query,
          headers: record.headers,
          body: record.body,
        });
      case "text":
        res.writeHead(200, { "content-type": "text/plain; charset=utf-8" });
        return void res.end("hello from echo-http");
      case "status": {
        const headers: Record<string, string> = query.retryAfter ? { "retry-after": query.retryAfter } : {};
        return sendJson(res, Number(arg), { status: Number(arg) }, headers);
      }
      case "redirect":
        res.writeHead(Number(query.status ?? 302), { location: query.to ?? "/json" });
        return void res.end();
      case "hops": {
        const left = Number(arg);
        res.writeHead(302, { location: left > 1 ? `/hops/${left - 1}` : "/json" });
        return void res.end();
      }
      case "slow":
        res.writeHead(200, { "content-type": "text/plain" });
        res.write("first chunk\n");
        await new Promise((resolve) => setTimeout(resolve, Number(query.ms ?? 5_000)));
        return void res.end("done\n");
      case "big":
        res.writeHead(200, { "content-type": "text/plain" });
        return void res.end("a".repeat(Number(query.bytes ?? 0)));
      default:
        return sendJson(res, 404, { error: `no route ${url.pathname}` });
    }
  });
}
