import { create } from '@bufbuild/protobuf';
import { NotFoundError, formatLocalDate, localDateOf } from '@tend/core';
import { decodeCursor, pageLimitOf, pageResponse } from '@tend/rpc';
import {
  CreateMedicationResponseSchema,
  DeleteMedicationResponseSchema,
  GetMedicationResponseSchema,
  ListMedicationsResponseSchema,
  UpdateMedicationResponseSchema,
} from '@tend/proto/tend/health/v1/medications';
import { actorOf } from '../access/access-control.js';
import type { HealthContext } from '../context.js';
import type { HealthHandlers } from '../handlers.js';
import { doseHandlers } from './dose-handlers.js';
import {
  Violations,
  checkDate,
  checkDateOrder,
  checkDose,
  checkDoseUnit,
  checkForm,
  checkFreeText,
  checkIdempotencyKey,
  checkName,
  checkRxnorm,
  checkSchedule,
} from './medication-input.js';
import { authorizeRecord, authorizedPerson, byNameThenId, isUuid, toMedication } from './medication-store.js';
import { MedicationRepository } from './medication-repository.js';
import { reminderHandlers } from './reminder-handlers.js';
import { startOfLocalDay } from './schedule-expansion.js';
import { sealedAt } from '../crypto/sealed-columns.js';

/** The medications, doses, adherence and reminders methods of the health service. */
export function medicationHandlers(
  context: HealthContext,
): HealthHandlers<
  | 'createMedication'
  | 'getMedication'
  | 'listMedications'
  | 'updateMedication'
  | 'deleteMedication'
  | 'listScheduledDoses'
  | 'logDose'
  | 'listDoseLog'
  | 'deleteDoseLogEntry'
  | 'getAdherence'
  | 'listDueReminders'
> {
  return {
    ...medicationCrudHandlers(context),
    ...doseHandlers(context),
    ...reminderHandlers(context),
  };
}

