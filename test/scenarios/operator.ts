import parsePrometheus from "parse-prometheus-text-format";
import { describe, expect, it, vi } from "vitest";
import type { HealthComponent } from "../../src/handlers/health.ts";
import { TEST_BINDINGS } from "../fixtures/secrets.ts";
import { adminHeaders, adminPost, call, deliver, waitForStatus } from "./fixtures.ts";
import { target } from "./target.ts";

type Series = Map<string, number>;

/**
 * Reads a /metrics body twice: through parse-prometheus-text-format (which throws on any line that is not
 * valid text format, and checks HELP/TYPE grouping), and strictly by hand for what that parser does not
 * check: every sample belongs to a declared family, histogram buckets are cumulative and end in +Inf equal
 * to `_count`. Returns each sample as `name{labels}` → value.
 */
function scrapeStrict(text: string): Series {
  const families = parsePrometheus(text);
  const declared = new Map(families.map((f) => [f.name, f.type]));
  expect(families.every((f) => f.help !== "")).toBe(true);
  const series: Series = new Map();
  for (const line of text.split("\n")) {
    if (line === "" || line.startsWith("# ")) continue;
    const m = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(\{[^}]*\})? (\S+)$/.exec(line);
    expect(m, `a sample line: ${line}`).not.toBeNull();
    const [, name = "", labels = "", value = ""] = m ?? [];
    const family = [name, name.replace(/_(bucket|sum|count)$/, "")].find((n) => declared.has(n));
    expect(family, `a declared family for ${name}`).toBeDefined();
    expect(Number.isNaN(Number(value))).toBe(false);
    series.set(`${name}${labels}`, Number(value));
  }
  for (const [name, type] of declared) {
    if (type !== "HISTOGRAM") continue;
    for (const [key, count] of series) {
      if (!key.startsWith(`${name}_count`)) continue;
      const labels = key.slice(`${name}_count`.length);
      const inner = labels.slice(1, -1);
      const buckets = [...series]
        .filter(
          ([k]) =>
            k.startsWith(`${name}_bucket{`) && k.replace(/,?le="[^"]*"/, "") === `${name}_bucket{${inner}}`,
        )
        .map(([k, v]) => ({ le: /le="([^"]*)"/.exec(k)?.[1] ?? "", v }));
      expect(buckets.at(-1)).toEqual({ le: "+Inf", v: count });
      for (let i = 1; i < buckets.length; i++)
        expect(buckets[i]?.v).toBeGreaterThanOrEqual(buckets[i - 1]?.v ?? 0);
      expect(series.has(`${name}_sum${labels}`)).toBe(true);
    }
  }
  return series;
}

async function scrape(): Promise<Series> {
  const res = await call("/metrics", { headers: adminHeaders });
  expect(res.status).toBe(200);
  expect(res.headers.get("content-type")).toContain("text/plain; version=0.0.4");
  return scrapeStrict(await res.text());
}

/** /health/live, /health's components and /metrics, on both runtimes. */
export const operatorScenarios = () =>
  describe("operator endpoints", { timeout: 90_000 }, () => {
    it("GET /health/live answers 200 at once", async () => {
      const res = await call("/health/live");
      expect(res.status).toBe(200);
      expect(await res.json()).toEqual({ status: "ok" });
    });

    it("GET /health is 503 while a required component is down, names the missing env var and never a value", async () => {
      const res = await call("/health");
      // config/test.yaml's `no-secret` source has no secret on purpose.
      expect(res.status).toBe(503);
      const body = (await res.json()) as {
        status: string;
        runtime: string;
        env: string | null;
        components: HealthComponent[];
        sources: { name: string; route: string }[];
      };
      expect(body).toMatchObject({ status: "unavailable", runtime: target().runtime, env: "test" });
      expect(body.sources).toContainEqual({
        name: "orders",
        channel: "generic",
        route: "/webhooks/in/orders",
      });
      const byName = new Map(body.components.map((c) => [c.name, c]));
      expect(byName.get("config")).toMatchObject({ status: "up", required: true });
      expect(byName.get("storage")).toMatchObject({ status: "up", required: true });
      expect(byName.get("queues")).toMatchObject({ status: "up", required: true });
      expect(byName.get("postgres")).toMatchObject({ status: "skipped", required: false });
      expect(byName.get("admin")).toMatchObject({ status: "up", required: false });
      expect(byName.get("secrets:orders")).toMatchObject({ status: "up", required: true });
      expect(byName.get("secrets:no-secret")).toMatchObject({ status: "down", required: true });
      expect(byName.get("secrets:no-secret")?.detail).toContain("NEVER_SET_WEBHOOK_SECRET not set");
      // openai: steps are configured: probed, reported, never required.
      expect(byName.get("model:openai")).toMatchObject({ required: false });
      // The missing secret is the only required component down.
      const down = body.components.filter((c) => c.required && c.status !== "up").map((c) => c.name);
      expect(down).toEqual(["secrets:no-secret"]);
      const text = JSON.stringify(body);
      for (const value of Object.values(TEST_BINDINGS)) expect(text).not.toContain(value);
    });

    it("GET /metrics needs the admin token", async () => {
      expect((await call("/metrics")).status).toBe(401);
    });

    it("GET /metrics counts deliveries, runs, steps, tokens, cost and cancel latency, each once", async () => {
      const before = await scrape();
      const id = crypto.randomUUID();
      const first = await deliver("run-metrics", { text: "count me", wait: false }, id);
      await waitForStatus(first.json.runId as string, ["completed"]);
      const again = await deliver("run-metrics", { text: "count me", wait: false }, id);
      expect(again.json.status).toBe("duplicate");
      const held = await deliver("run-metrics", { text: "hold", wait: true });
      await waitForStatus(held.json.runId as string, ["waiting"]);
      expect((await adminPost(`/runs/${held.json.runId}/cancel`)).status).toBe(200);

      const delta = (after: Series, key: string) => (after.get(key) ?? 0) - (before.get(key) ?? 0);
      let after: Series = new Map();
      await vi.waitFor(
        async () => {
          after = await scrape();
          expect({
            accepted: delta(after, 'hookline_deliveries_total{outcome="accepted",source="run-metrics"}'),
            duplicate: delta(after, 'hookline_deliveries_total{outcome="duplicate",source="run-metrics"}'),
            started: delta(after, 'hookline_runs_started_total{workflow="metrics-probe"}'),
            completed: delta(
              after,
              'hookline_runs_finished_total{status="completed",workflow="metrics-probe"}',
            ),
            cancelled: delta(
              after,
              'hookline_runs_finished_total{status="cancelled",workflow="metrics-probe"}',
            ),
          }).toEqual({ accepted: 2, duplicate: 1, started: 2, completed: 1, cancelled: 1 });
          expect(delta(after, "hookline_cancel_latency_seconds_count")).toBeGreaterThanOrEqual(1);
        },
        { timeout: 45_000, interval: 200 },
      );
      expect(
        delta(after, 'hookline_step_duration_seconds_count{kind="llm",status="succeeded"}'),
      ).toBeGreaterThanOrEqual(2);
      expect(delta(after, 'hookline_model_tokens_total{direction="output",model="echo"}')).toBeGreaterThan(0);
      // config/test.yaml prices echo, so its cost moves too.
      expect(delta(after, 'hookline_model_cost_usd_total{model="echo"}')).toBeGreaterThan(0);
      expect(after.get("hookline_events_dead")).toBe(0);
    });
  });
