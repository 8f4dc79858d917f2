import { describe, expect, it } from 'vitest';
import { processedEventKey } from './idempotent-consumer.js';

describe('processedEventKey', () => {
  it("keeps a Tend event's UUID id", () => {
    const id = '7d3c2a34-8f7e-4b0c-9a59-0f6b1c1f2e3d';
    expect(processedEventKey({ id: id.toUpperCase(), source: '/tend/health' })).toBe(id);
  });

  it('turns a foreign id into a stable UUID that depends on the source too', () => {
    const a = processedEventKey({ id: 'order-17', source: 'shop' });
    expect(a).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-5[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
    expect(processedEventKey({ id: 'order-17', source: 'shop' })).toBe(a);
    expect(processedEventKey({ id: 'order-17', source: 'other-shop' })).not.toBe(a);
  });
});
