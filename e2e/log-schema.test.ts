import { readFile } from 'node:fs/promises';
import { Writable } from 'node:stream';
import { ROOT_CONTEXT, TraceFlags, context, trace } from '@opentelemetry/api';
import { AsyncLocalStorageContextManager } from '@opentelemetry/context-async-hooks';
import { createLogger } from '@tend/platform';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parse as parseYaml } from 'yaml';

interface CollectorConfig {
  receivers: { filelog: { operators: { type: string; from?: string }[] } };
}

/** Top-level fields of a Tend log line that the shipper's operators move to ECS names (`body.tend.<field>`). */
async function fieldsTheShipperReads(): Promise<string[]> {
  const config = parseYaml(await readFile('deploy/logging/collector.yaml', 'utf8')) as CollectorConfig;
  const read = config.receivers.filelog.operators
    .filter((operator) => operator.type === 'move')
    .map((operator) => /^body\.tend\.([a-z_]+)$/.exec(operator.from ?? '')?.[1])
    .filter((field) => field !== undefined);
  return [...new Set(read)].sort();
}

describe('the log schema the shipper maps to ECS', () => {
  const manager = new AsyncLocalStorageContextManager();
  beforeAll(() => void context.setGlobalContextManager(manager.enable()));
  afterAll(() => {
    manager.disable();
    context.disable();
  });

  it('is what Tend writes: every field deploy/logging/collector.yaml moves is on a line logged in a request', async () => {
    const lines: string[] = [];
    const destination = new Writable({
      write(chunk: Buffer, _encoding, done) {
        lines.push(chunk.toString());
        done();
      },
    });
    const logger = createLogger({ level: 'info', name: 'health', destination });
    const span = trace.wrapSpanContext({
      traceId: '4bf92f3577b34da6a3ce929d0e0e4736',
      spanId: '00f067aa0ba902b7',
      traceFlags: TraceFlags.SAMPLED,
    });
    context.with(trace.setSpan(ROOT_CONTEXT, span), () => {
      const error = Object.assign(new Error('connection refused'), { code: 'ECONNREFUSED' });
      logger.warn({ err: error, component: 'outbox-relay' }, 'relay lost its database session');
    });
    const line = JSON.parse(lines[0]!) as Record<string, unknown>;
    const read = await fieldsTheShipperReads();
    expect(read).toEqual(['err', 'level', 'msg', 'service', 'span_id', 'time', 'trace_id']);
    for (const field of read) expect(line, field).toHaveProperty(field);
    expect(line).toMatchObject({
      level: 'warn',
      service: 'health',
      msg: 'relay lost its database session',
      trace_id: '4bf92f3577b34da6a3ce929d0e0e4736',
      span_id: '00f067aa0ba902b7',
      err: { type: 'Error', message: 'connection refused', code: 'ECONNREFUSED' },
      component: 'outbox-relay',
    });
    expect(Number.isNaN(Date.parse(line.time as string))).toBe(false);
  });
});
