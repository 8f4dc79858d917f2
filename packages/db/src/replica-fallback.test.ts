import { UnavailableError } from '@tend/core';
import type { Kysely } from 'kysely';
import { describe, expect, it } from 'vitest';
import { primaryOrReplica } from './replica-fallback.js';

/** Two stand-in servers: reads name the server they ran on; the primary may be down. */
function servers(primaryDown: Error | undefined, withReplica = true) {
  const primary = { name: 'primary' } as unknown as Kysely<unknown>;
  const replica = { name: 'replica' } as unknown as Kysely<unknown>;
  const db = { primary, reader: () => (withReplica ? replica : primary) };
  const read = async (on: Kysely<unknown>) => {
    if (on === primary && primaryDown) throw primaryDown;
    return (on as unknown as { name: string }).name;
  };
  return { db, read };
}

describe('primaryOrReplica', () => {
  it('reads the primary while it answers', async () => {
    const { db, read } = servers(undefined);
    expect(await primaryOrReplica(db, read)).toBe('primary');
  });

  it('reads a replica while the primary is unreachable, and says so', async () => {
    const { db, read } = servers(new UnavailableError('postgres', 'restarting'));
    let told = 0;
    expect(await primaryOrReplica(db, read, { onReplicaAnswer: () => (told += 1) })).toBe('replica');
    expect(told).toBe(1);
  });

  it("keeps the primary's error when the replica's answer is refused, there is no replica, or the failure is another", async () => {
    const down = new UnavailableError('postgres', 'restarting');
    const withReplica = servers(down);
    await expect(primaryOrReplica(withReplica.db, withReplica.read, { accept: () => false })).rejects.toBe(down);
    const alone = servers(down, false);
    await expect(primaryOrReplica(alone.db, alone.read)).rejects.toBe(down);
    const broken = new Error('syntax error');
    const failing = servers(broken);
    await expect(primaryOrReplica(failing.db, failing.read)).rejects.toBe(broken);
  });
});
