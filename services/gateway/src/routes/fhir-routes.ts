import { FhirImportIssueSchema } from '@tend/proto/tend/health/v1/fhir';
import type { FastifyInstance } from 'fastify';
import { z } from 'zod';
import { toApiJson } from '../http/api-json.js';
import { apiObject, callerOfRequest, isoInstant, timestampOf, zodRoutes, type ApiDeps } from './route-kit.js';

/** The largest Bundle accepted; the health service refuses more than 4 MiB of JSON too. */
export const fhirBodyLimitBytes = 4 * 1024 * 1024;

/** `/api/v1/fhir`: your record as a FHIR R4 Bundle, and Observations imported from one. */
export function registerFhirRoutes(app: FastifyInstance, deps: ApiDeps): void {
  const api = zodRoutes(app);
  const tags = ['fhir'];
  api.get(
    '/api/v1/fhir/export',
    {
      schema: {
        tags,
        summary: 'Your record as a FHIR R4 Bundle (Patient, Observation, MedicationRequest, dose log)',
        querystring: z.strictObject({ from: isoInstant.optional(), to: isoInstant.optional() }),
      },
    },
    async (request, reply) => {
      const { bundleJson } = await deps.health.exportFhir({
        caller: callerOfRequest(request),
        from: timestampOf(request.query.from),
        to: timestampOf(request.query.to),
      });
      return reply.type('application/fhir+json').send(bundleJson);
    },
  );
  api.post(
    '/api/v1/fhir/import',
    {
      bodyLimit: fhirBodyLimitBytes,
      schema: {
        tags,
        summary: 'Import the Observations, MedicationRequests and dose records of a FHIR R4 Bundle',
        querystring: z.strictObject({ dryRun: z.enum(['true', 'false']).optional() }),
        body: z.looseObject({ resourceType: z.literal('Bundle') }),
        response: { 200: apiObject },
      },
    },
    async (request) => {
      const result = await deps.health.importFhir({
        caller: callerOfRequest(request),
        bundleJson: JSON.stringify(request.body),
        dryRun: request.query.dryRun === 'true',
      });
      return {
        imported: result.imported,
        skipped: result.skipped,
        issues: result.issues.map((issue) => toApiJson(FhirImportIssueSchema, issue)),
      };
    },
  );
}
