import { SpanKind, context, trace } from '@opentelemetry/api';
import { AsyncLocalStorageContextManager } from '@opentelemetry/context-async-hooks';
import { InMemorySpanExporter, SimpleSpanProcessor, TracerProvider } from '@opentelemetry/sdk-trace';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { Metrics } from '../metrics/metrics.js';
import { ModelCallTelemetry } from './model-calls.js';

describe('model call telemetry', () => {
  const exporter = new InMemorySpanExporter();
  const provider = new TracerProvider({ spanProcessors: [new SimpleSpanProcessor({ exporter })] });
  beforeAll(() => {
    context.setGlobalContextManager(new AsyncLocalStorageContextManager().enable());
    trace.setGlobalTracerProvider(provider);
  });
  afterEach(() => exporter.reset());
  afterAll(async () => {
    await provider.shutdown();
    context.disable();
    trace.disable();
  });

  it('gives each model call of a turn its own span, child of the turn, with model, tokens and outcome', async () => {
    const metrics = new Metrics({ defaultMetrics: false });
    const turn = trace.getTracer('test').startSpan('Chat');
    const calls = context.with(trace.setSpan(context.active(), turn), () => new ModelCallTelemetry('chat', metrics));
    calls.start({ callId: 'c1', provider: 'tend-llm.chat', modelId: 'qwen3' });
    calls.end({ callId: 'c1', finishReason: 'tool-calls', usage: { inputTokens: 812, outputTokens: 24 } });
    calls.start({ callId: 'c2', provider: 'tend-llm.chat', modelId: 'qwen3' });
    calls.end({ callId: 'c2', finishReason: 'stop', usage: { inputTokens: 870, outputTokens: 41 } });
    turn.end();

    const spans = exporter.getFinishedSpans().filter((span) => span.name === 'chat qwen3');
    expect(spans).toHaveLength(2);
    for (const span of spans) {
      expect(span.kind).toBe(SpanKind.CLIENT);
      expect(span.parentSpanContext?.spanId).toBe(turn.spanContext().spanId);
      expect(span.attributes['tend.llm.outcome']).toBe('ok');
    }
    expect(spans[0]?.attributes).toMatchObject({
      'gen_ai.request.model': 'qwen3',
      'gen_ai.usage.input_tokens': 812,
      'gen_ai.usage.output_tokens': 24,
      'gen_ai.response.finish_reasons': ['tool-calls'],
    });
    const text = await metrics.text();
    expect(text).toContain('tend_llm_tokens_total{model="qwen3",kind="input"} 1682');
    expect(text).toContain('tend_llm_tokens_total{model="qwen3",kind="output"} 65');
    expect(text).toContain('tend_llm_call_duration_seconds_count{model="qwen3",outcome="ok"} 2');
  });

  it('ends a call the model never finished as a timeout, with the error’s name and no message', async () => {
    const metrics = new Metrics({ defaultMetrics: false });
    const calls = new ModelCallTelemetry('chat', metrics);
    calls.start({ callId: 'c1', provider: 'tend-llm.chat', modelId: 'qwen3' });
    calls.fail('timeout', new Error('no first token within 3000 ms for Lin'));
    const [span] = exporter.getFinishedSpans();
    expect(span?.attributes['tend.llm.outcome']).toBe('timeout');
    expect(span?.status).toEqual({ code: 2, message: 'Error' });
    expect(JSON.stringify(span?.attributes)).not.toContain('Lin');
    expect(await metrics.text()).toContain('tend_llm_call_duration_seconds_count{model="qwen3",outcome="timeout"} 1');
  });
});
