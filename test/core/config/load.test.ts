import { describe, expect, it } from "vitest";
import { formatIssues, loadConfig, mergeLayers } from "../../../src/config/load.ts";
import { retentionOf, WhatsAppSource } from "../../../src/config/schema.ts";
import { formatDuration, parseDuration } from "../../../src/core/duration.ts";

const base = {
  file: "hookline.yaml",
  data: {
    version: 1,
    sources: {
      bot: { channel: "telegram", secretEnv: "BOT_SECRET" },
      orders: { channel: "generic", scheme: "standard-webhooks", secretEnv: ["NEW_KEY", "OLD_KEY"] },
    },
  },
};

describe("config loading", () => {
  it("gives every `model: default` llm step, nested ones too, the configured default model", () => {
    const workflows = {
      w: {
        steps: [
          { id: "a", kind: "llm", model: "default", prompt: "x" },
          { id: "b", kind: "llm", model: "openai:gpt-4o-mini", prompt: "x" },
          {
            id: "each",
            kind: "parallel",
            forEach: "input.items",
            steps: [{ id: "c", kind: "llm", model: "default", prompt: "x" }],
          },
        ],
      },
    };
    const models = (layers: { file: string; data: unknown }[]) => {
      const result = loadConfig(layers);
      if (!result.ok) throw new Error(formatIssues(result.issues));
      return JSON.stringify(result.config.workflows.w).match(/"model":"[^"]+"/g);
    };
    const withWorkflows = { file: "hookline.yaml", data: { ...base.data, workflows } };
    expect(models([withWorkflows])).toEqual([
      '"model":"echo"',
      '"model":"openai:gpt-4o-mini"',
      '"model":"echo"',
    ]);
    const offline = { file: "--offline", data: { defaults: { model: "ollama:llama3.2" } } };
    expect(models([withWorkflows, offline])).toEqual([
      '"model":"ollama:llama3.2"',
      '"model":"openai:gpt-4o-mini"',
      '"model":"ollama:llama3.2"',
    ]);
  });

  it("applies defaults and normalizes secret names to lists", () => {
    const result = loadConfig([base]);
    expect(result.ok).toBe(true);
    if (!result.ok) return;
    expect(result.config.defaults.maxBodyBytes).toBe(1_048_576);
    expect(result.config.admin.tokenEnv).toBe("HOOKLINE_ADMIN_TOKEN");
    expect(result.config.sources.bot).toMatchObject({ secretEnv: ["BOT_SECRET"] });
  });

  it("keeps dedup keys at least as long as each sender retries", () => {
    const result = loadConfig([base]);
    if (!result.ok) throw new Error("config should load");
    const bot = result.config.sources.bot;
    const orders = result.config.sources.orders;
    if (!bot || !orders) throw new Error("sources missing");
    expect(retentionOf(bot)).toBeGreaterThanOrEqual(24 * 3_600_000);
    expect(retentionOf(orders)).toBeGreaterThanOrEqual(3 * 86_400_000);
    expect(
      retentionOf(WhatsAppSource.parse({ channel: "whatsapp", appSecretEnv: "A", verifyTokenEnv: "B" })),
    ).toBeGreaterThanOrEqual(7 * 86_400_000);
  });

  it("blames the overlay file for a problem the overlay introduced, with path and fix", () => {
    const overlay = { file: "config/production.yaml", data: { sources: { orders: { scheme: "strype" } } } };
    const result = loadConfig([base, overlay]);
    expect(result.ok).toBe(false);
    if (result.ok) return;
    expect(result.issues).toEqual([
      expect.objectContaining({ file: "config/production.yaml", path: "sources.orders.scheme" }),
    ]);
    expect(result.issues[0]?.fix).toContain('"stripe"');
  });

  it("blames the base file for a misspelled key and says how to fix it", () => {
    const data = { ...base.data, sources: { bot: { channel: "telegram", secretEnv: "X", retenton: "1d" } } };
    const result = loadConfig([{ file: "hookline.yaml", data }]);
    expect(result.ok).toBe(false);
    if (result.ok) return;
    expect(formatIssues(result.issues)).toContain("hookline.yaml: sources.bot: ");
    expect(formatIssues(result.issues)).toContain("`retenton`");
  });

  it("refuses an inline secret value where an env var name belongs", () => {
    const data = { ...base.data, sources: { bot: { channel: "telegram", secretEnv: "s3cr3t-value" } } };
    const result = loadConfig([{ file: "hookline.yaml", data }]);
    expect(result.ok).toBe(false);
    if (result.ok) return;
    expect(result.issues[0]).toMatchObject({ path: "sources.bot.secretEnv[0]" });
    expect(result.issues[0]?.fix).toContain("env var NAME");
  });

  it("rejects a retention that is not a duration", () => {
    const data = {
      ...base.data,
      sources: { bot: { channel: "telegram", secretEnv: "X", retention: "forever" } },
    };
    const result = loadConfig([{ file: "hookline.yaml", data }]);
    expect(result.ok).toBe(false);
  });
});

