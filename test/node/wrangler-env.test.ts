import { resolve } from "node:path";
import { expect, it } from "vitest";
import { unstable_readConfig } from "wrangler";

// wrangler.toml's [env.production] repeats the bindings (an environment does not inherit them): the same
// objects and queues as the top-level config the tests run, with HOOKLINE_ENV=production (and production's
// smaller STEPS batch).
it("[env.production] has the top-level bindings and queues, and HOOKLINE_ENV=production", () => {
  const config = resolve(import.meta.dirname, "../../wrangler.toml");
  const top = unstable_readConfig({ config });
  const prod = unstable_readConfig({ config, env: "production" });
  expect(top.vars).toMatchObject({ HOOKLINE_ENV: "development" });
  expect(prod.vars).toEqual({ HOOKLINE_ENV: "production" });
  expect(prod.name).toBe("hookline-production");
  expect(prod.durable_objects).toEqual(top.durable_objects);
  // The one intended difference: locally the STEPS batch is larger, since Miniflare runs one batch at a time.
  type Consumer = NonNullable<typeof top.queues.consumers>[number];
  const steps = (c: typeof top) => c.queues.consumers?.find((q: Consumer) => q.queue === "hookline-steps");
  expect(steps(prod)?.max_batch_size).toBe(10);
  expect(steps(top)?.max_batch_size).toBe(100);
  const sameBatch = (c: typeof top) => ({
    ...c.queues,
    consumers: c.queues.consumers?.map((q: Consumer) =>
      q.queue === "hookline-steps" ? { ...q, max_batch_size: 10 } : q,
    ),
  });
  expect(sameBatch(prod)).toEqual(sameBatch(top));
  expect(prod.migrations).toEqual(top.migrations);
  expect(prod.main).toBe(top.main);
  expect(prod.build.command).toBe(top.build.command);
});
