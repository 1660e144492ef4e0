import { resolve } from "node:path";
import { expect, it } from "vitest";
import { unstable_readConfig } from "wrangler";

// wrangler.toml's [env.production] repeats the bindings (an environment does not inherit them): the same
// objects and queues as the top-level config the tests run, with HOOKLINE_ENV=production.
it("[env.production] has the top-level bindings and queues, and HOOKLINE_ENV=production", () => {
  const config = resolve(import.meta.dirname, "../../wrangler.toml");
  const top = unstable_readConfig({ config });
  const prod = unstable_readConfig({ config, env: "production" });
  expect(top.vars).toMatchObject({ HOOKLINE_ENV: "development" });
  expect(prod.vars).toEqual({ HOOKLINE_ENV: "production" });
  expect(prod.name).toBe("hookline-production");
  expect(prod.durable_objects).toEqual(top.durable_objects);
  expect(prod.queues).toEqual(top.queues);
  expect(prod.migrations).toEqual(top.migrations);
  expect(prod.main).toBe(top.main);
  expect(prod.build.command).toBe(top.build.command);
});
