import type { LanguageModelV4StreamPart } from "@ai-sdk/provider";
import { generateText, jsonSchema, Output, streamText } from "ai";
import { describe, expect, it } from "vitest";
import { createEchoModel } from "../../../src/models/echo.ts";
import { sampleJson } from "../../../src/models/echo-json.ts";

const words = (n: number) => Array.from({ length: n }, (_, i) => `w${i}`).join(" ");

describe("echo model (stand-in)", () => {
  it("labels itself as the hookline echo stand-in", () => {
    const model = createEchoModel();
    expect([model.provider, model.modelId, model.specificationVersion]).toEqual(["hookline", "echo", "v4"]);
  });

  it("streams the last user message back word by word through streamText", async () => {
    const result = streamText({
      model: createEchoModel(),
      instructions: "be brief",
      messages: [
        { role: "user", content: "first question" },
        { role: "assistant", content: "an answer" },
        { role: "user", content: "hello there" },
      ],
    });
    const chunks: string[] = [];
    for await (const chunk of result.textStream) chunks.push(chunk);
    expect(chunks).toEqual(["echo:", " hello", " there"]);
    const usage = await result.usage;
    // Words in: "be brief" + "first question" + "an answer" + "hello there"; out: 3 words.
    expect([usage.inputTokens, usage.outputTokens]).toEqual([8, 3]);
  });

  it("answers generateText with the same text and usage", async () => {
    const result = await generateText({ model: createEchoModel({ delayMs: 1 }), prompt: "one two" });
    expect(result.text).toBe("echo: one two");
    expect(result.usage.outputTokens).toBe(3);
  });

  it("spaces the words by delayMs", async () => {
    const started = Date.now();
    const result = streamText({ model: createEchoModel({ delayMs: 15 }), prompt: "a b c d" });
    expect(await result.text).toBe("echo: a b c d");
    // 4 gaps of 15 ms; only a loose lower bound, timers may run late but never early.
    expect(Date.now() - started).toBeGreaterThanOrEqual(40);
  });

  it("stops producing and errors the stream as soon as the signal aborts", async () => {
    const controller = new AbortController();
    const { stream } = await createEchoModel({ delayMs: 10 }).doStream({
      prompt: [{ role: "user", content: [{ type: "text", text: words(500) }] }],
      abortSignal: controller.signal,
    });
    const reader = stream.getReader();
    const deltas: string[] = [];
    while (deltas.length < 3) {
      const { value } = await reader.read();
      if (value?.type === "text-delta") deltas.push(value.delta);
    }
    controller.abort(new Error("run cancelled"));
    const next = await reader.read().then(
      (r) => r,
      (error: unknown) => error,
    );
    expect(next).toEqual(new Error("run cancelled"));
    expect(deltas).toEqual(["echo:", " w0", " w1"]);
  });

  it("ends a streamText call with an abort part and no further text after the abort", async () => {
    const controller = new AbortController();
    const result = streamText({
      model: createEchoModel({ delayMs: 10 }),
      prompt: words(500),
      abortSignal: controller.signal,
    });
    const parts: string[] = [];
    for await (const part of result.stream) {
      parts.push(part.type === "text-delta" ? "delta" : part.type);
      if (parts.filter((p) => p === "delta").length === 2) controller.abort();
    }
    expect(parts.filter((p) => p === "delta")).toHaveLength(2);
    expect(parts.at(-1)).toBe("abort");
  });

  it("refuses to start when the signal is already aborted", async () => {
    const model = createEchoModel();
    await expect(
      model.doStream({
        prompt: [{ role: "user", content: [{ type: "text", text: "x" }] }],
        abortSignal: AbortSignal.abort(),
      }),
    ).rejects.toMatchObject({ name: "AbortError" });
  });

  it("answers a JSON-schema output request with a value that satisfies the schema", async () => {
    const schema = {
      type: "object",
      properties: {
        label: { type: "string", enum: ["spam", "ham"] },
        score: { type: "number", minimum: 0.5 },
        tags: { type: "array", items: { type: "string" }, minItems: 2 },
        summary: { type: "string" },
        urgent: { type: "boolean" },
      },
      required: ["label", "score", "tags", "summary", "urgent"],
      additionalProperties: false,
    } as const;
    const result = streamText({
      model: createEchoModel(),
      prompt: "classify this",
      output: Output.object({ schema: jsonSchema(schema) }),
    });
    expect(await result.output).toEqual({
      label: "spam",
      score: 0.5,
      tags: ["echo: classify this", "echo: classify this"],
      summary: "echo: classify this",
      urgent: true,
    });
  });

  it("emits the stream-part sequence the AI SDK expects", async () => {
    const { stream } = await createEchoModel().doStream({
      prompt: [{ role: "user", content: [{ type: "text", text: "hi" }] }],
    });
    const types: LanguageModelV4StreamPart["type"][] = [];
    for await (const part of stream as unknown as AsyncIterable<LanguageModelV4StreamPart>)
      types.push(part.type);
    expect(types).toEqual([
      "stream-start",
      "response-metadata",
      "text-start",
      "text-delta",
      "text-delta",
      "text-end",
      "finish",
    ]);
  });
});

describe("sampleJson", () => {
  it("fills formats, bounds and nested shapes deterministically", () => {
    expect(
      sampleJson(
        {
          type: "object",
          properties: {
            when: { type: "string", format: "date-time" },
            n: { type: "integer", exclusiveMinimum: 3 },
            short: { type: "string", maxLength: 4 },
            nested: { type: "object", properties: { ok: { const: "yes" } } },
            maybe: { anyOf: [{ type: "null" }, { type: "string" }] },
          },
        },
        "echo: hi",
      ),
    ).toEqual({ when: "1970-01-01T00:00:00.000Z", n: 4, short: "echo", nested: { ok: "yes" }, maybe: null });
  });
});
