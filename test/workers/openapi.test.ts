import { SELF } from "cloudflare:test";
import { expect, it } from "vitest";
import { openApiDocument } from "../../src/handlers/openapi.ts";
import { BASE_URL } from "../fixtures/secrets.ts";

// The Worker serves the same document as the Node host (test/node/openapi.test.ts validates it).
it("GET /openapi.json on workerd: OpenAPI 3.1, no auth needed", async () => {
  const res = await SELF.fetch(`${BASE_URL}/openapi.json`);
  expect(res.status).toBe(200);
  expect(res.headers.get("content-type")).toMatch(/^application\/json/);
  const doc = (await res.json()) as { openapi: string; paths: Record<string, unknown> };
  expect(doc.openapi).toBe("3.1.0");
  expect(doc).toEqual(openApiDocument());
});
