import { SpanKind, SpanStatusCode, context, trace, type Context, type Span } from '@opentelemetry/api';
import type { Metrics } from '../metrics/metrics.js';

const tracer = trace.getTracer('tend-llm');

/** What a model call's start says (the AI SDK's `onLanguageModelCallStart` event has these). */
export interface ModelCallStart {
  callId: string;
  provider: string;
  modelId: string;
}

/** What a model call's end says (the AI SDK's `onLanguageModelCallEnd` event has these). */
export interface ModelCallEnd {
  callId: string;
  finishReason: string;
  usage: { inputTokens: number | undefined; outputTokens: number | undefined };
}

/** How a model call ended: answered, failed, or cut off by Tend's own timeouts. */
export type ModelCallOutcome = 'ok' | 'error' | 'timeout';

interface OpenCall {
  span: Span;
  model: string;
  startedAt: number;
}

/**
 * One span and one set of measurements per call to a language model (a turn with tool rounds
 * makes several): span `<operation> <model>` (kind client) with the GenAI semantic conventions'
 * attributes — model, token counts, finish reason — and `tend.llm.outcome`; and
 * `tend_llm_call_duration_seconds{model,outcome}` and `tend_llm_tokens_total{model,kind}`.
 * Never the prompt, the messages or the answer: they are a person's health data.
 *
 * Made once per turn, in the request's context (the spans become its children). Its `start` and
 * `end` go to the AI SDK's model-call callbacks; `fail` ends the calls a failed or timed-out turn
 * left open, since the SDK reports no end for them.
 */
export class ModelCallTelemetry {
  readonly #open = new Map<string, OpenCall>();
  readonly #parent: Context = context.active();

  constructor(
    private readonly operation: 'chat' | 'summarize',
    private readonly metrics?: Metrics,
  ) {}

  /** For `onLanguageModelCallStart`. */
  readonly start = (call: ModelCallStart): void => {
    const span = tracer.startSpan(
      `${this.operation} ${call.modelId}`,
      {
        kind: SpanKind.CLIENT,
        attributes: {
          'gen_ai.operation.name': this.operation,
          'gen_ai.provider.name': call.provider,
          'gen_ai.request.model': call.modelId,
        },
      },
      this.#parent,
    );
    this.#open.set(call.callId, { span, model: call.modelId, startedAt: performance.now() });
  };

  /** For `onLanguageModelCallEnd`. */
  readonly end = (call: ModelCallEnd): void => {
    const open = this.#open.get(call.callId);
    if (!open) return;
    this.#open.delete(call.callId);
    const { inputTokens, outputTokens } = call.usage;
    open.span.setAttribute('gen_ai.response.finish_reasons', [call.finishReason]);
    if (inputTokens !== undefined) {
      open.span.setAttribute('gen_ai.usage.input_tokens', inputTokens);
      this.metrics?.llmTokens.inc({ model: open.model, kind: 'input' }, inputTokens);
    }
    if (outputTokens !== undefined) {
      open.span.setAttribute('gen_ai.usage.output_tokens', outputTokens);
      this.metrics?.llmTokens.inc({ model: open.model, kind: 'output' }, outputTokens);
    }
    this.#finish(open, 'ok');
  };

  /** Ends every call still open as failed (`timeout` when Tend's own deadline cut it off). */
  fail(outcome: Exclude<ModelCallOutcome, 'ok'>, error: unknown): void {
    for (const open of this.#open.values()) {
      open.span.setStatus({ code: SpanStatusCode.ERROR, message: error instanceof Error ? error.name : 'error' });
      this.#finish(open, outcome);
    }
    this.#open.clear();
  }

  #finish(open: OpenCall, outcome: ModelCallOutcome): void {
    open.span.setAttribute('tend.llm.outcome', outcome);
    open.span.end();
    this.metrics?.llmCallDuration.observe({ model: open.model, outcome }, (performance.now() - open.startedAt) / 1000);
  }
}
