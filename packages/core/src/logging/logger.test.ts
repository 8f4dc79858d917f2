import { Writable } from 'node:stream';
import { ROOT_CONTEXT, TraceFlags, context, trace } from '@opentelemetry/api';
import { AsyncLocalStorageContextManager } from '@opentelemetry/context-async-hooks';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createLogger } from './logger.js';

/** A logger whose lines are kept in memory. */
function capturedLogger() {
  const lines: string[] = [];
  const destination = new Writable({
    write(chunk: Buffer, _encoding, done) {
      lines.push(chunk.toString());
      done();
    },
  });
  return { logger: createLogger({ level: 'info', destination }), text: () => lines.join('') };
}

/** An error shaped like the AI SDK's APICallError: the request and response ride along. */
class ApiCallError extends Error {
  override name = 'AI_APICallError';
  readonly statusCode = 400;
  readonly requestBodyValues = {
    messages: [{ role: 'system', content: 'You are Tend. Lin takes Metformin 500 mg at 08:00; conditions: diabetes.' }],
  };
  readonly responseBody = '{"error":"bad request for Lin"}';
  readonly url = 'https://llm.example.test/v1/chat/completions';
}

describe('error logging', () => {
  it('keeps an error’s name, message, status and frames, and nothing the request carried', () => {
    const { logger, text } = capturedLogger();
    logger.warn({ err: new ApiCallError('Bad Request') }, 'language model failed');
    const line = JSON.parse(text()) as { err: Record<string, unknown> };
    expect(line.err).toMatchObject({ type: 'AI_APICallError', message: 'Bad Request', status: 400 });
    expect(Object.keys(line.err).sort()).toEqual(['message', 'stack', 'status', 'type']);
    expect(text()).not.toContain('Metformin');
    expect(text()).not.toContain('diabetes');
  });

  it('treats a cause the same way, and errors logged as `error` too', () => {
    const { logger, text } = capturedLogger();
    const wrapped = new Error('turn failed', { cause: new ApiCallError('Bad Request') });
    logger.error({ error: wrapped }, 'failed');
    expect(text()).toContain('AI_APICallError');
    expect(text()).not.toContain('Metformin');
  });

  it('cuts a long message short', () => {
    const { logger, text } = capturedLogger();
    logger.error({ err: new Error(`prefix ${'x'.repeat(2000)}`) }, 'failed');
    const line = JSON.parse(text()) as { err: { message: string } };
    expect(line.err.message.length).toBeLessThanOrEqual(501);
  });
});

describe('trace ids on log lines', () => {
  const manager = new AsyncLocalStorageContextManager();
  beforeAll(() => void context.setGlobalContextManager(manager.enable()));
  afterAll(() => {
    manager.disable();
    context.disable();
  });

  it('writes the active span’s trace_id and span_id on a line logged inside it, and none outside', async () => {
    const { logger, text } = capturedLogger();
    const span = trace.wrapSpanContext({
      traceId: '4bf92f3577b34da6a3ce929d0e0e4736',
      spanId: '00f067aa0ba902b7',
      traceFlags: TraceFlags.SAMPLED,
    });
    await context.with(trace.setSpan(ROOT_CONTEXT, span), async () => {
      await Promise.resolve();
      logger.child({ component: 'relay' }).info('inside a request');
    });
    logger.info('outside');
    const [inside, outside] = text()
      .trim()
      .split('\n')
      .map((line) => JSON.parse(line) as Record<string, unknown>);
    expect(inside).toMatchObject({
      msg: 'inside a request',
      trace_id: '4bf92f3577b34da6a3ce929d0e0e4736',
      span_id: '00f067aa0ba902b7',
      component: 'relay',
    });
    expect(outside).not.toHaveProperty('trace_id');
    expect(outside).not.toHaveProperty('span_id');
  });
});