describe("model strings", () => {
  const withSteps = (steps: unknown[], defaults?: unknown) => ({
    file: "hookline.yaml",
    data: { ...base.data, ...(defaults ? { defaults } : {}), workflows: { w: { steps } } },
  });

  it("rejects `model: gpt4` with the file, the step's path and a fix, nested steps too", () => {
    const result = loadConfig([
      withSteps([
        { id: "a", kind: "llm", model: "gpt4", prompt: "x" },
        {
          id: "each",
          kind: "parallel",
          forEach: "input.items",
          steps: [{ id: "b", kind: "llm", model: "openai:", prompt: "x" }],
        },
      ]),
    ]);
    expect(result.ok).toBe(false);
    if (result.ok) return;
    expect(formatIssues(result.issues)).toBe(
      [
        'hookline.yaml: workflows.w.steps[0].model: unknown model "gpt4" (did you mean openai:gpt4 or ollama:gpt4?)',
        "    fix: use one of: echo, echo?delayMs=<ms>, openai:<model>, ollama:<model> or default",
        'hookline.yaml: workflows.w.steps[1].steps[0].model: model "openai:" names no model',
        "    fix: write openai:<model>, e.g. openai:gpt-4o-mini",
      ].join("\n"),
    );
  });

  it("blames a bad defaults.model once, on the overlay that set it, not on every `model: default` step", () => {
    const overlay = { file: "config/prod.yaml", data: { defaults: { model: "llama3" } } };
    const result = loadConfig([
      withSteps([{ id: "a", kind: "llm", model: "default", prompt: "x" }]),
      overlay,
    ]);
    expect(result.ok).toBe(false);
    if (result.ok) return;
    expect(result.issues).toEqual([
      {
        file: "config/prod.yaml",
        path: "defaults.model",
        message: 'unknown model "llama3" (did you mean openai:llama3 or ollama:llama3?)',
        fix: "use one of: echo, echo?delayMs=<ms>, openai:<model>, ollama:<model>",
      },
    ]);
  });

  it("accepts every form the registry knows", () => {
    const steps = ["echo", "echo?delayMs=20", "openai:gpt-4o-mini", "ollama:llama3.2:1b", "default"].map(
      (model, i) => ({ id: `s${i}`, kind: "llm", model, prompt: "x" }),
    );
    expect(loadConfig([withSteps(steps)]).ok).toBe(true);
  });
});

describe("mergeLayers", () => {
  it("merges objects key by key, replaces lists and deletes keys set to null", () => {
    expect(mergeLayers({ a: { b: 1, c: 2 }, l: [1, 2] }, { a: { c: 3 }, l: [9] })).toEqual({
      a: { b: 1, c: 3 },
      l: [9],
    });
    expect(mergeLayers({ a: { b: 1, c: 2 } }, { a: { c: null } })).toEqual({ a: { b: 1 } });
  });
});

describe("durations", () => {
  it("parses the units config uses and formats them back", () => {
    expect(parseDuration("26h")).toBe(93_600_000);
    expect(parseDuration("500ms")).toBe(500);
    expect(parseDuration(250)).toBe(250);
    expect(parseDuration("soon")).toBeUndefined();
    expect(parseDuration(-1)).toBeUndefined();
    expect(formatDuration(4 * 86_400_000)).toBe("4d");
  });
});
