import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Validator } from "@seriousme/openapi-schema-validator";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { z } from "zod";
import { API_DOC, apiDoc } from "../../scripts/api-docs.ts";
import { createApp } from "../../src/app.ts";
import { loadFromDisk } from "../../src/cli/load.ts";
import { API_ROUTES, PROBLEM_DOCS } from "../../src/handlers/api-routes.ts";
import * as S from "../../src/handlers/api-schemas.ts";
import { openApiPath } from "../../src/handlers/openapi.ts";
import type { Resources } from "../../src/host/resources.ts";
import { createNodeHookline, type NodeHookline } from "../../src/node/hookline.ts";
import { TEST_BINDINGS } from "../fixtures/secrets.ts";
import { signedRequest } from "../fixtures/signed-request.ts";

// GET /openapi.json on the real app (Node host): valid OpenAPI 3.1, one operation per route the app serves,
// docs/api.md generated from the same table, and real answers that parse with the documented schemas.
const BASE = "http://hookline.test";
const admin = { authorization: `Bearer ${TEST_BINDINGS.HOOKLINE_ADMIN_TOKEN}` };
let hookline: NodeHookline;
let dataDir: string;
let doc: Record<string, unknown> & { paths: Record<string, Record<string, Record<string, unknown>>> };
const call = (path: string, init?: RequestInit) => hookline.fetch(new Request(`${BASE}${path}`, init));

beforeAll(async () => {
  dataDir = mkdtempSync(join(tmpdir(), "hookline-openapi-"));
  hookline = createNodeHookline({
    config: loadFromDisk(process.cwd(), "test"),
    secrets: { ...TEST_BINDINGS, HOOKLINE_ENV: "test" },
    dataDir,
  });
  hookline.start();
  const res = await call("/openapi.json");
  expect(res.status).toBe(200);
  doc = (await res.json()) as typeof doc;
});

afterAll(async () => {
  await hookline?.close();
  rmSync(dataDir, { recursive: true, force: true });
});

