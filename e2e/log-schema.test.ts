import { readFile } from 'node:fs/promises';
import { Writable } from 'node:stream';
import { ROOT_CONTEXT, TraceFlags, context, trace } from '@opentelemetry/api';
import { AsyncLocalStorageContextManager } from '@opentelemetry/context-async-hooks';
import { createLogger } from '@tend/core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parse as parseYaml } from 'yaml';

interface VectorConfig {
  transforms: Record<string, { type: string; source?: string }>;
}

/** Top-level fields of a Tend log line that the shipper's remap reads (`line.<field>`). */
async function fieldsTheShipperReads(): Promise<string[]> {
  const config = parseYaml(await readFile('deploy/logging/vector.yaml', 'utf8')) as VectorConfig;
  const source = config.transforms.tend_ecs?.source ?? '';
  const read = new Set([...source.matchAll(/\bline\.([a-z_]+)/g)].map((match) => match[1]!));
  for (const match of source.matchAll(/for_each\(\[([^\]]*)\]/g)) {
    for (const key of match[1]!.matchAll(/"([a-z_]+)"/g)) read.add(key[1]!);
  }
  return [...read].sort();
}

describe('the log schema the shipper maps to ECS', () => {
  const manager = new AsyncLocalStorageContextManager();
  beforeAll(() => void context.setGlobalContextManager(manager.enable()));
  afterAll(() => {
    manager.disable();
    context.disable();
  });

  it('is what Tend writes: every field deploy/logging/vector.yaml reads is on a line logged in a request', async () => {
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
