import { Hono } from "hono";
import type { HooklineConfig, Source } from "../config/schema.ts";
import { optionalSecrets, verificationSecrets } from "../config/source-secrets.ts";
import type { Resources } from "../host/resources.ts";
import { ollamaRoot } from "../models/ollama-check.ts";
import type { AppEnv } from "./context.ts";

/** One thing /health checked. `required` ones decide the status code; the others are reported only. */
export interface HealthComponent {
  name: string;
  status: "up" | "down" | "skipped";
  required: boolean;
  detail: string;
}

/** Budget for each probe that does I/O (storage, Postgres, a model endpoint). */
const PROBE_TIMEOUT_MS = 2_000;

/**
 * GET /health: readiness. 200 when every required component is up, else 503; always the routes this config
 * serves and each component `{ name, status, required, detail }`. Details name env vars, never values.
 * GET /health/live (registered in app.ts ahead of everything else): liveness, no I/O.
 */
export const health = new Hono<AppEnv>().get("/", async (c) => {
  const config = c.get("config");
  const res = c.get("res");
  const components = await healthComponents(res, config);
  const ready = components.every((x) => !x.required || x.status === "up");
  return c.json(
    {
      status: ready ? "ok" : "unavailable",
      env: c.env.HOOKLINE_ENV ?? null,
      runtime: res.runtime,
      components,
      sources: Object.entries(config.sources).map(([name, s]) => ({
        name,
        channel: s.channel,
        route: routeOf(name, s),
      })),
    },
    ready ? 200 : 503,
    { "cache-control": "no-store" },
  );
});

/** GET /health/live: the process answers. No I/O, no config. */
export const live = () =>
  new Response(JSON.stringify({ status: "ok" }), {
    headers: { "content-type": "application/json", "cache-control": "no-store" },
  });

function routeOf(name: string, s: Source): string {
  if (s.channel === "telegram") return `/webhooks/telegram/${name}`;
  if (s.channel === "whatsapp") return `/webhooks/whatsapp/${name}`;
  return `/webhooks/in/${name}`;
}

/** Every component, the I/O probes in parallel. */
export async function healthComponents(res: Resources, config: HooklineConfig): Promise<HealthComponent[]> {
  const configured: HealthComponent = {
    name: "config",
    status: "up",
    required: true,
    detail: `${Object.keys(config.sources).length} sources, ${Object.keys(config.workflows).length} workflows`,
  };
  const probes = await Promise.all([storage(res), postgres(res), ...models(res, config)]);
  return [configured, ...secrets(res, config), admin(res, config), queues(res), ...probes];
}

const isSet = (res: Resources, name: string) => {
  const v = res.secrets[name];
  return typeof v === "string" && v !== "";
};

function secrets(res: Resources, config: HooklineConfig): HealthComponent[] {
  return Object.entries(config.sources).map(([name, s]) => {
    const missing = verificationSecrets(s)
      .filter((names) => !names.some((n) => isSet(res, n)))
      .map((names) => names.join(" or "));
    const optional = optionalSecrets(s).filter((n) => !isSet(res, n));
    const also = optional.length ? `; optional ${optional.join(", ")} not set (replies stay in traces)` : "";
    return {
      name: `secrets:${name}`,
      status: missing.length ? "down" : "up",
      required: true,
      detail: missing.length
        ? `${missing.join(", ")} not set: deliveries to ${routeOf(name, s)} are refused with 503 no_secret${also}`
        : `verification secrets set${also}`,
    };
  });
}

function admin(res: Resources, config: HooklineConfig): HealthComponent {
  const name = config.admin.tokenEnv;
  const set = isSet(res, name);
  return {
    name: "admin",
    status: set ? "up" : "down",
    required: false,
    detail: set ? `${name} set` : `${name} not set: the admin API (/admin, /runs, /metrics) is closed`,
  };
}

function queues(res: Resources): HealthComponent {
  const bound = (q: unknown) =>
    typeof (q as { send?: unknown } | undefined)?.send === "function" &&
    typeof (q as { sendBatch?: unknown }).sendBatch === "function";
  const missing = [
    ["STEPS", res.steps],
    ["EVENTS", res.events],
  ].filter(([, q]) => !bound(q));
  return {
    name: "queues",
    status: missing.length ? "down" : "up",
    required: true,
    detail: missing.length
      ? `producer ${missing.map(([n]) => n).join(", ")} not bound (check [[queues.producers]] in wrangler.toml)`
      : "STEPS and EVENTS producers bound",
  };
}