describe("/openapi.json", { timeout: 90_000 }, () => {
  it("is valid OpenAPI 3.1 (the official schema, through a validator), with every $ref resolvable", async () => {
    const validator = new Validator();
    const result = await validator.validate(structuredClone(doc));
    expect(result.errors ?? []).toEqual([]);
    expect(result.valid).toBe(true);
    expect(validator.version).toBe("3.1");
    expect(doc.openapi).toBe("3.1.0");
    const text = JSON.stringify(doc);
    expect(text).not.toContain("__shared"); // every shared schema is a named component
    const schemas = (doc.components as { schemas: Record<string, unknown> }).schemas;
    for (const [, ref] of text.matchAll(/"\$ref":"([^"]+)"/g)) {
      expect(ref).toMatch(/^#\/components\/schemas\//);
      expect(schemas, ref).toHaveProperty(String(ref).split("/").pop() as string);
    }
  });

  it("documents exactly the routes the app serves", () => {
    const app = createApp(() => ({}) as Resources);
    const served = new Set(
      app.routes
        .filter((r) => r.method !== "ALL")
        .map((r) => `${r.method.toLowerCase()} ${r.path.replace(/(.)\/$/, "$1")}`),
    );
    const documented = new Set(API_ROUTES.map((r) => `${r.method} ${r.path}`));
    // A route served but missing here: add it to src/handlers/api-routes.ts, then `npm run docs:api`.
    expect(
      [...served].filter((r) => !documented.has(r)),
      "served, not in api-routes.ts",
    ).toEqual([]);
    expect(
      [...documented].filter((r) => !served.has(r)),
      "in api-routes.ts, not served",
    ).toEqual([]);
    const operations = Object.entries(doc.paths).flatMap(([p, ops]) =>
      Object.keys(ops).map((m) => `${m} ${p}`),
    );
    expect(operations.sort()).toEqual(API_ROUTES.map((r) => `${r.method} ${openApiPath(r.path)}`).sort());
  });

  it("names the zod schemas the webhook routes parse with, and every error code with its status", () => {
    const telegram = doc.paths["/webhooks/telegram/{bot}"]?.post as Record<string, any>;
    expect(telegram.requestBody.content["application/json"].schema).toEqual({
      $ref: "#/components/schemas/TelegramUpdate",
    });
    expect(telegram.responses["202"].content["application/json"].schema).toEqual({
      $ref: "#/components/schemas/Ack",
    });
    expect(
      telegram.responses["401"].content["application/json"].schema.allOf[1].properties.error.enum,
    ).toEqual(["missing_header", "malformed_header", "stale", "bad_signature"]);
    const runs = doc.paths["/runs"]?.get as Record<string, any>;
    expect(runs.security).toEqual([{ adminToken: [] }]);
    expect(runs.parameters.find((p: { name: string }) => p.name === "status").schema.enum).toContain(
      "governor_breached",
    );
    const documentedCodes = new Set(API_ROUTES.flatMap((r) => r.errors));
    // not_found (unknown route), config_invalid and internal can come from any route.
    for (const code of Object.keys(PROBLEM_DOCS)) {
      if (!["config_invalid", "internal"].includes(code)) expect(documentedCodes, code).toContain(code);
    }
  });

  it("docs/api.md is generated from the same table (run `npm run docs:api` after changing a route)", () => {
    expect(readFileSync(API_DOC, "utf8")).toBe(apiDoc());
  });

  it("real answers parse with the documented response schemas", async () => {
    const parse = async (schema: z.ZodType, res: Response, status: number) => {
      expect(res.status).toBe(status);
      const json = await res.json();
      const parsed = schema.safeParse(json);
      expect(parsed.error?.issues ?? [], JSON.stringify(json)).toEqual([]);
      return json as Record<string, any>;
    };
    const deliveryId = crypto.randomUUID();
    const started = await parse(
      S.Ack,
      await hookline.fetch(
        await signedRequest({
          scheme: "github",
          url: `${BASE}/webhooks/in/run-wait`,
          body: { text: "approve?" },
          secret: TEST_BINDINGS.GITHUB_WEBHOOK_SECRET,
          id: deliveryId,
        }),
      ),
      202,
    );
    const runId = started.runId as string;
    await expect
      .poll(async () => ((await (await call(`/runs/${runId}`, { headers: admin })).json()) as any).status)
      .toBe("waiting");
    await parse(S.RunTrace, await call(`/runs/${runId}`, { headers: admin }), 200);
    await parse(
      S.ResumeAnswer,
      await call(`/runs/${runId}/resume`, {
        method: "POST",
        headers: { ...admin, "content-type": "application/json" },
        body: JSON.stringify({ approved: true }),
      }),
      200,
    );
    await parse(S.CancelAnswer, await call(`/runs/${runId}/cancel`, { method: "POST", headers: admin }), 200);
    await expect
      .poll(async () => ((await (await call("/runs", { headers: admin })).json()) as any).runs.length, {
        timeout: 30_000,
      })
      .toBeGreaterThan(0);
    await parse(S.RunList, await call("/runs", { headers: admin }), 200);
    await parse(S.DeliveryList, await call("/admin/deliveries", { headers: admin }), 200);
    await parse(
      S.DeliveryDetail,
      await call(`/admin/deliveries/${encodeURIComponent(started.deliveryKey)}`, { headers: admin }),
      200,
    );
    await parse(S.DeadEvents, await call("/admin/events/dead", { headers: admin }), 200);
    // The test config has a source whose secret is unset on purpose, so readiness is honestly 503.
    await parse(S.Health, await call("/health"), 503);
    await parse(S.Live, await call("/health/live"), 200);
    await parse(S.Problem, await call("/runs?limit=0", { headers: admin }), 400);
    await parse(S.Problem, await call("/runs"), 401);
  });
});
