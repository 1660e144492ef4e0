import type { AddressInfo } from "node:net";
import { createServer } from "node:net";

/**
 * A `http://127.0.0.1:<port>` URL where nothing listens: binds a random port, then closes it,
 * so connecting gets "connection refused" (the port is free again, and nobody else asked for it).
 *
 * @example
 * const url = await closedPortUrl(); // OLLAMA_BASE_URL = url → "Ollama is not reachable at …"
 */
export async function closedPortUrl(): Promise<string> {
  return `http://127.0.0.1:${await freePort()}`;
}

/**
 * A port on 127.0.0.1 that nothing listens on right now: for a child server to take, or to be refused at.
 *
 * @example spawn(node, ["src/cli/main.ts", "serve", "--port", String(await freePort())])
 */
export async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  await new Promise<void>((resolve, reject) => server.close((error) => (error ? reject(error) : resolve())));
  return port;
}
