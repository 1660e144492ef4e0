import { defineConfig } from "drizzle-kit";

export default defineConfig({
  dialect: "postgresql",
  schema: "./src/db/history/schema.ts",
  out: "./migrations/postgres",
});