/** Create, read, update and delete of medications and their schedules. */
function medicationCrudHandlers(
  context: HealthContext,
): HealthHandlers<'createMedication' | 'getMedication' | 'listMedications' | 'updateMedication' | 'deleteMedication'> {
  const medications = new MedicationRepository(context);

  return {
    async createMedication(request) {
      const actor = actorOf(request.caller);
      const personId = await authorizedPerson(context, actor, request.userId, 'write', undefined);
      const violations = new Violations();
      const name = checkName(request.name, violations);
      checkRxnorm(request.rxnormCode, violations);
      checkDose(request.dose, violations);
      checkDoseUnit(request.doseUnit, violations);
      checkForm(request.form, violations);
      checkFreeText(request.instructions, violations, 'instructions');
      checkDate(request.startDate, violations, 'start_date');
      checkDate(request.endDate, violations, 'end_date');
      const schedule = checkSchedule(request.schedule, violations);
      checkIdempotencyKey(request.idempotencyKey, violations);
      const zone = await medications.timeZoneOf(personId);
      const now = context.clock.now();
      const startDate = request.startDate || formatLocalDate(localDateOf(now.getTime(), zone));
      checkDateOrder(startDate, request.endDate, violations);
      violations.throwIfAny();

      const key = request.idempotencyKey || null;
      const id = context.ids.uuid();
      // An explicit start date in the past schedules from that day; otherwise from now, so a
      // medication added at 10:00 does not count this morning's 08:00 dose as missed.
      const effectiveFrom = new Date(
        request.startDate ? Math.min(now.getTime(), startOfLocalDay(startDate, zone)) : now.getTime(),
      );
      const createdId = await medications.create(
        {
          id,
          user_id: personId,
          name,
          rxnorm_code: request.rxnormCode,
          dose: request.dose,
          dose_unit: request.doseUnit,
          form: request.form,
          instructions_encrypted: request.instructions
            ? context.cipher.encrypt(request.instructions, sealedAt.medicationInstructions(id, personId))
            : null,
          start_date: startDate,
          end_date: request.endDate || null,
          active: true,
          times: schedule.times,
          days: schedule.days,
          as_needed: schedule.asNeeded,
          reminders_enabled: request.remindersEnabled ?? true,
          idempotency_key: key,
          created_at: now,
          updated_at: now,
        },
        {
          effective_from: effectiveFrom,
          times: schedule.times,
          days: schedule.days,
          as_needed: schedule.asNeeded,
          active: true,
          start_date: startDate,
          end_date: request.endDate || null,
        },
        { medicationId: id, change: 'created', active: true, asNeeded: schedule.asNeeded },
        now,
      );
      const record = await medications.find(createdId);
      return create(CreateMedicationResponseSchema, { medication: toMedication(context, record) });
    },

    async getMedication(request) {
      const actor = actorOf(request.caller);
      if (!isUuid(request.medicationId)) throw new NotFoundError('medication', request.medicationId);
      const ownerId = await medications.ownerOf(request.medicationId);
      if (!ownerId) throw new NotFoundError('medication', request.medicationId);
      await authorizeRecord(
        context,
        actor,
        { ownerId, entity: 'medication', id: request.medicationId },
        'read',
        'read_medications',
      );
      const record = (await medications.ofPerson(ownerId)).find((m) => m.id === request.medicationId);
      if (!record) throw new NotFoundError('medication', request.medicationId);
      return create(GetMedicationResponseSchema, { medication: toMedication(context, record) });
    },

    async listMedications(request) {
      const actor = actorOf(request.caller);
      const limit = pageLimitOf(request.page);
      const after = decodeCursor<{ n: string; i: string }>(request.page, 'medications');
      const personId = await authorizedPerson(context, actor, request.userId, 'read', 'read_medications');
      const needle = request.nameContains.toLowerCase();
      const matching = (await medications.ofPerson(personId)).filter(
        (m) =>
          (request.active === undefined || m.active === request.active) &&
          (needle === '' || m.name.toLowerCase().includes(needle)) &&
          (!after || byNameThenId(m, { name: after.n, id: after.i }) > 0),
      );
      const page = matching.slice(0, limit);
      const last = matching.length > limit ? page[page.length - 1] : undefined;
      return create(ListMedicationsResponseSchema, {
        medications: page.map((m) => toMedication(context, m)),
        page: pageResponse('medications', last && { n: last.name, i: last.id }),
      });
    },

    async updateMedication(request) {
      const actor = actorOf(request.caller);
      const current = await medications.find(request.medicationId);
      await authorizeRecord(
        context,
        actor,
        { ownerId: current.userId, entity: 'medication', id: current.id },
        'write',
        undefined,
      );
      const violations = new Violations();
      const name = request.name === undefined ? current.name : checkName(request.name, violations);
      if (request.rxnormCode !== undefined) checkRxnorm(request.rxnormCode, violations);
      if (request.dose !== undefined) checkDose(request.dose, violations);
      if (request.doseUnit !== undefined) checkDoseUnit(request.doseUnit, violations);
      if (request.form !== undefined) checkForm(request.form, violations);
      if (request.instructions !== undefined) checkFreeText(request.instructions, violations, 'instructions');
      if (request.startDate !== undefined) checkDate(request.startDate, violations, 'start_date');
      if (request.endDate !== undefined) checkDate(request.endDate, violations, 'end_date');
      const schedule = request.schedule ? checkSchedule(request.schedule, violations) : current;
      const startDate = request.startDate || current.startDate;
      const endDate = request.endDate ?? current.endDate;
      checkDateOrder(startDate, endDate, violations);
      violations.throwIfAny();

      const active = request.active ?? current.active;
      const remindersEnabled = request.remindersEnabled ?? current.remindersEnabled !== false;
      const now = context.clock.now();
      const scheduleChanged =
        request.schedule !== undefined ||
        startDate !== current.startDate ||
        endDate !== current.endDate ||
        active !== current.active;
      await medications.update(
        current,
        {
          name,
          rxnorm_code: request.rxnormCode ?? current.rxnormCode,
          dose: request.dose ?? current.dose,
          dose_unit: request.doseUnit ?? current.doseUnit,
          form: request.form ?? current.form,
          instructions_encrypted:
            request.instructions === undefined
              ? current.instructionsEncrypted
              : request.instructions
                ? context.cipher.encrypt(
                    request.instructions,
                    sealedAt.medicationInstructions(current.id, current.userId),
                  )
                : null,
          start_date: startDate,
          end_date: endDate || null,
          active,
          times: schedule.times,
          days: schedule.days,
          as_needed: schedule.asNeeded,
          reminders_enabled: remindersEnabled,
          updated_at: now,
        },
        scheduleChanged
          ? {
              times: schedule.times,
              days: schedule.days,
              as_needed: schedule.asNeeded,
              active,
              start_date: startDate,
              end_date: endDate || null,
            }
          : undefined,
        {
          medicationId: current.id,
          change: 'updated',
          active,
          asNeeded: schedule.asNeeded,
          remindersEnabled,
          scheduleChanged,
        },
        now,
      );
      const record = await medications.find(current.id);
      return create(UpdateMedicationResponseSchema, { medication: toMedication(context, record) });
    },

    async deleteMedication(request) {
      const actor = actorOf(request.caller);
      const current = await medications.find(request.medicationId);
      await authorizeRecord(
        context,
        actor,
        { ownerId: current.userId, entity: 'medication', id: current.id },
        'write',
        undefined,
      );
      await medications.delete(current);
      return create(DeleteMedicationResponseSchema, {});
    },
  };
}
