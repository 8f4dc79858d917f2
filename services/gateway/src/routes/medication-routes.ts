import { create } from '@bufbuild/protobuf';
import {
  AdherenceReportSchema,
  DoseLogEntrySchema,
  DoseSource,
  DoseStatus,
  ScheduledDoseSchema,
  type AdherenceStats,
} from '@tend/proto/tend/health/v1/doses';
import {
  CreateMedicationRequestSchema,
  DayOfWeekSchema,
  MedicationFormSchema,
  MedicationSchema,
  ScheduleSchema,
  UpdateMedicationRequestSchema,
  type DayOfWeek,
} from '@tend/proto/tend/health/v1/medications';
import { LogDoseRequestSchema } from '@tend/proto/tend/health/v1/doses';
import type { FastifyInstance } from 'fastify';
import { z } from 'zod';
import { apiEnumNames, enumFromApi, toApiJson } from '../http/api-json.js';
import { contractList, contractNumber, contractText } from '../http/contract-fields.js';
import type { UpstreamFieldNames } from '../http/field-names.js';
import {
  apiObject,
  callerOfRequest,
  idParams,
  isoInstant,
  listOf,
  listResponse,
  pageOf,
  pageQuery,
  timestampOf,
  zodRoutes,
  type ApiDeps,
  noContent,
} from './route-kit.js';

// Every limit below is read off the contract's field rules (proto/tend/health/v1/medications.proto).
const created = CreateMedicationRequestSchema.field;
const updated = UpdateMedicationRequestSchema.field;
const scheduleRules = ScheduleSchema.field;
const localTime = contractText(scheduleRules.times, { patternMessage: 'must be HH:MM (24 h)' });
const day = z.enum(apiEnumNames(DayOfWeekSchema));
const schedule = z.strictObject({
  times: contractList(scheduleRules.times, localTime).default([]),
  days: contractList(scheduleRules.days, day).optional(),
  asNeeded: z.boolean().optional(),
});
const form = z.enum(apiEnumNames(MedicationFormSchema));

const createMedicationBody = z.strictObject({
  name: contractText(created.name, { trim: true }),
  dose: contractNumber(created.dose),
  unit: contractText(created.doseUnit),
  form: form.optional(),
  instructions: contractText(created.instructions).optional(),
  rxnormCode: contractText(created.rxnormCode).optional(),
  schedule,
  startDate: z.iso.date().optional(),
  endDate: z.iso.date().optional(),
});

const updateMedicationBody = z.strictObject({
  name: contractText(updated.name, { trim: true }).optional(),
  dose: contractNumber(updated.dose).optional(),
  unit: contractText(updated.doseUnit).optional(),
  form: form.optional(),
  instructions: contractText(updated.instructions).optional(),
  rxnormCode: contractText(updated.rxnormCode).optional(),
  schedule: schedule.optional(),
  startDate: z.iso.date().optional(),
  endDate: z.union([z.iso.date(), z.literal('')]).optional(),
  active: z.boolean().optional(),
});

const logDoseBody = z.strictObject({
  status: z.enum(['taken', 'skipped']),
  at: isoInstant.optional(),
  scheduledAt: isoInstant.optional(),
  note: contractText(LogDoseRequestSchema.field.note).optional(),
});

const listMedicationsQuery = z.strictObject({ active: z.enum(['true', 'false']).optional(), ...pageQuery });
const periodQuery = z.strictObject({ from: isoInstant.optional(), to: isoInstant.optional() });
const idempotencyHeaders = z.object({
  'idempotency-key': contractText(created.idempotencyKey, { min: 1 }).optional(),
});

/** The service's names for what these routes' clients send. */
const newMedicationFields: UpstreamFieldNames = { doseUnit: 'unit' };
const medicationFields: UpstreamFieldNames = { doseUnit: 'unit', medicationId: 'id' };
const medicationIdFields: UpstreamFieldNames = { medicationId: 'id' };
const doseFields: UpstreamFieldNames = { medicationId: 'id', occurredAt: 'at' };

function scheduleOf(input: z.infer<typeof schedule>) {
  return create(ScheduleSchema, {
    times: input.times,
    days: (input.days ?? []).map((d) => enumFromApi(DayOfWeekSchema, d) as DayOfWeek),
    asNeeded: input.asNeeded ?? false,
  });
}

function statsJson(stats: AdherenceStats | undefined) {
  return {
    taken: stats?.taken ?? 0,
    skipped: stats?.skipped ?? 0,
    missed: stats?.missed ?? 0,
    pending: stats?.pending ?? 0,
    scheduled: stats?.scheduled ?? 0,
    rate: stats?.rate ?? null,
  };
}

/** The medications of `userId` (empty: the caller). */
export function listMedicationsRoute(deps: ApiDeps, userIdOf: (params: unknown) => string) {
  return async (
    request: { query: z.infer<typeof listMedicationsQuery>; params: unknown } & Parameters<typeof callerOfRequest>[0],
  ) => {
    const { query } = request;
    const { medications, page } = await deps.health.listMedications({
      caller: callerOfRequest(request),
      userId: userIdOf(request.params),
      active: query.active === undefined ? undefined : query.active === 'true',
      page: pageOf(query),
    });
    return listOf(MedicationSchema, medications, page);
  };
}

/** The adherence of `userId` (empty: the caller) over a period. */
export function adherenceRoute(deps: ApiDeps, userIdOf: (params: unknown) => string) {
  return async (
    request: { query: z.infer<typeof periodQuery>; params: unknown } & Parameters<typeof callerOfRequest>[0],
  ) => {
    const { report } = await deps.health.getAdherence({
      caller: callerOfRequest(request),
      userId: userIdOf(request.params),
      from: timestampOf(request.query.from),
      to: timestampOf(request.query.to),
    });
    return {
      ...(report && toApiJson(AdherenceReportSchema, { ...report, overall: undefined, byMedication: [] })),
      overall: statsJson(report?.overall),
      byMedication: (report?.byMedication ?? []).map((m) => ({
        medicationId: m.medicationId,
        name: m.medicationName,
        ...statsJson(m.stats),
      })),
    };
  };
}

