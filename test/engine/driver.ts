import { generateText } from "ai";
import { MockLanguageModelV3 } from "ai/test";
import { type AdvanceOptions, advance } from "../../src/engine/advance.ts";
import type {
  Effect,
  EmitEffect,
  EnqueueStepEffect,
  FinishEffect,
  SetTimerEffect,
} from "../../src/engine/effects.ts";
import type { EngineEvent, RetrySeed, StartEvent } from "../../src/engine/events.ts";
import type { PriceTable, StepUsage } from "../../src/engine/governor.ts";
import type { Json } from "../../src/engine/json.ts";
import type { StepError } from "../../src/engine/retry.ts";
import type { RunState } from "../../src/engine/state.ts";
import { type WorkflowInput, WorkflowSchema } from "../../src/engine/workflow-schema.ts";

type Event = EngineEvent extends infer E ? (E extends { now: number } ? Omit<E, "now"> : never) : never;
type DataOf<E extends EmitEffect["event"]> = Extract<EmitEffect, { event: E }>["data"];
export type StepResult = { output: Json; usage?: StepUsage } | { error: StepError };
export type Executor = (effect: EnqueueStepEffect) => StepResult | Promise<StepResult>;

/**
 * Plays a run like a runtime would, so tests read as scenarios: it keeps the clock, the
 * attempts handed to workers and the timers set, and feeds results and timer firings back
 * into `advance`. Every transition's effects are kept in `effects`.
 */
export class Scenario {
  state: RunState;
  now: number;
  readonly effects: Effect[] = [];
  readonly pending = new Map<string, EnqueueStepEffect>();
  readonly timers = new Map<string, SetTimerEffect>();
  readonly replies: string[] = [];
  readonly aborted: string[] = [];
  finished: FinishEffect | undefined;
  readonly #options: AdvanceOptions;

  private constructor(state: RunState, now: number, options: AdvanceOptions) {
    this.state = state;
    this.now = now;
    this.#options = options;
  }

  static start(
    workflow: WorkflowInput,
    opts: {
      input?: Json;
      event?: Json;
      prices?: PriceTable;
      now?: number;
      random?: () => number;
      seed?: RetrySeed;
    } = {},
  ): Scenario {
    const now = opts.now ?? 1_000_000;
    const start: StartEvent = {
      type: "start",
      runId: "run_test",
      workflow: WorkflowSchema.parse(workflow),
      input: opts.input ?? null,
      event: opts.event ?? null,
      prices: opts.prices ?? {},
      ...(opts.seed && { seed: opts.seed }),
      now,
    };
    const options = opts.random ? { random: opts.random } : {};
    const { state, effects } = advance(null, start, options);
    const scenario = new Scenario(state, now, options);
    scenario.#apply(effects);
    return scenario;
  }

  /** Sends one event at the current time and returns that transition's effects. */
  send(event: Event): Effect[] {
    const { state, effects } = advance(this.state, { ...event, now: this.now } as EngineEvent, this.#options);
    this.state = state;
    this.#apply(effects);
    return effects;
  }

  #apply(effects: Effect[]): void {
    for (const effect of effects) {
      this.effects.push(effect);
      if (effect.type === "enqueueStep") this.pending.set(effect.attemptId, effect);
      if (effect.type === "setTimer") this.timers.set(effect.timerId, effect);
      if (effect.type === "cancelTimer") this.timers.delete(effect.timerId);
      if (effect.type === "abortStep") {
        this.pending.delete(effect.attemptId);
        this.aborted.push(effect.attemptId);
      }
      if (effect.type === "reply") this.replies.push(effect.text);
      if (effect.type === "finish") this.finished = effect;
    }
  }

  /** The outstanding attempt for a step id (or an exact attempt id). */
  attempt(ref: string): EnqueueStepEffect {
    const found = this.pending.get(ref) ?? [...this.pending.values()].find((e) => e.stepId === ref);
    if (!found)
      throw new Error(`no pending attempt for ${ref}; pending: ${[...this.pending.keys()].join(", ")}`);
    return found;
  }

  succeed(ref: string, output: Json, usage?: StepUsage): Effect[] {
    const a = this.attempt(ref);
    this.pending.delete(a.attemptId);
    const { stepId, attempt, attemptId } = a;
    return this.send({ type: "stepSucceeded", stepId, attempt, attemptId, output, ...(usage && { usage }) });
  }

  fail(ref: string, error: StepError): Effect[] {
    const a = this.attempt(ref);
    this.pending.delete(a.attemptId);
    return this.send({
      type: "stepFailed",
      stepId: a.stepId,
      attempt: a.attempt,
      attemptId: a.attemptId,
      error,
    });
  }

  /** Moves the clock to a timer and fires it (by id, or the earliest one). */
  fire(timerId?: string): Effect[] {
    const timer = timerId
      ? this.timers.get(timerId)
      : [...this.timers.values()].sort((a, b) => a.at - b.at)[0];
    if (!timer) throw new Error(`no timer ${timerId ?? ""}; timers: ${[...this.timers.keys()].join(", ")}`);
    this.timers.delete(timer.timerId);
    this.now = Math.max(this.now, timer.at);
    return this.send({ type: "timerFired", timerId: timer.timerId });
  }

  tick(ms: number): void {
    this.now += ms;
  }

  /** Completes attempts with `executor` (first enqueued first) and fires timers until the run ends. */
  async runToEnd(executor: Executor = mockLlm(), maxTransitions = 1_000): Promise<FinishEffect> {
    for (let i = 0; i < maxTransitions && !this.finished; i++) {
      const [next] = this.pending.values();
      if (next) {
        const result = await executor(next);
        if ("error" in result) this.fail(next.attemptId, result.error);
        else this.succeed(next.attemptId, result.output, result.usage);
      } else if (this.timers.size > 0) this.fire();
      else break;
    }
    if (!this.finished) throw new Error(`run did not finish: ${this.state.status}`);
    return this.finished;
  }

  emitted<E extends EmitEffect["event"]>(event: E): DataOf<E>[] {
    const out: DataOf<E>[] = [];
    for (const e of this.effects) if (e.type === "emit" && e.event === event) out.push(e.data as DataOf<E>);
    return out;
  }

  enqueued(): EnqueueStepEffect[] {
    return this.effects.filter((e): e is EnqueueStepEffect => e.type === "enqueueStep");
  }
}

/**
 * An executor that runs `llm` attempts through the AI SDK against its mock language model,
 * so outputs and usage have the shapes a real provider produces. `http` attempts echo their URL.
 */
export function mockLlm(
  reply: (prompt: string) => string = (p) => `echo: ${p}`,
  tokens = { input: 10, output: 5 },
): Executor {
  return async (effect) => {
    const resolved = effect.resolved;
    if (resolved.kind === "http") return { output: { status: 200, url: resolved.url } };
    const prompt = resolved.prompt ?? "";
    const model = new MockLanguageModelV3({
      doGenerate: async () => ({
        content: [{ type: "text", text: reply(prompt) }],
        finishReason: { unified: "stop", raw: "stop" },
        usage: {
          inputTokens: { total: tokens.input, noCache: tokens.input, cacheRead: 0, cacheWrite: 0 },
          outputTokens: { total: tokens.output, text: tokens.output, reasoning: 0 },
        },
        warnings: [],
      }),
    });
    const result = await generateText({ model, prompt });
    return {
      output: result.text,
      usage: { inputTokens: result.usage.inputTokens ?? 0, outputTokens: result.usage.outputTokens ?? 0 },
    };
  };
}
