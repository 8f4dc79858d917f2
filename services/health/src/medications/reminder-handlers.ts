import { create } from '@bufbuild/protobuf';
import { timestampDate } from '@bufbuild/protobuf/wkt';
import { ForbiddenError, ValidationError } from '@tend/core';
import { decodeCursor, pageLimitOf, pageResponse } from '@tend/rpc';
import { ListDueRemindersResponseSchema, type Reminder } from '@tend/proto/tend/health/v1/reminders';
import { actorOf } from '../access/access-control.js';
import type { HealthContext } from '../context.js';
import type { HealthHandlers } from '../handlers.js';
import { defaultDoseRules } from './dose-rules.js';
import { dueReminders } from './due-reminders.js';
import { MedicationRepository } from './medication-repository.js';

const maxWindowMs = 24 * 60 * 60 * 1000;

/**
 * The people a call is limited to (undefined: everyone). The contract has already checked that
 * each is a person id and that there are at most 1,000 of them.
 */
function peopleOf(userIds: readonly string[]): readonly string[] | undefined {
  return userIds.length === 0 ? undefined : [...new Set(userIds)];
}

const fireAtOf = (r: Reminder) => (r.fireAt ? timestampDate(r.fireAt).getTime() : 0);
const byFireAtThenId = (a: Reminder, b: Reminder) =>
  fireAtOf(a) - fireAtOf(b) || (a.id < b.id ? -1 : a.id > b.id ? 1 : 0);

/**
 * Reminders to fire in a window, across all people, for the notification service. Computed from
 * the schedules at call time rather than cached: a dose logged a second ago must drop its
 * reminder, which a 30-minute cache entry could not promise. In the default order every page
 * expands every schedule; pages cut by medication expand only their own, so reading a whole
 * window of N schedules costs O(N) rather than O(N²/page).
 */
export function reminderHandlers(context: HealthContext, rules = defaultDoseRules): HealthHandlers<'listDueReminders'> {
  const medications = new MedicationRepository(context);
  return {
    async listDueReminders(request) {
      const actor = actorOf(request.caller);
      if (actor.kind === 'person') throw new ForbiddenError('reminders are for internal services and admins');
      if (!request.from) throw ValidationError.field('from', 'is required');
      if (!request.to) throw ValidationError.field('to', 'is required');
      const fromMs = timestampDate(request.from).getTime();
      const toMs = timestampDate(request.to).getTime();
      if (toMs <= fromMs) throw ValidationError.field('to', 'must be after from');
      if (toMs - fromMs > maxWindowMs) throw ValidationError.field('to', 'window must be at most 24 h');
      const limit = pageLimitOf(request.page);
      const people = peopleOf(request.userIds);

      const db = context.db.primary;

      if (request.pageByMedication) {
        const after = decodeCursor<{ m: string }>(request.page, 'reminders-by-medication');
        const ids = await medications.remindedIds({ after: after?.m, limit }, people);
        const reminders = (await dueReminders(context, db, ids, { fromMs, toMs }, rules)).sort(byFireAtThenId);
        return create(ListDueRemindersResponseSchema, {
          reminders,
          page: pageResponse('reminders-by-medication', ids.length === limit ? { m: ids[ids.length - 1]! } : undefined),
        });
      }

      const after = decodeCursor<{ f: number; i: string }>(request.page, 'reminders');
      const ids = await medications.remindedIds(undefined, people);
      const reminders = await dueReminders(context, db, ids, { fromMs, toMs }, rules);
      const ordered = reminders
        .sort(byFireAtThenId)
        .filter((r) => !after || fireAtOf(r) > after.f || (fireAtOf(r) === after.f && r.id > after.i));
      const page = ordered.slice(0, limit);
      const last = ordered.length > limit ? page[page.length - 1] : undefined;
      return create(ListDueRemindersResponseSchema, {
        reminders: page,
        page: pageResponse('reminders', last && { f: fireAtOf(last), i: last.id }),
      });
    },
  };
}
