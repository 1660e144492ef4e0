import { defineConfig } from "drizzle-kit";

export default defineConfig({
  dialect: "sqlite",
  driver: "durable-sqlite",
  schema: "./src/db/durable/run-schema.ts",
  out: "./migrations/durable/run",
});
