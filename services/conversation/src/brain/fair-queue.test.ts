import { describe, expect, it } from 'vitest';
import { FairQueue, QueueFullError } from './fair-queue.js';

function gate() {
  let open!: () => void;
  const opened = new Promise<void>((resolve) => (open = resolve));
  return { opened, open };
}

describe('fair queue', () => {
  it('serves waiting people in turn, so one busy person does not hold up another', async () => {
    const queue = new FairQueue(1, 100);
    const order: string[] = [];
    const first = gate();
    const running = queue.run('busy', async () => {
      await first.opened;
      order.push('busy-0');
    });
    const calls = [
      ...[1, 2, 3].map((i) => queue.run('busy', async () => void order.push(`busy-${i}`))),
      queue.run('quiet', async () => void order.push('quiet-0')),
    ];
    expect(queue.waiting).toBe(4);
    first.open();
    await Promise.all([running, ...calls]);
    expect(order).toEqual(['busy-0', 'busy-1', 'quiet-0', 'busy-2', 'busy-3']);
  });

  it('runs up to its concurrency at once and refuses beyond its capacity', async () => {
    const queue = new FairQueue(2, 1);
    const hold = gate();
    const a = queue.run('a', () => hold.opened);
    const b = queue.run('b', () => hold.opened);
    const c = queue.run('c', async () => 'c');
    await expect(queue.run('d', async () => 'd')).rejects.toThrow(QueueFullError);
    hold.open();
    await Promise.all([a, b]);
    expect(await c).toBe('c');
  });
});
