// Writes migrations/durable/<object>/fresh.sql: the final schema that a new object is created with.
// Run after `drizzle-kit generate` adds a migration: npm run migrations:fresh
import { writeFileSync } from "node:fs";
import { freshSchemaSql } from "../src/node/fresh-schema.ts";

for (const object of ["run", "session", "ops"] as const) {
  const path = `migrations/durable/${object}/fresh.sql`;
  writeFileSync(path, await freshSchemaSql(object));
  console.log(`wrote ${path}`);
}