async function storage(res: Resources): Promise<HealthComponent> {
  const started = Date.now();
  const probe = await withTimeout(res.ops().probe());
  const ms = Date.now() - started;
  if (probe.ok && probe.value.ok) {
    return {
      name: "storage",
      status: "up",
      required: true,
      detail: `OpsObject wrote and read a row in ${ms} ms`,
    };
  }
  const why = probe.ok ? "the row read back differs" : probe.error;
  return {
    name: "storage",
    status: "down",
    required: true,
    detail: `OpsObject storage probe failed: ${why}`,
  };
}

async function postgres(res: Resources): Promise<HealthComponent> {
  if (!res.history) {
    return {
      name: "postgres",
      status: "skipped",
      required: false,
      detail: "DATABASE_URL not set: history stays in the Durable Object index",
    };
  }
  const started = Date.now();
  const store = res.history();
  try {
    const ping = await withTimeout(store.ping());
    const ms = Date.now() - started;
    return ping.ok
      ? { name: "postgres", status: "up", required: true, detail: `history tables answered in ${ms} ms` }
      : { name: "postgres", status: "down", required: true, detail: `history query failed: ${ping.error}` };
  } finally {
    await store.close().catch(() => {});
  }
}

/** The providers the config's llm steps use, each probed once. Not required: see the README (Health). */
function models(res: Resources, config: HooklineConfig): Promise<HealthComponent>[] {
  const used = new Set<string>();
  const walk = (node: unknown): void => {
    if (Array.isArray(node)) node.forEach(walk);
    else if (node && typeof node === "object") {
      const o = node as Record<string, unknown>;
      if (o.kind === "llm" && typeof o.model === "string") used.add(o.model.split(":")[0] ?? "");
      for (const v of Object.values(o)) if (typeof v === "object") walk(v);
    }
  };
  walk(config.workflows);
  const probes: Promise<HealthComponent>[] = [];
  const secret = (n: string) => (isSet(res, n) ? (res.secrets[n] as string) : undefined);
  if (used.has("openai")) {
    const key = secret("OPENAI_API_KEY");
    const base = (secret("OPENAI_BASE_URL") ?? "https://api.openai.com/v1").replace(/\/+$/, "");
    probes.push(
      key
        ? reach("model:openai", `${base}/models`, { authorization: `Bearer ${key}` })
        : Promise.resolve({
            name: "model:openai",
            status: "down",
            required: false,
            detail: "OPENAI_API_KEY not set: openai: steps fail",
          }),
    );
  }
  if (used.has("ollama"))
    probes.push(reach("model:ollama", `${ollamaRoot(secret("OLLAMA_BASE_URL"))}/api/tags`));
  return probes;
}

async function reach(
  name: string,
  url: string,
  headers: Record<string, string> = {},
): Promise<HealthComponent> {
  const where = new URL(url);
  const at = `${where.origin}${where.pathname}`;
  const started = Date.now();
  try {
    const r = await fetch(url, { headers, signal: AbortSignal.timeout(PROBE_TIMEOUT_MS) });
    await r.body?.cancel();
    const ms = Date.now() - started;
    return r.ok
      ? { name, status: "up", required: false, detail: `GET ${at}: HTTP ${r.status} in ${ms} ms` }
      : { name, status: "down", required: false, detail: `GET ${at}: HTTP ${r.status}` };
  } catch (err) {
    const e = err as Error;
    const why = e.name === "TimeoutError" ? `no answer within ${PROBE_TIMEOUT_MS} ms` : e.message;
    return { name, status: "down", required: false, detail: `GET ${at}: ${why}` };
  }
}

async function withTimeout<T>(p: Promise<T>): Promise<{ ok: true; value: T } | { ok: false; error: string }> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const timeout = new Promise<{ ok: false; error: string }>((resolve) => {
    timer = setTimeout(
      () => resolve({ ok: false, error: `no answer within ${PROBE_TIMEOUT_MS} ms` }),
      PROBE_TIMEOUT_MS,
    );
  });
  try {
    return await Promise.race([
      p.then(
        (value) => ({ ok: true as const, value }),
        (err: unknown) => ({ ok: false as const, error: (err as Error).message ?? String(err) }),
      ),
      timeout,
    ]);
  } finally {
    if (timer !== undefined) clearTimeout(timer);
  }
}
