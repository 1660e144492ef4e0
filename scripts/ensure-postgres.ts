/**
 * `node scripts/ensure-postgres.ts`: finds or starts the test Postgres (see test/servers/postgres.ts).
 * Prints its URL on stdout and exits 0; without one prints the reason on stderr and exits 2
 * (under CI=true a missing Postgres is an error: exit 1).
 */
import { findOrStartPostgres } from "../test/servers/postgres.ts";

try {
  const found = await findOrStartPostgres();
  if ("url" in found) {
    console.log(found.url);
  } else {
    console.error(`postgres: not reachable (${found.skipped})`);
    process.exitCode = 2;
  }
} catch (error) {
  console.error(`postgres: ${(error as Error).message}`);
  process.exitCode = 1;
}
