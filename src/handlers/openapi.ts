import { Hono } from "hono";
import { z } from "zod";
import { API_ROUTES, type ApiRoute, type Auth, type Param, PROBLEM_DOCS } from "./api-routes.ts";
import { COMPONENTS, Problem } from "./api-schemas.ts";
import type { AppEnv } from "./context.ts";
import { type ProblemCode, statusOf } from "./problem.ts";

/**
 * `/openapi.json` (OpenAPI 3.1) and docs/api.md, both built from the route table (api-routes.ts) with zod 4's
 * own `z.toJSONSchema` (draft 2020-12, the dialect OpenAPI 3.1 uses): no generator dependency, and the
 * handlers keep reading raw bytes before anything parses them.
 */

type JsonSchema = Record<string, unknown>;

const TO_SCHEMA = { io: "input", unrepresentable: "any" } as const;
const REF = (id: string) => `#/components/schemas/${id}`;

/** Named schemas → components, converted together so shared ones become `$ref`s. */
function componentSchemas(): { schemas: Record<string, JsonSchema>; idOf: Map<z.ZodType, string> } {
  const registry = z.registry<{ id: string }>();
  const idOf = new Map<z.ZodType, string>();
  for (const [id, schema] of Object.entries(COMPONENTS)) {
    registry.add(schema, { id });
    idOf.set(schema, id);
  }
  const out = z.toJSONSchema(registry, { ...TO_SCHEMA, uri: REF });
  const schemas: Record<string, JsonSchema> = {};
  for (const [id, schema] of Object.entries(out.schemas)) {
    const { $schema: _s, $id: _i, ...rest } = schema as JsonSchema;
    schemas[id] = rest;
  }
  return { schemas, idOf };
}

function inlineSchema(schema: z.ZodType | undefined): JsonSchema {
  if (!schema) return { type: "string" };
  const { $schema: _s, ...rest } = z.toJSONSchema(schema, TO_SCHEMA) as JsonSchema;
  return rest;
}

/** `/runs/:id` → `/runs/{id}`. */
export const openApiPath = (path: string) => path.replace(/:([A-Za-z0-9_]+)/g, "{$1}");

const SECURITY: Record<Auth, Record<string, string[]>[] | undefined> = {
  none: [],
  signature: [],
  admin: [{ adminToken: [] }],
  "admin-or-run-token": [{ adminToken: [] }, { runToken: [] }],
};

/** Errors grouped by the status problem.ts answers them with. */
export function errorsByStatus(codes: readonly ProblemCode[]): Map<number, ProblemCode[]> {
  const map = new Map<number, ProblemCode[]>();
  for (const code of codes) {
    const status = statusOf(code);
    map.set(status, [...(map.get(status) ?? []), code]);
  }
  return new Map([...map.entries()].sort(([a], [b]) => a - b));
}

function operation(route: ApiRoute, idOf: Map<z.ZodType, string>): JsonSchema {
  const ref = (schema: z.ZodType) => {
    const id = idOf.get(schema);
    return id ? { $ref: REF(id) } : inlineSchema(schema);
  };
  const param = (name: string, p: Param, where: "path" | "query") => ({
    name,
    in: where,
    required: where === "path" ? true : (p.required ?? false),
    description: p.description,
    schema: inlineSchema(p.schema),
  });
  const responses: Record<string, unknown> = {};
  for (const [status, r] of Object.entries(route.responses)) {
    responses[status] = {
      description: r.description,
      ...(r.schema && { content: { "application/json": { schema: ref(r.schema) } } }),
      ...(!r.schema && r.contentType && { content: { [r.contentType]: { schema: { type: "string" } } } }),
    };
  }
  for (const [status, codes] of errorsByStatus(route.errors)) {
    responses[String(status)] = {
      description: codes.map((c) => `\`${c}\``).join(", "),
      ...(status === 503 && {
        headers: { "Retry-After": { description: "Seconds to wait (30)", schema: { type: "integer" } } },
      }),
      content: {
        "application/json": {
          schema: {
            allOf: [{ $ref: REF("Problem") }, { properties: { error: { enum: codes } } }],
          },
        },
      },
    };
  }
  return {
    operationId: `${route.method}${openApiPath(route.path)
      .split(/[/{}.]+/)
      .filter(Boolean)
      .map((w) => w.charAt(0).toUpperCase() + w.slice(1))
      .join("")}`,
    tags: [route.tag],
    summary: route.summary,
    ...(route.description && { description: route.description }),
    ...(SECURITY[route.auth]?.length ? { security: SECURITY[route.auth] } : { security: [] }),
    parameters: [
      ...Object.entries(route.params ?? {}).map(([n, p]) => param(n, p, "path")),
      ...Object.entries(route.query ?? {}).map(([n, p]) => param(n, p, "query")),
    ],
    ...(route.body && {
      requestBody: {
        required: true,
        description: route.body.description,
        content: { [route.body.contentType ?? "application/json"]: { schema: ref(route.body.schema) } },
      },
    }),
    responses,
  };
}

let cached: JsonSchema | undefined;

