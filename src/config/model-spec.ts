/**
 * The model strings an `llm` step (or `defaults.model`) may name, checked when the config is bundled or
 * loaded, so `model: gpt4` fails there with a fix instead of at the first run. The registry
 * (src/models/registry.ts) maps the same forms to providers.
 */
export const ECHO_SPEC = /^echo(?:\?delayMs=(\d{1,6}))?$/;

export const MODEL_FORMS = "echo, echo?delayMs=<ms>, openai:<model>, ollama:<model> or default";

/** Why `spec` is not a model string (with its fix), or null when it is one. */
export function modelSpecProblem(
  spec: unknown,
  opts: { allowDefault: boolean },
): { message: string; fix: string } | null {
  if (typeof spec !== "string") return null; // the schema reports a wrong type
  if (ECHO_SPEC.test(spec)) return null;
  if (spec === "default" && opts.allowDefault) return null;
  const colon = spec.indexOf(":");
  const prefix = colon < 0 ? spec : spec.slice(0, colon);
  const id = colon < 0 ? "" : spec.slice(colon + 1).trim();
  if ((prefix === "openai" || prefix === "ollama") && id !== "") return null;
  if (prefix === "openai" || prefix === "ollama") {
    return {
      message: `model "${spec}" names no model`,
      fix: `write ${prefix}:<model>, e.g. ${prefix === "openai" ? "openai:gpt-4o-mini" : "ollama:llama3.2"}`,
    };
  }
  const guess = colon < 0 && spec !== "" ? ` (did you mean openai:${spec} or ollama:${spec}?)` : "";
  const forms = opts.allowDefault ? MODEL_FORMS : MODEL_FORMS.replace(" or default", "");
  return { message: `unknown model "${spec}"${guess}`, fix: `use one of: ${forms}` };
}

const isObject = (v: unknown): v is Record<string, unknown> =>
  typeof v === "object" && v !== null && !Array.isArray(v);

/**
 * Every bad model string in a merged (not yet validated) config: `defaults.model` and each llm step's
 * `model`, nested steps too, with its path.
 *
 * @example modelIssues({ workflows: { w: { steps: [{ id: "a", kind: "llm", model: "gpt4" }] } } })
 * // [{ path: ["workflows", "w", "steps", 0, "model"], message: 'unknown model "gpt4" (did you mean …?)', fix: "…" }]
 */
export function modelIssues(data: unknown): { path: (string | number)[]; message: string; fix: string }[] {
  const out: { path: (string | number)[]; message: string; fix: string }[] = [];
  if (!isObject(data)) return out;
  if (isObject(data.defaults) && "model" in data.defaults) {
    const problem = modelSpecProblem(data.defaults.model, { allowDefault: false });
    if (problem) out.push({ path: ["defaults", "model"], ...problem });
  }
  const walk = (node: unknown, path: (string | number)[]): void => {
    if (Array.isArray(node)) {
      node.forEach((item, i) => walk(item, [...path, i]));
      return;
    }
    if (!isObject(node)) return;
    if (node.kind === "llm" && "model" in node) {
      const problem = modelSpecProblem(node.model, { allowDefault: true });
      if (problem) out.push({ path: [...path, "model"], ...problem });
    }
    for (const [k, v] of Object.entries(node)) if (typeof v === "object") walk(v, [...path, k]);
  };
  if (isObject(data.workflows))
    for (const [id, wf] of Object.entries(data.workflows)) walk(wf, ["workflows", id]);
  return out;
}
