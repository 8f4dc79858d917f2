import { describe, expect, it } from 'vitest';
import { TimeoutError, UnavailableError } from '../errors/errors.js';
import { Metrics } from '../metrics/metrics.js';
import { createHotPathPolicy } from './hot-path-policy.js';

describe('createHotPathPolicy', () => {
  it('passes results and errors through unchanged', async () => {
    const policy = createHotPathPolicy({ name: 'cache:test' });
    expect(await policy.executeOnce(async () => 42)).toBe(42);
    await expect(policy.executeOnce(() => Promise.reject(new Error('boom')))).rejects.toThrow('boom');
  });

  it('gives up after the timeout with a TimeoutError and aborts the work’s signal', async () => {
    const policy = createHotPathPolicy({ name: 'cache:test', timeoutMs: 20 });
    let seen: AbortSignal | undefined;
    const attempt = policy.executeOnce((signal) => {
      seen = signal;
      return new Promise(() => undefined);
    });
    await expect(attempt).rejects.toBeInstanceOf(TimeoutError);
    expect(seen?.aborted).toBe(true);
  });

  it('opens after the threshold, failing at once with UnavailableError, and reports it', async () => {
    const metrics = new Metrics({ defaultMetrics: false });
    const policy = createHotPathPolicy({ name: 'cache:test', breakerThreshold: 2, metrics });
    let calls = 0;
    const failing = () => {
      calls += 1;
      return Promise.reject(new Error('ECONNREFUSED'));
    };
    await expect(policy.executeOnce(failing)).rejects.toThrow('ECONNREFUSED');
    await expect(policy.executeOnce(failing)).rejects.toThrow('ECONNREFUSED');
    await expect(policy.executeOnce(failing)).rejects.toBeInstanceOf(UnavailableError);
    expect(calls).toBe(2);
    expect(policy.breakerState()).toBe('open');
    const { values } = await metrics.breakerState.get();
    expect(values).toContainEqual(
      expect.objectContaining({ labels: { breaker: 'cache:test', state: 'open' }, value: 1 }),
    );
  });
});
