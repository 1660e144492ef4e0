import { parseArgs } from "node:util";
import { readDevVars } from "./dev-vars.ts";
import { CliError } from "./load.ts";

export const EVENTS_USAGE = `  events dead|replay [--url http://127.0.0.1:8787] [--token-env HOOKLINE_ADMIN_TOKEN]
                                          Show or replay EVENTS that exhausted their retries (admin API)`;

/**
 * `hookline events dead` / `hookline events replay`: calls the admin API of a running Hookline (local or
 * deployed). The token comes from the named env var, else from `.dev.vars`.
 */
export async function eventsCommand(root: string, argv: string[]): Promise<number> {
  const [sub, ...rest] = argv;
  if (sub !== "dead" && sub !== "replay")
    throw new CliError(`unknown events command "${sub ?? ""}"\n\n${EVENTS_USAGE}`);
  const { values } = parseArgs({
    args: rest,
    options: {
      url: { type: "string", default: "http://127.0.0.1:8787" },
      "token-env": { type: "string", default: "HOOKLINE_ADMIN_TOKEN" },
    },
  });
  const name = values["token-env"];
  const token = process.env[name] ?? readDevVars(root)[name];
  if (!token) throw new CliError(`events ${sub} needs the admin token: set ${name} (env or .dev.vars)`);
  const url = new URL(sub === "dead" ? "/admin/events/dead" : "/admin/events/replay", values.url);
  let res: Response;
  try {
    res = await fetch(url, {
      method: sub === "dead" ? "GET" : "POST",
      headers: { authorization: `Bearer ${token}` },
    });
  } catch (err) {
    throw new CliError(
      `could not reach Hookline at ${values.url} (${(err as Error).message}); is it running?`,
    );
  }
  const body = await res.text();
  if (!res.ok) throw new CliError(`${url.pathname} answered ${res.status}: ${body}`);
  const json = JSON.parse(body) as { total?: number; replayed?: number; left?: number };
  console.log(
    sub === "dead"
      ? `${json.total ?? 0} dead-lettered event(s)${json.total ? `\n${body}` : ""}`
      : `replayed ${json.replayed ?? 0} event(s) to EVENTS; ${json.left ?? 0} left`,
  );
  return 0;
}
