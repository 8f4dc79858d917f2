import { describe, expect, it } from 'vitest';
import { TimeoutError, UnavailableError } from '../errors/errors.js';
import { createResiliencePolicy } from './policies.js';

const fast = { initialBackoffMs: 1, maxBackoffMs: 2 };

describe('createResiliencePolicy', () => {
  it('retries idempotent work up to 3 times, then succeeds', async () => {
    const policy = createResiliencePolicy({ name: 'flaky', ...fast });
    let calls = 0;
    const result = await policy.execute(async () => {
      calls += 1;
      if (calls < 4) throw new Error('transient');
      return 'ok';
    });
    expect(result).toBe('ok');
    expect(calls).toBe(4);
  });

  it('runs non-idempotent work once', async () => {
    const policy = createResiliencePolicy({ name: 'write', ...fast });
    let calls = 0;
    await expect(
      policy.executeOnce(async () => {
        calls += 1;
        throw new Error('refused');
      }),
    ).rejects.toThrow('refused');
    expect(calls).toBe(1);
  });

  it('abandons an attempt at its timeout with a TimeoutError naming the dependency', async () => {
    const policy = createResiliencePolicy({ name: 'slow-api', timeoutMs: 20, retries: 0 });
    const error = await policy.executeOnce(() => new Promise(() => {})).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(TimeoutError);
    expect((error as TimeoutError).operation).toBe('slow-api');
  });

  it('opens the breaker after 5 consecutive failures and then fails fast without calling', async () => {
    const policy = createResiliencePolicy({ name: 'weather-api', ...fast });
    let calls = 0;
    const failing = async () => {
      calls += 1;
      throw new Error('down');
    };
    for (let i = 0; i < 5; i++) await policy.executeOnce(failing).catch(() => undefined);
    expect(policy.breakerState()).toBe('open');
    const before = calls;
    await expect(policy.executeOnce(failing)).rejects.toBeInstanceOf(UnavailableError);
    expect(calls).toBe(before);
  });
});
