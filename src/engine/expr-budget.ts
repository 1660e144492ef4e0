import { type CelFunc, CelScalar, celError, celFunc, parse } from "@bufbuild/cel";

type CelAst = ReturnType<typeof parse>["expr"];

const TICK = "__hookline_tick";

/** Comprehension iterations (`map`, `filter`, `all`, `exists`…) allowed per evaluation, all nesting levels summed. */
export const MAX_ITERATIONS = 20_000;

// Evaluation is synchronous and single-threaded, so one counter reset before each evaluation is exact.
let ticks = 0;

/**
 * Resets the iteration budget; call right before each evaluation.
 *
 * @example
 * resetBudget();
 * program(bindings);
 */
export function resetBudget(): void {
  ticks = 0;
}

/**
 * CEL has no unbounded loops, but nested macros over large inputs are polynomial
 * (`a.map(x, a.map(y, a))`). The tick wraps each comprehension's loop condition: once the
 * budget is spent it returns an error, and an error condition stops the fold at once.
 */
export const budgetFuncs: CelFunc[] = [
  celFunc(TICK, [CelScalar.DYN], CelScalar.DYN, (value) => {
    ticks += 1;
    if (ticks > MAX_ITERATIONS) throw celError(`expression exceeded ${MAX_ITERATIONS} iterations`);
    return value;
  }),
];

/**
 * Rewrites a parsed expression in place so every comprehension spends the iteration budget.
 *
 * @example
 * const parsed = parse("items.map(x, x * 2)");
 * meterComprehensions(parsed.expr);
 */
export function meterComprehensions(root: CelAst): void {
  let nextId = maxId(root) + 1n;
  const visit = (node: CelAst): void => {
    for (const child of children(node)) visit(child);
    if (node.exprKind.case !== "comprehensionExpr") return;
    const comprehension = node.exprKind.value;
    const tick = parse(`${TICK}(true)`).expr;
    if (tick.exprKind.case !== "callExpr" || comprehension.loopCondition === undefined) return;
    tick.id = nextId++;
    tick.exprKind.value.args = [comprehension.loopCondition];
    comprehension.loopCondition = tick;
  };
  visit(root);
}

function maxId(node: CelAst): bigint {
  let max = node.id;
  for (const child of children(node)) {
    const id = maxId(child);
    if (id > max) max = id;
  }
  return max;
}

function children(node: CelAst): CelAst[] {
  const kind = node.exprKind;
  const found: (CelAst | undefined)[] = [];
  switch (kind.case) {
    case "selectExpr":
      found.push(kind.value.operand);
      break;
    case "callExpr":
      found.push(kind.value.target, ...kind.value.args);
      break;
    case "listExpr":
      found.push(...kind.value.elements);
      break;
    case "structExpr":
      for (const e of kind.value.entries) {
        found.push(e.value, e.keyKind.case === "mapKey" ? e.keyKind.value : undefined);
      }
      break;
    case "comprehensionExpr": {
      const c = kind.value;
      found.push(c.iterRange, c.accuInit, c.loopCondition, c.loopStep, c.result);
      break;
    }
    default:
      break;
  }
  return found.filter((child): child is CelAst => child !== undefined);
}