export { listMedicationsQuery, periodQuery };

/** `/api/v1/medications`, `/doses` and `/adherence`. */
export function registerMedicationRoutes(app: FastifyInstance, deps: ApiDeps): void {
  const api = zodRoutes(app);
  const tags = ['medications'];
  api.post(
    '/api/v1/medications',
    {
      config: { upstreamFields: newMedicationFields },
      schema: {
        tags,
        summary: 'Add a medication with its schedule (local times in your time zone)',
        body: createMedicationBody,
        headers: idempotencyHeaders,
        response: { 201: apiObject },
      },
    },
    async (request, reply) => {
      const { body } = request;
      const { medication } = await deps.health.createMedication({
        caller: callerOfRequest(request),
        name: body.name,
        dose: body.dose,
        doseUnit: body.unit,
        form: body.form === undefined ? undefined : enumFromApi(MedicationFormSchema, body.form),
        instructions: body.instructions ?? '',
        rxnormCode: body.rxnormCode ?? '',
        startDate: body.startDate ?? '',
        endDate: body.endDate ?? '',
        schedule: scheduleOf(body.schedule),
        idempotencyKey: request.headers['idempotency-key'] ?? '',
      });
      return reply.code(201).send(toApiJson(MedicationSchema, medication!));
    },
  );
  api.get(
    '/api/v1/medications',
    {
      schema: { tags, summary: 'Your medications', querystring: listMedicationsQuery, response: { 200: listResponse } },
    },
    listMedicationsRoute(deps, () => ''),
  );
  api.get(
    '/api/v1/medications/:id',
    {
      config: { upstreamFields: medicationIdFields },
      schema: { tags, summary: 'One medication', params: idParams, response: { 200: apiObject } },
    },
    async (request) => {
      const { medication } = await deps.health.getMedication({
        caller: callerOfRequest(request),
        medicationId: request.params.id,
      });
      return toApiJson(MedicationSchema, medication!);
    },
  );
  api.patch(
    '/api/v1/medications/:id',
    {
      config: { upstreamFields: medicationFields },
      schema: {
        tags,
        summary: 'Change a medication (set active: false to stop it)',
        params: idParams,
        body: updateMedicationBody,
        response: { 200: apiObject },
      },
    },
    async (request) => {
      const { body } = request;
      const { medication } = await deps.health.updateMedication({
        caller: callerOfRequest(request),
        medicationId: request.params.id,
        name: body.name,
        dose: body.dose,
        doseUnit: body.unit,
        form: body.form === undefined ? undefined : enumFromApi(MedicationFormSchema, body.form),
        instructions: body.instructions,
        rxnormCode: body.rxnormCode,
        startDate: body.startDate,
        endDate: body.endDate,
        active: body.active,
        schedule: body.schedule && scheduleOf(body.schedule),
      });
      return toApiJson(MedicationSchema, medication!);
    },
  );
  api.delete(
    '/api/v1/medications/:id',
    {
      config: { upstreamFields: medicationIdFields },
      schema: { tags, summary: 'Delete a medication and its schedule', params: idParams, response: { 204: noContent } },
    },
    async (request, reply) => {
      await deps.health.deleteMedication({ caller: callerOfRequest(request), medicationId: request.params.id });
      return reply.code(204).send();
    },
  );
  api.post(
    '/api/v1/medications/:id/doses',
    {
      config: { upstreamFields: doseFields },
      schema: {
        tags,
        summary: 'Log a dose as taken or skipped (the nearest scheduled dose unless scheduledAt says which)',
        params: idParams,
        body: logDoseBody,
        headers: idempotencyHeaders,
        response: { 201: apiObject },
      },
    },
    async (request, reply) => {
      const { body } = request;
      const { entry, scheduledDose } = await deps.health.logDose({
        caller: callerOfRequest(request),
        medicationId: request.params.id,
        status: body.status === 'taken' ? DoseStatus.TAKEN : DoseStatus.SKIPPED,
        occurredAt: timestampOf(body.at),
        scheduledAt: timestampOf(body.scheduledAt),
        source: DoseSource.APP,
        note: body.note ?? '',
        idempotencyKey: request.headers['idempotency-key'] ?? '',
      });
      return reply.code(201).send({
        ...toApiJson(DoseLogEntrySchema, entry!),
        ...(scheduledDose && { scheduledDose: toApiJson(ScheduledDoseSchema, scheduledDose) }),
      });
    },
  );
  api.get(
    '/api/v1/doses',
    {
      schema: {
        tags,
        summary: 'Scheduled doses of a period with their status (taken, skipped, missed, pending)',
        querystring: periodQuery,
        response: { 200: z.object({ items: z.array(apiObject) }) },
      },
    },
    async (request) => {
      const { doses } = await deps.health.listScheduledDoses({
        caller: callerOfRequest(request),
        from: timestampOf(request.query.from),
        to: timestampOf(request.query.to),
      });
      return { items: doses.map((dose) => toApiJson(ScheduledDoseSchema, dose)) };
    },
  );
  api.get(
    '/api/v1/adherence',
    {
      schema: {
        tags,
        summary: 'Doses taken ÷ scheduled, overall and per medication',
        querystring: periodQuery,
        response: { 200: apiObject },
      },
    },
    adherenceRoute(deps, () => ''),
  );
}
