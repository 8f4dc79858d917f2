import { createDatabase, type Database } from '@tend/db';
import { createLogger } from '@tend/core';
import { realInfra, requireInfra } from '@tend/testing';
import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { registerPerson, sharedClusterEnv } from './real-cluster.js';
import { TendProcess, testPorts } from './tend-process.js';

// Deleting an account through the API ends its sessions everywhere and erases its
// conversations: both follow the `tend.health.user.deleted` event. On the real database, so the
// suite can look at the rows the API no longer shows.
const infra = realInfra();
const ready = requireInfra(
  'PostgreSQL and Redis (TEST_DATABASE_URL, TEST_REDIS_URL)',
  infra.databaseUrl && infra.redisUrl,
);
const base = `http://127.0.0.1:${testPorts.gateway}`;

async function until(probe: () => Promise<boolean>, timeoutMs = 20_000): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (await probe()) return true;
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
  return false;
}

describe.runIf(ready)('an account deleted through the API', () => {
  let tend: TendProcess;
  let database: Database;

  beforeAll(async () => {
    tend = await TendProcess.start(['serve', '--target=all'], await sharedClusterEnv(infra));
    await tend.waitForHttp(`${base}/readyz`);
    database = createDatabase({ url: infra.databaseUrl!, logger: createLogger({ level: 'silent' }) });
    await database.start();
  }, 120_000);
  afterAll(async () => {
    await database?.stop();
    expect(await tend?.stop()).toBe(0);
  });

  it('ends its sessions (the access token it had is refused) and erases its conversations', async () => {
    const token = await registerPerson(base, 'erased');
    const headers = { authorization: `Bearer ${token}`, 'content-type': 'application/json' };
    const created = await fetch(`${base}/api/v1/conversations`, { method: 'POST', headers, body: '{}' });
    expect(created.status).toBe(201);
    const { id: conversationId } = (await created.json()) as { id: string };
    const said = await fetch(`${base}/api/v1/conversations/${conversationId}/messages`, {
      method: 'POST',
      headers,
      body: JSON.stringify({ text: 'my blood pressure is 120 over 80' }),
    });
    expect(said.status).toBe(200);
    const conversationDb = database.schema('conversation').primary;
    const count = async (query: ReturnType<typeof sql<{ n: string }>>) =>
      Number((await query.execute(conversationDb)).rows[0]!.n);
    const messages = () =>
      count(
        sql<{
          n: string;
        }>`select count(*) as n from ${sql.table('conversation.chat_messages')} where conversation_id = ${conversationId}::uuid`,
      );
    const conversations = () =>
      count(
        sql<{
          n: string;
        }>`select count(*) as n from ${sql.table('conversation.conversations')} where id = ${conversationId}::uuid`,
      );
    expect(await messages()).toBeGreaterThan(0);

    expect(
      (await fetch(`${base}/api/v1/me`, { method: 'DELETE', headers: { authorization: headers.authorization } }))
        .status,
    ).toBe(204);

    const refused = await until(
      async () =>
        (await fetch(`${base}/api/v1/me`, { headers: { authorization: headers.authorization } })).status === 401,
    );
    expect(refused).toBe(true);
    const erased = await until(async () => (await messages()) === 0 && (await conversations()) === 0);
    expect(erased).toBe(true);
  });
});
