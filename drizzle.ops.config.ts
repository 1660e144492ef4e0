import { defineConfig } from "drizzle-kit";

export default defineConfig({
  dialect: "sqlite",
  driver: "durable-sqlite",
  schema: "./src/db/durable/ops-schema.ts",
  out: "./migrations/durable/ops",
});
