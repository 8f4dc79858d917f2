import type { Client } from '@connectrpc/connect';
import {
  AppointmentSchema,
  CalendarSyncSchema,
  ConnectCalendarRequestSchema,
  ImportAppointmentsRequestSchema,
  SyncCountsSchema,
  type ExternalService,
} from '@tend/proto/tend/external/v1/external';
import type { HealthService } from '@tend/proto/tend/health/v1/health_service';
import type { FastifyInstance } from 'fastify';
import { z } from 'zod';
import { toApiJson } from '../http/api-json.js';
import { contractText, textLengthOf } from '../http/contract-fields.js';
import { apiObject, callerOfRequest, noContent, zodRoutes } from './route-kit.js';

/** Largest upload: a 2 MB .ics file, JSON-escaped. */
const importBodyLimit = 3 * 1024 * 1024;

// Lengths from the contract (external.proto); the .ics text's limit is in bytes, the service's.
const connecting = ConnectCalendarRequestSchema.field;
const connectBody = z.strictObject({
  url: z
    .url({ protocol: /^https?$/ })
    .max(textLengthOf(connecting.url).max)
    .describe('The CalDAV calendar collection, or the server to discover it on'),
  username: contractText(connecting.username, { trim: true }),
  password: contractText(connecting.password).describe('Stored encrypted; never returned'),
});
const importBody = z.strictObject({
  ics: z.string().min(1).describe('The text of an RFC 5545 .ics file'),
  timeZone: contractText(ImportAppointmentsRequestSchema.field.timeZone, { min: 1 })
    .optional()
    .describe('Zone for floating times; yours when absent'),
});

/** What the calendar sync routes call. */
export interface CalendarSyncRouteDeps {
  external: Client<typeof ExternalService>;
  /** For the person's time zone when an import gives none. */
  health: Client<typeof HealthService>;
}

/**
 * `/api/v1/calendar/caldav` (connect a CalDAV calendar, see how its sync went, sync now,
 * disconnect) and `/api/v1/appointments/import` (a .ics file, as JSON or `text/calendar`).
 */
export function registerCalendarSyncRoutes(app: FastifyInstance, deps: CalendarSyncRouteDeps): void {
  const api = zodRoutes(app);
  const tags = ['appointments'];
  api.put(
    '/api/v1/calendar/caldav',
    {
      schema: {
        tags,
        summary: 'Connect your CalDAV calendar (replaces a connection); the server is checked first',
        body: connectBody,
        response: { 200: apiObject },
      },
    },
    async (request) => {
      const { sync } = await deps.external.connectCalendar({ caller: callerOfRequest(request), ...request.body });
      return toApiJson(CalendarSyncSchema, sync!);
    },
  );
  api.get(
    '/api/v1/calendar/caldav',
    { schema: { tags, summary: 'Your CalDAV connection and how its last sync went', response: { 200: apiObject } } },
    async (request) => {
      const { sync } = await deps.external.getCalendarSync({ caller: callerOfRequest(request) });
      return toApiJson(CalendarSyncSchema, sync!);
    },
  );
  api.post(
    '/api/v1/calendar/caldav/sync',
    {
      schema: {
        tags,
        summary: 'Sync your CalDAV calendar both ways now (ETags settle conflicts; deletes go both ways)',
        response: { 200: apiObject },
      },
    },
    async (request) => {
      const { counts, sync } = await deps.external.syncCalendar({ caller: callerOfRequest(request) });
      return { counts: toApiJson(SyncCountsSchema, counts!), sync: toApiJson(CalendarSyncSchema, sync!) };
    },
  );
  api.delete(
    '/api/v1/calendar/caldav',
    {
      schema: {
        tags,
        summary: 'Disconnect your CalDAV calendar (appointments stay on both sides)',
        response: { 204: noContent },
      },
    },
    async (request, reply) => {
      await deps.external.disconnectCalendar({ caller: callerOfRequest(request) });
      return reply.code(204).send();
    },
  );
  app.register(async (scope) => {
    // A .ics file as it is (`curl --data-binary @visits.ics -H 'content-type: text/calendar'`).
    scope.addContentTypeParser('text/calendar', { parseAs: 'string', bodyLimit: importBodyLimit }, (_req, body, done) =>
      done(null, { ics: body }),
    );
    zodRoutes(scope).post(
      '/api/v1/appointments/import',
      {
        bodyLimit: importBodyLimit,
        schema: {
          tags,
          summary: 'Import the events of a .ics file as appointments, all or none',
          body: importBody,
          response: { 201: apiObject },
        },
      },
      async (request, reply) => {
        const caller = callerOfRequest(request);
        const timeZone =
          request.body.timeZone ?? (await deps.health.getUser({ caller, userId: '' })).user?.timeZone ?? 'UTC';
        const { appointments, skipped, created, updated, unchanged } = await deps.external.importAppointments({
          caller,
          ics: request.body.ics,
          timeZone,
        });
        return reply.code(201).send({
          items: appointments.map((a) => toApiJson(AppointmentSchema, a)),
          skipped,
          created,
          updated,
          unchanged,
        });
      },
    );
  });
}
