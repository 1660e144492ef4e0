/**
 * The WebSocket → TCP proxy (src/cli/pg-ws-proxy.ts) in its own process, so its event loop is not the load
 * generator's: prints `READY <port>`, SIGTERM closes it. bench/history.ts starts it and stops it by its PID.
 */
import { startPgWsProxy } from "../../src/cli/pg-ws-proxy.ts";

const proxy = await startPgWsProxy();
process.stdout.write(`READY ${proxy.port}\n`);
process.once("SIGTERM", async () => {
  await proxy.close();
  process.exit(0);
});
