import { existsSync } from "node:fs";
import { join } from "node:path";
import type { HooklineConfig } from "../config/schema.ts";
import { readDevVars } from "./dev-vars.ts";
import { routeOf, sign } from "./sign.ts";

const shellQuote = (s: string) => `'${s.replaceAll("'", `'\\''`)}'`;

/**
 * What `npm start` and `npm run start:node` print once the server answers: the dashboard, the endpoints, a
 * signed Telegram delivery and (when the demo's order source and example exist) a signed Standard Webhooks one.
 */
export async function banner(opts: {
  root: string;
  config: HooklineConfig;
  url: string;
  title: string;
  notes?: string[];
}): Promise<string> {
  const { root, config, url } = opts;
  const lines = [
    "",
    opts.title,
    "",
    `Dashboard: ${url}/dashboard  (sign in with the value of ${config.admin.tokenEnv})`,
    "",
    "Endpoints:",
  ];
  for (const [name, s] of Object.entries(config.sources)) {
    const methods = s.channel === "whatsapp" ? "GET|POST" : "POST";
    const scheme = s.channel === "generic" ? `, ${s.scheme}` : "";
    lines.push(`  ${methods.padEnd(8)} ${url}${routeOf(s.channel, name)}  (${s.channel}${scheme})`);
  }
  lines.push(
    `  GET      ${url}/health             (readiness: each component; /health/live for liveness)`,
    `  GET      ${url}/metrics            (Prometheus; Authorization: Bearer $${config.admin.tokenEnv})`,
    `  GET      ${url}/admin/deliveries   (Authorization: Bearer $${config.admin.tokenEnv})`,
    `  GET      ${url}/runs/:id           (the run's trace; same bearer token)`,
  );
  const bot = Object.entries(config.sources).find(([, s]) => s.channel === "telegram");
  if (bot && bot[1].channel === "telegram") {
    // The token itself never goes into the output (a log line): the curl reads it where it is kept.
    const name = bot[1].secretEnv[0] as string;
    const secret = readDevVars(root)[name] ? `$(grep '^${name}=' .dev.vars | cut -d= -f2-)` : `$${name}`;
    const now = Math.floor(Date.now() / 1000);
    const body = JSON.stringify({
      update_id: now % 2_000_000_000,
      message: {
        message_id: 1,
        date: now,
        chat: { id: 4242, type: "private" },
        from: { id: 4242, is_bot: false, first_name: "Ada" },
        text: "hello hookline",
      },
    });
    lines.push(
      "",
      `Try a signed Telegram delivery (send it twice: the second answer is "duplicate"):`,
      "",
      `curl -sS -X POST ${url}${routeOf("telegram", bot[0])} \\`,
      `  -H 'content-type: application/json' \\`,
      `  -H "X-Telegram-Bot-Api-Secret-Token: ${secret}" \\`,
      `  --data ${shellQuote(body)}`,
    );
  }
  const orders = config.sources.orders;
  const example = join(root, "examples", "order.json");
  if (orders?.channel === "generic" && orders.scheme === "standard-webhooks" && existsSync(example)) {
    const curl = await sign({ root, source: "orders", body: example, format: "curl", url }).catch(() => "");
    if (curl) lines.push("", "A signed Standard Webhooks delivery (its 202 names the run):", "", curl);
  }
  lines.push(
    "",
    `Then look at the run: curl -sS -H "Authorization: Bearer $${config.admin.tokenEnv}" ${url}/runs/<runId>`,
    "Sign a delivery for any source: npm run hookline -- sign --source orders --body examples/order.json --format curl",
    ...(opts.notes ?? []),
    "Secrets are in .dev.vars. Stop with Ctrl-C.",
    "",
  );
  return lines.join("\n");
}
