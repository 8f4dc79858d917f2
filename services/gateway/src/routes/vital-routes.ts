import { create } from '@bufbuild/protobuf';
import { BucketSizeSchema, VitalSummarySchema } from '@tend/proto/tend/health/v1/analytics';
import {
  BloodPressureCategory,
  BloodPressureCategorySchema,
  RecordVitalRequestSchema,
  VitalInputSchema,
  VitalKindSchema,
  VitalSchema,
  VitalSourceSchema,
  type VitalKind,
  type VitalSource,
} from '@tend/proto/tend/health/v1/vitals';
import type { FastifyInstance } from 'fastify';
import { z } from 'zod';
import { apiEnumNames, enumFromApi, enumToApi, toApiJson } from '../http/api-json.js';
import { contractText } from '../http/contract-fields.js';
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

const kind = z.enum(apiEnumNames(VitalKindSchema));
const reading = z.number().finite();

/** What every reading may carry, whatever its kind; lengths from the contract (vitals.proto). */
const readingCommon = {
  unit: contractText(VitalInputSchema.field.unit).optional(),
  measuredAt: isoInstant.optional(),
  source: z.enum(apiEnumNames(VitalSourceSchema)).optional(),
  note: contractText(VitalInputSchema.field.note).optional(),
};
const kindsWithPeriod = ['sleep', 'steps'] as const;
const kindsWithValue = apiEnumNames(VitalKindSchema).filter(
  (name) => name !== 'blood_pressure' && !(kindsWithPeriod as readonly string[]).includes(name),
);

/**
 * A reading, by kind (a `oneOf` on `kind` in the API document): blood pressure is `systolic` and
 * `diastolic`; sleep and steps are a `value` with an optional `periodStart`; every other kind a
 * `value`. Each kind's range in its unit is the health service's to check.
 */
const recordVitalBody = z.discriminatedUnion('kind', [
  z.strictObject({ kind: z.literal('blood_pressure'), systolic: reading, diastolic: reading, ...readingCommon }),
  z.strictObject({
    kind: z.enum(kindsWithPeriod),
    value: reading,
    periodStart: isoInstant.optional(),
    ...readingCommon,
  }),
  z.strictObject({ kind: z.enum(kindsWithValue as [string, ...string[]]), value: reading, ...readingCommon }),
]);

const listVitalsQuery = z.strictObject({
  kind: kind.optional(),
  from: isoInstant.optional(),
  to: isoInstant.optional(),
  ...pageQuery,
});

const summaryQuery = z.strictObject({
  kind,
  from: isoInstant.optional(),
  to: isoInstant.optional(),
  // Days or weeks; absent means days for periods up to 31 days, weeks beyond (a year's chart asks for days).
  bucketSize: z.enum(apiEnumNames(BucketSizeSchema)).optional(),
});

const idempotencyHeaders = z.object({
  'idempotency-key': contractText(RecordVitalRequestSchema.field.idempotencyKey, { min: 1 }).optional(),
});

/** The vitals list of `userId` (empty: the caller), for `/vitals` and a caregiver's `/patients/:id/vitals`. */
export function listVitalsRoute(deps: ApiDeps, userIdOf: (params: unknown) => string) {
  return async (
    request: { query: z.infer<typeof listVitalsQuery>; params: unknown } & Parameters<typeof callerOfRequest>[0],
  ) => {
    const { query } = request;
    const { vitals, page } = await deps.health.listVitals({
      caller: callerOfRequest(request),
      userId: userIdOf(request.params),
      kind: query.kind === undefined ? undefined : enumFromApi(VitalKindSchema, query.kind),
      from: timestampOf(query.from),
      to: timestampOf(query.to),
      page: pageOf(query),
    });
    return listOf(VitalSchema, vitals, page);
  };
}

export { listVitalsQuery };

/** `/api/v1/vitals`: readings, one at a time or as a list, and their summary. */
export function registerVitalRoutes(app: FastifyInstance, deps: ApiDeps): void {
  const api = zodRoutes(app);
  const tags = ['vitals'];
  api.post(
    '/api/v1/vitals',
    {
      config: { upstreamFields: { vital: '' } },
      schema: {
        tags,
        summary: 'Record a reading (normalized to its canonical unit, with its LOINC code)',
        body: recordVitalBody,
        headers: idempotencyHeaders,
        response: { 201: apiObject },
      },
    },
    async (request, reply) => {
      const body: z.infer<typeof recordVitalBody> & {
        value?: number;
        systolic?: number;
        diastolic?: number;
        periodStart?: string;
      } = request.body;
      const { vital } = await deps.health.recordVital({
        caller: callerOfRequest(request),
        idempotencyKey: request.headers['idempotency-key'] ?? '',
        vital: create(VitalInputSchema, {
          kind: enumFromApi(VitalKindSchema, body.kind) as VitalKind,
          value: body.value,
          systolic: body.systolic,
          diastolic: body.diastolic,
          unit: body.unit ?? '',
          measuredAt: timestampOf(body.measuredAt),
          periodStart: timestampOf(body.periodStart),
          source: body.source === undefined ? undefined : (enumFromApi(VitalSourceSchema, body.source) as VitalSource),
          note: body.note ?? '',
        }),
      });
      return reply.code(201).send(toApiJson(VitalSchema, vital!));
    },
  );
  api.get(
    '/api/v1/vitals',
    {
      schema: {
        tags,
        summary: 'Your readings, newest first',
        querystring: listVitalsQuery,
        response: { 200: listResponse },
      },
    },
    listVitalsRoute(deps, () => ''),
  );
  api.get(
    '/api/v1/vitals/summary',
    {
      schema: {
        tags,
        summary: 'Count, min, max, mean, latest, trend per week and blood-pressure category of a period',
        querystring: summaryQuery,
        response: { 200: apiObject },
      },
    },
    async (request) => {
      const { query } = request;
      const { summary } = await deps.health.getVitalSummary({
        caller: callerOfRequest(request),
        kind: enumFromApi(VitalKindSchema, query.kind) as VitalKind,
        from: timestampOf(query.from),
        to: timestampOf(query.to),
        bucketSize: query.bucketSize === undefined ? undefined : enumFromApi(BucketSizeSchema, query.bucketSize),
      });
      const full = toApiJson(VitalSummarySchema, summary!);
      const stats = (summary!.value ?? summary!.systolic) as { min: number; max: number; mean: number } | undefined;
      return {
        count: summary!.count,
        min: stats?.min ?? null,
        max: stats?.max ?? null,
        mean: stats?.mean ?? null,
        latest: full.latest ?? null,
        trend: summary!.trendPerWeek ?? null,
        ...(summary!.bpCategory !== BloodPressureCategory.UNSPECIFIED && {
          category: enumToApi(BloodPressureCategorySchema, summary!.bpCategory),
        }),
        ...full,
      };
    },
  );
  api.get(
    '/api/v1/vitals/:id',
    {
      config: { upstreamFields: { vitalId: 'id' } },
      schema: { tags, summary: 'One reading', params: idParams, response: { 200: apiObject } },
    },
    async (request) => {
      const { vital } = await deps.health.getVital({ caller: callerOfRequest(request), vitalId: request.params.id });
      return toApiJson(VitalSchema, vital!);
    },
  );
  api.delete(
    '/api/v1/vitals/:id',
    {
      config: { upstreamFields: { vitalId: 'id' } },
      schema: { tags, summary: 'Delete a reading', params: idParams, response: { 204: noContent } },
    },
    async (request, reply) => {
      await deps.health.deleteVital({ caller: callerOfRequest(request), vitalId: request.params.id });
      return reply.code(204).send();
    },
  );
}
