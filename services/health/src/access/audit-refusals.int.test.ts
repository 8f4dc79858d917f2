import { randomUUID } from 'node:crypto';
import { Metrics } from '@tend/core';
import { databaseTargets } from '@tend/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { insertTestUser, personCaller, startHealthHarness, type HealthHarness } from '../testing/health-harness.js';
import { AccessControl, type Actor } from './access-control.js';

describe.each(databaseTargets())('refused accesses in the audit log on $kind PostgreSQL', (target) => {
  let h: HealthHarness;
  beforeAll(async () => {
    h = await startHealthHarness(target);
  });
  afterAll(async () => h?.stop());

  const refusedRowsBy = async (actorId: string) =>
    h.context.db.primary
      .selectFrom('audit_events')
      .select(['subject_user_id', 'attempts'])
      .where('actor_user_id', '=', actorId)
      .where('allowed', '=', false)
      .execute();

  it('counts a refused call repeated within the hour in one event the person sees, with its attempts', async () => {
    const ann = await insertTestUser(h.context, { displayName: 'Ann', email: 'ann-refusals@example.test' });
    const bo = await insertTestUser(h.context, { displayName: 'Bo', email: 'bo-refusals@example.test' });
    for (let i = 0; i < 5; i++) {
      await expect(h.client.listVitals({ caller: personCaller(bo), userId: ann })).rejects.toThrow();
    }
    expect(await refusedRowsBy(bo)).toEqual([{ subject_user_id: ann, attempts: 5 }]);
    const { events } = await h.client.listAuditEvents({ caller: personCaller(ann) });
    const refused = events.filter((e) => !e.allowed);
    expect(refused).toHaveLength(1);
    expect(refused[0]).toMatchObject({ attempts: 5, resource: 'vitals' });
    expect(refused[0]!.lastOccurredAt).toBeDefined();
  });

  it('adds at most its share of refusal rows an hour for one actor probing many ids, counting the rest', async () => {
    const metrics = new Metrics({ defaultMetrics: false });
    const access = new AccessControl(h.context.db, h.context.ids, h.context.clock, {
      rowsPerActorPerHour: 5,
      metrics,
    });
    const prober = await insertTestUser(h.context, { displayName: 'Cy', email: 'cy-refusals@example.test' });
    const actor: Actor = { kind: 'person', userId: prober, role: 'user' };
    for (let i = 0; i < 12; i++) {
      await expect(
        access.authorize(actor, { ownerId: randomUUID(), action: 'read', scope: 'read_vitals', resource: 'vitals' }),
      ).rejects.toThrow(/no access/);
    }
    expect(await refusedRowsBy(prober)).toHaveLength(5);
    expect((await metrics.registry.getSingleMetricAsString('tend_audit_refusals_dropped_total')).trim()).toMatch(/ 7$/);
    // A repeat of a refusal already logged still counts in its row.
    const [first] = await refusedRowsBy(prober);
    await expect(
      access.authorize(actor, {
        ownerId: first!.subject_user_id,
        action: 'read',
        scope: 'read_vitals',
        resource: 'vitals',
      }),
    ).rejects.toThrow();
    const again = await refusedRowsBy(prober);
    expect(again.find((r) => r.subject_user_id === first!.subject_user_id)?.attempts).toBe(2);
  });

  it('still writes one event per allowed access by someone other than the owner', async () => {
    const dee = await insertTestUser(h.context, { displayName: 'Dee', email: 'dee-refusals@example.test' });
    const admin: Actor = { kind: 'admin', userId: randomUUID(), breakGlassReason: 'ticket 1: audit suite' };
    for (let i = 0; i < 3; i++)
      await h.context.access.authorize(admin, { ownerId: dee, action: 'read', resource: 'vitals' });
    const rows = await h.context.db.primary
      .selectFrom('audit_events')
      .select('attempts')
      .where('subject_user_id', '=', dee)
      .where('allowed', '=', true)
      .execute();
    expect(rows).toEqual([{ attempts: 1 }, { attempts: 1 }, { attempts: 1 }]);
  });
});
