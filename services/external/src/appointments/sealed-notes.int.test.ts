import { Code, ConnectError } from '@connectrpc/connect';
import { systemClock } from '@tend/core';
import { databaseTargets } from '@tend/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CalendarConnections } from '../calendar-sync/calendar-connections.js';
import type { ExternalTables } from '../db/tables.js';
import { personCaller, startExternalHarness, type ExternalHarness } from '../testing/external-harness.js';
import { tableOnlyPlace } from './notes-cipher.js';
import { bindSealedValues } from './sealed-values.js';

const adaId = '5b1e2c1b-7d4f-4e21-9a6b-000000000001';
const bobId = '5b1e2c1b-7d4f-4e21-9a6b-000000000002';
const ada = personCaller(adaId);
const bob = personCaller(bobId);

async function failure(promise: Promise<unknown>): Promise<ConnectError> {
  try {
    await promise;
  } catch (error) {
    return ConnectError.from(error);
  }
  throw new Error('expected the call to fail');
}

describe.each(databaseTargets())(
  'appointment notes and calendar passwords sealed to their row on $kind PostgreSQL',
  (target) => {
    let h: ExternalHarness;
    const db = () => h.database.schema<ExternalTables>(h.schema).primary;
    const connections = () =>
      new CalendarConnections(h.database.schema<ExternalTables>(h.schema), h.cipher, systemClock);
    const appointment = async (caller: typeof ada, notes: string) =>
      (
        await h.client.createAppointment({
          caller,
          title: 'Visit',
          localStart: '2026-07-03T15:00',
          timeZone: 'UTC',
          notes,
        })
      ).appointment!;
    const notesOf = async (id: string) =>
      (await db().selectFrom('appointments').select('notes_encrypted').where('id', '=', id).executeTakeFirstOrThrow())
        .notes_encrypted!;
    const setNotes = (id: string, sealed: string) =>
      db().updateTable('appointments').set({ notes_encrypted: sealed }).where('id', '=', id).execute();

    beforeAll(async () => {
      h = await startExternalHarness(target);
    });
    afterAll(() => h?.stop());

    it("does not open a note copied into another person's appointment or another appointment of the same person", async () => {
      const adas = await appointment(ada, 'HIV clinic, bring the viral load results');
      const adasOther = await appointment(ada, 'dentist');
      const bobs = await appointment(bob, 'physio');
      const sealed = await notesOf(adas.id);

      await setNotes(bobs.id, sealed);
      const moved = await failure(h.client.getAppointment({ caller: bob, appointmentId: bobs.id }));
      expect(moved.code).toBe(Code.Internal);
      expect(moved.message).not.toContain('viral');

      await setNotes(adasOther.id, sealed);
      expect((await failure(h.client.getAppointment({ caller: ada, appointmentId: adasOther.id }))).code).toBe(
        Code.Internal,
      );
      // Where it was sealed, it still opens.
      const { appointment: own } = await h.client.getAppointment({ caller: ada, appointmentId: adas.id });
      expect(own!.notes).toBe('HIV clinic, bring the viral load results');
    });

    it("does not open a calendar password copied into a note or into another person's connection", async () => {
      await connections().connect(adaId, 'https://cal.example/ada/', 'ada', 'hunter2-ada');
      await connections().connect(bobId, 'https://cal.example/bob/', 'bob', 'bobs-password');
      const row = await db()
        .selectFrom('calendar_connections')
        .select('password_encrypted')
        .where('user_id', '=', adaId)
        .executeTakeFirstOrThrow();
      expect((await connections().open(adaId)).credentials.password).toBe('hunter2-ada');

      const adas = await appointment(ada, 'any');
      await setNotes(adas.id, row.password_encrypted);
      const asNote = await failure(h.client.getAppointment({ caller: ada, appointmentId: adas.id }));
      expect(asNote.message).not.toContain('hunter2');

      await db()
        .updateTable('calendar_connections')
        .set({ password_encrypted: row.password_encrypted })
        .where('user_id', '=', bobId)
        .execute();
      await expect(connections().open(bobId)).rejects.toThrow();
    });

    it('binds values sealed before notes were bound to their row at start, and refuses them until then', async () => {
      const adas = await appointment(ada, 'placeholder');
      // As the service wrote them before: one row-less place for every note and password.
      await db()
        .updateTable('appointments')
        .set({ notes_encrypted: h.cipher.encrypt('cardiology follow-up', tableOnlyPlace), notes_bound: false })
        .where('id', '=', adas.id)
        .execute();
      await connections().connect(adaId, 'https://cal.example/ada/', 'ada', 'placeholder');
      await db()
        .updateTable('calendar_connections')
        .set({ password_encrypted: h.cipher.encrypt('old-password', tableOnlyPlace), password_bound: false })
        .where('user_id', '=', adaId)
        .execute();

      const before = await failure(h.client.getAppointment({ caller: ada, appointmentId: adas.id }));
      expect(before.code).toBe(Code.Unavailable);
      await expect(connections().open(adaId)).rejects.toThrow('not bound to its row yet');

      expect(await bindSealedValues(h.database.schema<ExternalTables>(h.schema), h.cipher)).toBeGreaterThanOrEqual(2);
      const { appointment: bound } = await h.client.getAppointment({ caller: ada, appointmentId: adas.id });
      expect(bound!.notes).toBe('cardiology follow-up');
      expect((await connections().open(adaId)).credentials.password).toBe('old-password');
      // Bound now: copied to another appointment it no longer opens, and a second run binds nothing.
      const other = await appointment(ada, 'x');
      await setNotes(other.id, await notesOf(adas.id));
      await failure(h.client.getAppointment({ caller: ada, appointmentId: other.id }));
      await setNotes(other.id, h.cipher.encrypt('x', tableOnlyPlace));
      expect(await bindSealedValues(h.database.schema<ExternalTables>(h.schema), h.cipher)).toBe(0);
    });
  },
);
