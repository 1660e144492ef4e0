#!/usr/bin/env node
import { parseArgs } from "node:util";
import { DB_USAGE, dbCommand } from "./db.ts";
import { DOCTOR_USAGE, doctorCommand } from "./doctor.ts";
import { EVENTS_USAGE, eventsCommand } from "./events.ts";
import { bundleConfig, CliError, rebuildKeepingLastGood } from "./load.ts";
import { REPORT_USAGE, reportCommand } from "./report.ts";
import { sign } from "./sign.ts";
import { start } from "./start.ts";
import { TELEGRAM_USAGE, telegramCommand } from "./telegram.ts";

const SERVE_USAGE = `  serve [--port 8788] [--host 127.0.0.1] [--data-dir .hookline] [--env development] [--offline]
                                          Hookline on Node (no Cloudflare): same routes, objects in SQLite`;

const USAGE = `Usage: npm run hookline -- <command> [options]

Commands:
  sign --source <name> --body <file|->   Print the signed headers a real sender would send
       [--id <delivery id>] [--format curl|headers|json] [--url http://127.0.0.1:8787] [--env <HOOKLINE_ENV>]
  bundle-config                           Validate hookline.yaml + config/*.yaml and bundle them for the Worker
  start                                   What \`npm start\` runs: dev secrets, bundle, wrangler dev, a signed curl
${SERVE_USAGE}
${DOCTOR_USAGE}
${DB_USAGE}
${EVENTS_USAGE}
${REPORT_USAGE}
${TELEGRAM_USAGE}
`;

async function main(argv: string[]): Promise<number> {
  const [command, ...rest] = argv;
  const root = process.cwd();
  switch (command) {
    case "bundle-config": {
      // As wrangler dev's rebuild (it sets WRANGLER_COMMAND=dev): a bad edit keeps the last good bundle serving.
      if (process.env.WRANGLER_COMMAND === "dev" && rebuildKeepingLastGood(root)) return 0;
      const { overlays } = bundleConfig(root);
      const list = overlays.length ? ` (+ overlays: ${overlays.join(", ")})` : "";
      console.error(`hookline: config OK${list}`);
      return 0;
    }
    case "sign": {
      const { values } = parseArgs({
        args: rest,
        options: {
          source: { type: "string" },
          body: { type: "string" },
          id: { type: "string" },
          env: { type: "string" },
          format: { type: "string", default: "headers" },
          url: { type: "string", default: "http://127.0.0.1:8787" },
        },
      });
      if (!values.source || !values.body) throw new CliError(`sign needs --source and --body\n\n${USAGE}`);
      if (!["curl", "headers", "json"].includes(values.format))
        throw new CliError("--format is curl, headers or json");
      console.log(
        await sign({
          root,
          source: values.source,
          body: values.body,
          id: values.id,
          env: values.env ?? process.env.HOOKLINE_ENV,
          format: values.format as "curl" | "headers" | "json",
          url: values.url,
        }),
      );
      return 0;
    }
    case "start":
      return start(root, rest);
    case "serve": {
      // Objects import their drizzle-kit migrations (.sql as text) as wrangler's bundler allows; teach
      // Node the same before the Node adapter is loaded.
      const { registerMigrationLoaders } = await import("../node/module-hooks.ts");
      registerMigrationLoaders();
      const { serve } = await import("./serve.ts");
      return serve(root, rest);
    }
    case "telegram":
      return telegramCommand(root, rest);
    case "db":
      return dbCommand(root, rest);
    case "doctor":
      return doctorCommand(root, rest);
    case "events":
      return eventsCommand(root, rest);
    case "report":
      return reportCommand(root, rest);
    case undefined:
    case "help":
    case "--help":
      console.log(USAGE);
      return command ? 0 : 1;
    default:
      throw new CliError(`unknown command "${command}"\n\n${USAGE}`);
  }
}

main(process.argv.slice(2)).then(
  (code) => {
    process.exitCode = code;
  },
  (err: unknown) => {
    if (err instanceof CliError) console.error(`hookline: ${err.message}`);
    else console.error(err);
    process.exitCode = 1;
  },
);
