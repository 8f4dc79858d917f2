import { randomBytes, randomUUID } from 'node:crypto';
import { createClient } from '@connectrpc/connect';
import { insertTestUser, personCaller, startHealthHarness, type HealthHarness } from '@tend/health/testing';
import { AesGcmCipher, CompositeService, Metrics, createLogger, type Clock } from '@tend/core';
import { MemoryCache } from '@tend/cache';
import { MemoryEventBus, topics } from '@tend/events';
import { ConversationService } from '@tend/proto/tend/conversation/v1/conversation';
import { databaseTargets, inProcessTransport, uniqueSchemaName } from '@tend/testing';
import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createConversationService } from './conversation-service.js';

/** A memory cache that keeps every value written to it, to look for plaintext in. */
class WrittenCache extends MemoryCache {
  readonly written: string[] = [];
  override set(key: string, value: string, ttlMs: number): Promise<void> {
    this.written.push(value);
    return super.set(key, value, ttlMs);
  }
}

const day = 24 * 3_600_000;

// Chat history at rest (security review finding 9): message text, titles and summaries are
// sealed with the field cipher in the database and in the cache, plaintext from before is
// sealed at start-up, old messages expire, and a deleted account leaves no cached copy.
describe.each(databaseTargets())('sealed chat history on $kind PostgreSQL', (target) => {
  const logger = createLogger({ level: process.env.LOG_LEVEL ?? 'silent' });
  const cipher = new AesGcmCipher([{ id: 'k1', key: randomBytes(32) }], randomBytes(32));
  const schema = uniqueSchemaName('conversation');
  let health: HealthHarness;
  const running: CompositeService[] = [];

  /** A conversation service on the suite's schema, started as the binary starts it. */
  const startConversation = async (options: { cache?: MemoryCache; clock?: Clock; retentionEveryMs?: number } = {}) => {
    const bus = new MemoryEventBus({ logger });
    const module = createConversationService({
      database: health.database,
      bus,
      health: inProcessTransport((router) => health.routes(router)),
      cache: options.cache ?? new MemoryCache(),
      cipher,
      retentionDays: 30,
      retentionEveryMs: options.retentionEveryMs,
      logger,
      metrics: new Metrics({ defaultMetrics: false }),
      clock: options.clock,
      schema,
    });
    const parts = new CompositeService('conversation-parts', [bus, ...(module.parts ?? [])]);
    await parts.start();
    running.push(parts);
    return {
      bus,
      client: createClient(
        ConversationService,
        inProcessTransport((router) => module.routes(router)),
      ),
    };
  };
  const table = (name: string) => sql.table(`${schema}.${name}`);
  const primary = () => health.database.schema(schema).primary;
  const rowsOf = async (conversationId: string) =>
    (
      await sql<{ text: string; sealed: boolean }>`select text, sealed from ${table('chat_messages')}
        where conversation_id = ${conversationId}::uuid`.execute(primary())
    ).rows;
  const newPerson = async (displayName: string) => {
    const id = await insertTestUser(health.context, { displayName });
    // The health service reads people from its replica: wait until it has the new row.
    await expect
      .poll(
        async () =>
          (await health.context.db.reader(id).selectFrom('users').select('id').where('id', '=', id).executeTakeFirst())
            ?.id,
        { timeout: 10_000 },
      )
      .toBe(id);
    return { id, caller: personCaller(id) };
  };

  beforeAll(async () => {
    health = await startHealthHarness(target);
  }, 120_000);
  afterAll(async () => {
    for (const parts of running.reverse()) await parts.stop();
    await sql`drop schema if exists ${sql.id(schema)} cascade`.execute(primary());
    await health?.stop();
  });

  it('keeps no plaintext of a message or title in the tables or the cache, and reads it back', async () => {
    const cache = new WrittenCache();
    const { client } = await startConversation({ cache });
    const { caller } = await newPerson('Ann');
    const words = 'my blood pressure is 151 over 97';
    const { conversationId, reply } = await client.processConversation({ caller, text: words });
    await client.processConversation({ caller, conversationId, text: 'what can you do?' });

    const stored = await rowsOf(conversationId);
    expect(stored).toHaveLength(4);
    const atRest = [
      ...stored.map((row) => row.text),
      ...(
        await sql<{
          title: string;
        }>`select title from ${table('conversations')} where id = ${conversationId}::uuid`.execute(primary())
      ).rows.map((row) => row.title),
    ].join('\n');
    // With its spaces, so a UUID or a ciphertext holding the digits "151" cannot fail it.
    expect(atRest).not.toContain('151 over 97');
    expect(atRest).not.toContain('blood pressure');
    expect(atRest).not.toContain(reply!.text);
    expect(stored.every((row) => row.sealed && row.text.startsWith('~k1:'))).toBe(true);
    expect(cache.written.join('\n')).not.toContain('151 over 97');
    expect(cache.written.join('\n')).not.toContain('blood pressure');

    const { messages } = await client.listMessages({ caller, conversationId });
    expect(messages.map((m) => m.text)).toContain(words);
    const { conversations } = await client.listConversations({ caller });
    expect(conversations.find((c) => c.id === conversationId)?.title).toBe(words);
  });

  it('seals history stored in plaintext before sealing when the service starts', async () => {
    const { id: owner } = await newPerson('Ben');
    const conversationId = randomUUID();
    const now = new Date();
    await sql`insert into ${table('conversations')} (id, user_id, title, created_at, updated_at, summary, summary_through)
      values (${conversationId}::uuid, ${owner}::uuid, 'my insulin dose', ${now}, ${now}, 'talked about insulin', ${now})`.execute(
      primary(),
    );
    await sql`insert into ${table('chat_messages')} (id, conversation_id, user_id, role, text, created_at)
      values (${randomUUID()}::uuid, ${conversationId}::uuid, ${owner}::uuid, 'user', 'I take 12 units of insulin', ${now})`.execute(
      primary(),
    );

    const { client } = await startConversation();
    const [message] = await rowsOf(conversationId);
    expect(message).toMatchObject({ sealed: true });
    expect(message!.text).not.toContain('insulin');
    const conversation = (
      await sql<{ title: string; summary: string }>`select title, summary from ${table('conversations')}
        where id = ${conversationId}::uuid`.execute(primary())
    ).rows[0]!;
    expect(`${conversation.title} ${conversation.summary}`).not.toContain('insulin');

    const { messages } = await client.listMessages({ caller: personCaller(owner), conversationId });
    expect(messages.map((m) => m.text)).toEqual(['I take 12 units of insulin']);
  });

  it('deletes messages and idle conversations older than the retention period, on its timer', async () => {
    let now = new Date(Date.now() - 400 * day);
    const { client } = await startConversation({ clock: { now: () => now }, retentionEveryMs: 100 });
    const { caller } = await newPerson('Cleo');
    const old = await client.processConversation({ caller, text: 'hello from last year' });
    now = new Date();
    const fresh = await client.processConversation({ caller, text: 'hello from today' });

    await expect.poll(async () => (await rowsOf(old.conversationId)).length, { timeout: 15_000 }).toBe(0);
    expect(await rowsOf(fresh.conversationId)).toHaveLength(2);
    const { conversations } = await client.listConversations({ caller });
    expect(conversations.map((c) => c.id)).toEqual([fresh.conversationId]);
  });

  it('erases a deleted account’s conversations and every cached copy of them', async () => {
    const { bus, client } = await startConversation();
    const { id, caller } = await newPerson('Dan');
    const { conversationId } = await client.processConversation({ caller, text: 'hello' });
    // Read once, so the conversation is in the cache.
    expect((await client.listMessages({ caller, conversationId })).messages).toHaveLength(2);

    await bus.publish([
      {
        topic: topics.analyticsEvents.name,
        event: {
          specversion: '1.0',
          id: randomUUID(),
          source: '/tend/health',
          type: 'tend.health.user.deleted',
          time: new Date().toISOString(),
          datacontenttype: 'application/json',
          data: { userId: id },
          partitionkey: id,
        },
      },
    ]);
    await expect.poll(async () => (await rowsOf(conversationId)).length, { timeout: 10_000 }).toBe(0);
    // Its cached owner and title went too: the conversation is not found, rather than empty.
    await expect(client.listMessages({ caller, conversationId })).rejects.toThrow(/not found/i);
  });
});
