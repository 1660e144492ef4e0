import type { ExprContext } from "./context.ts";
import type { ResolvedStep } from "./effects.ts";
import { renderTemplate, renderValue } from "./template.ts";
import type { HttpStep, LlmStep } from "./workflow-schema.ts";

type Rendered<T> = { ok: true; value: T } | { ok: false; error: string };

/**
 * Renders an I/O step's templates into the exact request a worker will make. Done in the
 * engine so the attempt is fixed at enqueue time: a retry repeats the same request.
 *
 * @example
 * resolveStep({ kind: "http", url: "https://api.example.com/u/{{ input.id }}", ... }, ctx);
 */
export function resolveStep(step: LlmStep | HttpStep, ctx: ExprContext): Rendered<ResolvedStep> {
  const errors: string[] = [];
  const text = (source: string, field: string): string => {
    const result = renderTemplate(source, ctx);
    if (result.ok) return result.value;
    errors.push(`${field}: ${result.error}`);
    return "";
  };
  let resolved: ResolvedStep;
  if (step.kind === "llm") {
    resolved = {
      kind: "llm",
      model: step.model,
      stream: step.stream,
      timeoutMs: step.timeout,
      ...(step.system !== undefined && { system: text(step.system, "system") }),
      ...(step.prompt !== undefined && { prompt: text(step.prompt, "prompt") }),
      ...(step.messages && {
        messages: step.messages.map((m, i) => ({
          role: m.role,
          content: text(m.content, `messages[${i}].content`),
        })),
      }),
      ...(step.maxOutputTokens !== undefined && { maxOutputTokens: step.maxOutputTokens }),
      ...(step.temperature !== undefined && { temperature: step.temperature }),
      ...(step.output !== undefined && { output: step.output }),
    };
  } else {
    const headers: Record<string, string> = {};
    for (const [name, value] of Object.entries(step.headers ?? {}))
      headers[name] = text(value, `headers.${name}`);
    resolved = {
      kind: "http",
      method: step.method,
      url: text(step.url, "url"),
      headers,
      timeoutMs: step.timeout,
    };
    if (step.body !== undefined) {
      const body = renderValue(step.body, ctx);
      if (body.ok) resolved.body = body.value;
      else errors.push(`body: ${body.error}`);
    }
  }
  return errors.length > 0 ? { ok: false, error: errors.join("; ") } : { ok: true, value: resolved };
}
