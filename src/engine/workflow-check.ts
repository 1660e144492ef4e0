import type { z } from "zod";
import { checkExpression } from "./expr.ts";
import type { Json } from "./json.ts";
import { compileJsonSchema } from "./json-schema.ts";
import { checkTemplate } from "./template.ts";
import type { Step, Workflow } from "./workflow-schema.ts";

type Path = (string | number)[];
type Report = (path: Path, message: string) => void;

/**
 * Cross-field rules for a parsed workflow, run as the schema's `superRefine` so every issue
 * carries a path like `steps[3].cases[0].goto`.
 *
 * @example
 * WorkflowSchema = z.strictObject({...}).superRefine(checkWorkflow);
 */
export function checkWorkflow(workflow: Workflow, ctx: z.RefinementCtx): void {
  const report: Report = (path, message) => ctx.addIssue({ code: "custom", path, message });
  const seen = new Map<string, string>();
  checkList(workflow.steps, ["steps"], report, seen);
}

function checkList(steps: Step[], path: Path, report: Report, seen: Map<string, string>): void {
  const position = new Map(steps.map((step, index) => [step.id, index]));
  steps.forEach((step, index) => {
    const at = [...path, index];
    const first = seen.get(step.id);
    if (first !== undefined) report([...at, "id"], `duplicate step id "${step.id}" (first used at ${first})`);
    else seen.set(step.id, formatPath(at));
    const jump = (target: string, where: Path) =>
      checkJump(target, index, position, [...at, ...where], report);
    checkStep(step, at, report, jump);
    if (step.kind === "loop") checkList(step.steps, [...at, "steps"], report, seen);
    if (step.kind === "parallel") {
      if (step.steps) checkList(step.steps, [...at, "steps"], report, seen);
      for (const [name, branch] of Object.entries(step.branches ?? {})) {
        checkList(branch, [...at, "branches", name], report, seen);
      }
    }
  });
}

// Jumps only go forward within their own step list, so every workflow terminates; repetition
// belongs to `loop`, which has a mandatory cap.
function checkJump(
  target: string,
  from: number,
  position: Map<string, number>,
  path: Path,
  report: Report,
): void {
  const to = position.get(target);
  if (to === undefined) {
    report(path, `no step "${target}" in this step list (${[...position.keys()].join(", ")})`);
  } else if (to <= from) {
    report(path, `"${target}" is not after this step: jumps go forward; use a loop step to repeat`);
  }
}

function checkStep(step: Step, at: Path, report: Report, jump: (target: string, where: Path) => void): void {
  const expr = (source: string | undefined, where: Path) => {
    const error = source === undefined ? undefined : checkExpression(source);
    if (error) report([...at, ...where], `invalid expression: ${error}`);
  };
  const template = (source: string | undefined, where: Path) => {
    const error = source === undefined ? undefined : checkTemplate(source);
    if (error) report([...at, ...where], `invalid template: ${error}`);
  };
  switch (step.kind) {
    case "llm":
      template(step.system, ["system"]);
      template(step.prompt, ["prompt"]);
      step.messages?.forEach((m, i) => template(m.content, ["messages", i, "content"]));
      return;
    case "http":
      template(step.url, ["url"]);
      for (const [name, value] of Object.entries(step.headers ?? {})) template(value, ["headers", name]);
      if (step.body !== undefined) checkJsonTemplates(step.body, ["body"], template);
      return;
    case "transform":
      for (const [name, source] of Object.entries(step.set)) expr(source, ["set", name]);
      return;
    case "branch":
      step.cases.forEach((c, i) => {
        expr(c.when, ["cases", i, "when"]);
        jump(c.goto, ["cases", i, "goto"]);
      });
      if (step.default !== undefined) jump(step.default, ["default"]);
      return;
    case "loop":
      if ((step.forEach === undefined) === (step.until === undefined)) {
        report([...at, "forEach"], "a loop needs exactly one of forEach or until");
      }
      expr(step.forEach, ["forEach"]);
      expr(step.until, ["until"]);
      return;
    case "parallel":
      checkParallelShape(step, at, report);
      expr(step.forEach, ["forEach"]);
      return;
    case "wait":
      template(step.prompt, ["prompt"]);
      if (step.schema !== undefined) {
        const compiled = compileJsonSchema(step.schema);
        if (!compiled.ok) report([...at, "schema"], `unsupported JSON Schema: ${compiled.error}`);
      }
      if (step.onTimeout !== undefined) jump(step.onTimeout, ["onTimeout"]);
      return;
    case "reply":
      template(step.text, ["text"]);
      return;
    default:
      return;
  }
}

function checkParallelShape(step: Extract<Step, { kind: "parallel" }>, at: Path, report: Report): void {
  const named = step.branches !== undefined;
  const each = step.forEach !== undefined || step.steps !== undefined;
  if (named === each) report([...at, "branches"], "use either branches or forEach with steps");
  else if (each && step.forEach === undefined) report([...at, "forEach"], "steps need a forEach");
  else if (each && step.steps === undefined) report([...at, "steps"], "forEach needs steps");
  else if (named && Object.keys(step.branches ?? {}).length === 0)
    report([...at, "branches"], "name at least one branch");
}

function checkJsonTemplates(value: Json, where: Path, template: (source: string, where: Path) => void): void {
  if (typeof value === "string") template(value, where);
  else if (Array.isArray(value)) value.forEach((v, i) => checkJsonTemplates(v, [...where, i], template));
  else if (value !== null && typeof value === "object") {
    for (const [key, v] of Object.entries(value)) checkJsonTemplates(v, [...where, key], template);
  }
}

/**
 * Formats a zod issue path the way config errors print it.
 *
 * @example
 * formatPath(["steps", 3, "cases", 0, "goto"], "workflows.triage"); // "workflows.triage.steps[3].cases[0].goto"
 */
export function formatPath(path: readonly PropertyKey[], prefix = ""): string {
  let out = prefix;
  for (const key of path) {
    if (typeof key === "number") out += `[${key}]`;
    else out += out === "" ? String(key) : `.${String(key)}`;
  }
  return out;
}