/** The OpenAPI 3.1 document for every route in the table. */
export function openApiDocument(): JsonSchema {
  if (cached) return cached;
  const { schemas, idOf } = componentSchemas();
  const paths: Record<string, Record<string, unknown>> = {};
  for (const route of API_ROUTES) {
    const path = openApiPath(route.path);
    paths[path] = { ...paths[path], [route.method]: operation(route, idOf) };
  }
  cached = {
    openapi: "3.1.0",
    info: {
      title: "Hookline",
      version: "1",
      description:
        "Inbound webhooks to durable agent runs. Error bodies are `{ error, message }`; see docs/api.md for every code.",
    },
    tags: [
      {
        name: "webhooks",
        description: "Signed senders: verified over the raw bytes, deduplicated, recorded",
      },
      { name: "runs", description: "Runs: list, trace, cancel, resume" },
      { name: "admin", description: "Deliveries and dead-lettered events" },
      { name: "meta", description: "Health and this document" },
    ],
    paths,
    components: {
      schemas: { ...schemas, Problem: schemas.Problem ?? inlineSchema(Problem) },
      securitySchemes: {
        adminToken: {
          type: "http",
          scheme: "bearer",
          description:
            "The admin token (the env var named by `admin.tokenEnv`, default HOOKLINE_ADMIN_TOKEN)",
        },
        runToken: {
          type: "http",
          scheme: "bearer",
          description: "A run's own read token (`rt_…`), from the 202 that started it",
        },
      },
    },
  };
  return cached;
}

/** GET /openapi.json */
export const openapi = new Hono<AppEnv>().get("/", (c) => c.json(openApiDocument()));

// ---- docs/api.md -------------------------------------------------------------------------------------------

const AUTH_TEXT: Record<Auth, string> = {
  none: "none",
  signature: "the source's signature",
  admin: "admin bearer token",
  "admin-or-run-token": "admin bearer token, or the run's `rt_…` token",
};

const cell = (s: string) => s.replaceAll("|", "\\|").replaceAll("\n", " ");

/** docs/api.md, from the same table (run `npm run docs:api`; a test keeps the file in step). */
export function apiMarkdown(): string {
  const out: string[] = [
    "# Hookline HTTP API",
    "",
    "<!-- Generated by `npm run docs:api` from src/handlers/api-routes.ts; do not edit by hand. -->",
    "",
    "The machine-readable form is `GET /openapi.json` (OpenAPI 3.1), built from the same route table. Error",
    'bodies are `{"error": "<code>", "message": "<for people>"}` and never contain secret material; every 503',
    "carries `Retry-After: 30`.",
    "",
    "## Routes",
    "",
    "| Method | Path | Auth | What |",
    "| --- | --- | --- | --- |",
    ...API_ROUTES.map(
      (r) => `| \`${r.method.toUpperCase()}\` | \`${r.path}\` | ${AUTH_TEXT[r.auth]} | ${cell(r.summary)} |`,
    ),
  ];
  for (const r of API_ROUTES) {
    out.push(
      "",
      `### \`${r.method.toUpperCase()} ${r.path}\``,
      "",
      `${r.summary}.${r.description ? ` ${r.description}` : ""}`,
    );
    out.push("", `Auth: ${AUTH_TEXT[r.auth]}.`);
    const params = [
      ...Object.entries(r.params ?? {}).map(([n, p]) => [`\`:${n}\` (path)`, p.description] as const),
      ...Object.entries(r.query ?? {}).map(
        ([n, p]) => [`\`${n}\`${p.required ? " (required)" : ""}`, p.description] as const,
      ),
    ];
    if (params.length) {
      out.push(
        "",
        "| Parameter | Meaning |",
        "| --- | --- |",
        ...params.map(([n, d]) => `| ${n} | ${cell(d)} |`),
      );
    }
    if (r.body) out.push("", `Body: ${r.body.description} (\`${schemaName(r.body.schema)}\`).`);
    const rows = [
      ...Object.entries(r.responses).map(
        ([status, resp]) =>
          `| ${status} | — | ${cell(resp.description)}${resp.schema ? ` (\`${schemaName(resp.schema)}\`)` : ""} |`,
      ),
      ...[...errorsByStatus(r.errors)].map(
        ([status, codes]) =>
          `| ${status} | ${codes.map((c) => `\`${c}\``).join(", ")} | see the error table |`,
      ),
    ];
    out.push("", "| Status | `error` | Meaning |", "| --- | --- | --- |", ...rows);
  }
  out.push(
    "",
    "## Error codes",
    "",
    "| `error` | Status | Meaning | The sender should |",
    "| --- | --- | --- | --- |",
    ...(Object.entries(PROBLEM_DOCS) as [ProblemCode, { meaning: string; todo: string }][])
      .sort(([a], [b]) => statusOf(a) - statusOf(b) || a.localeCompare(b))
      .map(([code, d]) => `| \`${code}\` | ${statusOf(code)} | ${cell(d.meaning)} | ${cell(d.todo)} |`),
    "",
  );
  return out.join("\n");
}

function schemaName(schema: z.ZodType): string {
  for (const [id, s] of Object.entries(COMPONENTS)) if (s === schema) return id;
  return "inline";
}
