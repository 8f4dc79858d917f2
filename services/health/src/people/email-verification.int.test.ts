import { Code } from '@connectrpc/connect';
import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { personCaller, startHealthHarness, type HealthHarness } from '../testing/health-harness.js';
import type { VerificationMessage } from './email-verification.js';
import { admin, failure, gateway, password, peopleTestCases, registerPerson } from './people-test-support.js';
import { sealedAt } from '../crypto/sealed-columns.js';

describe.each(peopleTestCases)('e-mail ownership on $label', ({ target, redisUrl }) => {
  let h: HealthHarness;

  beforeAll(async () => {
    h = await startHealthHarness(target, { redisUrl });
  }, 120_000);
  afterAll(async () => {
    await h?.stop();
  });

  /** The latest verification message queued for a person, opened as the e-mail channel would. */
  async function latestMessage(userId: string): Promise<VerificationMessage> {
    const row = await h.context.db.primary
      .selectFrom('email_verifications')
      .select(['id', 'message_encrypted'])
      .where('user_id', '=', userId)
      .orderBy('created_at', 'desc')
      .limit(1)
      .executeTakeFirstOrThrow();
    return JSON.parse(
      h.context.cipher.decrypt(row.message_encrypted, sealedAt.verificationMessage(row.id, userId)),
    ) as VerificationMessage;
  }

  it('starts a registration unverified, queues a sealed code to the address, and accepts it once', async () => {
    const person = await registerPerson(h, 'Vera');
    expect(person.emailVerified).toBe(false);
    const message = await latestMessage(person.id);
    expect(message.to).toBe(person.email);
    expect(message.text).toContain(message.code);
    const raw = await h.context.db.primary
      .selectFrom('email_verifications')
      .selectAll()
      .where('user_id', '=', person.id)
      .executeTakeFirstOrThrow();
    expect(JSON.stringify(raw)).not.toContain(message.code);
    expect(JSON.stringify(raw)).not.toContain(person.email);

    const { user } = await h.client.verifyEmail({ caller: personCaller(person.id), code: message.code });
    expect(user!.emailVerified).toBe(true);
    const again = await failure(h.client.verifyEmail({ caller: personCaller(person.id), code: message.code }));
    expect(again.code).toBe(Code.Unauthenticated);
  });

  it('voids a code after five wrong guesses', async () => {
    const person = await registerPerson(h, 'Guess');
    const { code } = await latestMessage(person.id);
    const wrong = code === '000000' ? '111111' : '000000';
    for (let i = 0; i < 5; i++) {
      const error = await failure(h.client.verifyEmail({ caller: personCaller(person.id), code: wrong }));
      expect(error.code).toBe(Code.Unauthenticated);
    }
    const late = await failure(h.client.verifyEmail({ caller: personCaller(person.id), code }));
    expect(late.code).toBe(Code.Unauthenticated);
    const { user } = await h.client.getUser({ caller: personCaller(person.id) });
    expect(user!.emailVerified).toBe(false);
  });

  it('lets an admin verify an address without a code', async () => {
    const person = await registerPerson(h, 'Desk');
    const { user } = await h.client.verifyEmail({ caller: admin, userId: person.id });
    expect(user!.emailVerified).toBe(true);
  });

  it('changes the e-mail only with the current password, and the new address starts unverified', async () => {
    const person = await registerPerson(h, 'Move');
    const me = personCaller(person.id);
    await h.client.verifyEmail({ caller: me, code: (await latestMessage(person.id)).code });
    const newEmail = `moved.${Date.now()}@example.test`;
    const missing = await failure(h.client.updateUser({ caller: me, email: newEmail }));
    expect(missing.code).toBe(Code.InvalidArgument);
    expect(missing.rawMessage).toContain('current_password');
    const wrong = await failure(h.client.updateUser({ caller: me, email: newEmail, currentPassword: 'not it at all' }));
    expect(wrong.code).toBe(Code.Unauthenticated);
    expect((await h.client.getUser({ caller: me })).user!.email).toBe(person.email);

    const { user } = await h.client.updateUser({ caller: me, email: newEmail, currentPassword: password });
    expect(user).toMatchObject({ email: newEmail, emailVerified: false });
    expect((await latestMessage(person.id)).to).toBe(newEmail);
    // Other changes need no password.
    await h.client.updateUser({ caller: me, displayName: 'Moved' });
  });

  it('marks an OIDC account verified only on a service’s word that the provider vouched for it', async () => {
    const identity = { issuer: 'https://idp.example.test', subject: `sub-${Date.now()}` };
    const { user } = await h.client.createUser({
      caller: gateway,
      email: `oidc.${Date.now()}@example.test`,
      displayName: 'Oidc',
      oidcIdentity: identity,
      emailVerified: true,
    });
    expect(user!.emailVerified).toBe(true);
    const { user: unvouched } = await h.client.createUser({
      caller: gateway,
      email: `oidc2.${Date.now()}@example.test`,
      displayName: 'Oidc',
      oidcIdentity: { ...identity, subject: `${identity.subject}-2` },
    });
    expect(unvouched!.emailVerified).toBe(false);
  });

  it('tells the person when a sign-in method is linked to their account', async () => {
    const person = await registerPerson(h, 'Linked');
    const identity = { issuer: 'https://idp.example.test', subject: `link-${Date.now()}` };
    await h.client.linkOidcIdentity({ caller: gateway, userId: person.id, identity });
    await h.client.linkOidcIdentity({ caller: gateway, userId: person.id, identity }); // no-op, no second notice
    // The outbox keeps published rows for a day.
    const { rows } = await sql<{ event: unknown }>`select event from ${sql.table(`${h.schema}.outbox`)}`.execute(
      h.context.db.primary,
    );
    const linked = rows
      .map((row) => JSON.stringify(row.event))
      .filter((event) => event.includes('sign_in_method_linked') && event.includes(person.id));
    expect(linked).toHaveLength(1);
    expect(linked[0]).toContain('idp.example.test');
  });
});
