import { create } from '@bufbuild/protobuf';
import { createClient, type Transport } from '@connectrpc/connect';
import { HealthService } from '@tend/proto/tend/health/v1/health_service';
import { GetUserResponseSchema } from '@tend/proto/tend/health/v1/people';
import { describe, expect, it } from 'vitest';
import { withDefaultDeadline } from './default-deadline.js';

describe('withDefaultDeadline', () => {
  it('gives a call without a deadline the default, and keeps a call’s own', async () => {
    const seen: (number | undefined)[] = [];
    const recording: Transport = {
      unary: async (method, _signal, timeoutMs) => {
        seen.push(timeoutMs);
        return {
          stream: false,
          service: method.parent,
          method,
          header: new Headers(),
          trailer: new Headers(),
          message: create(GetUserResponseSchema),
        } as never;
      },
      stream: () => Promise.reject(new Error('not used')),
    };
    const client = createClient(HealthService, withDefaultDeadline(recording, 10_000));
    await client.getUser({});
    await client.getUser({}, { timeoutMs: 250 });
    expect(seen).toEqual([10_000, 250]);
  });
});
