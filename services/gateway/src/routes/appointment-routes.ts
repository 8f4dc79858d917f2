import type { Client } from '@connectrpc/connect';
import {
  AppointmentSchema,
  CreateAppointmentRequestSchema,
  UpdateAppointmentRequestSchema,
  type ExternalService,
} from '@tend/proto/tend/external/v1/external';
import type { HealthService } from '@tend/proto/tend/health/v1/health_service';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { z } from 'zod';
import { toApiJson } from '../http/api-json.js';
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
  noContent,
} from './route-kit.js';
import type { UpstreamFieldNames } from '../http/field-names.js';

// Every length below is read off the contract's field rules (proto/tend/external/v1/external.proto).
const created = CreateAppointmentRequestSchema.field;
const updated = UpdateAppointmentRequestSchema.field;
const localDateTime = z.string().regex(/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}$/, 'must be a local time YYYY-MM-DDTHH:MM');
const timeZoneOf = (field: typeof created.timeZone) =>
  contractText(field, { min: 1 }).describe('IANA time zone; yours when absent');
const createBody = z.strictObject({
  title: contractText(created.title, { trim: true, min: 1 }),
  clinician: contractText(created.clinician).optional(),
  location: contractText(created.location).optional(),
  start: localDateTime,
  end: localDateTime.optional().describe('One hour after the start when absent'),
  timeZone: timeZoneOf(created.timeZone).optional(),
  notes: contractText(created.notes).optional(),
});
const updateBody = z.strictObject({
  title: contractText(updated.title, { trim: true, min: 1 }).optional(),
  clinician: contractText(updated.clinician).optional(),
  location: contractText(updated.location).optional(),
  start: localDateTime.optional(),
  end: localDateTime.optional(),
  timeZone: timeZoneOf(updated.timeZone).optional(),
  notes: contractText(updated.notes).optional(),
});
const listQuery = z.strictObject({ from: isoInstant.optional(), to: isoInstant.optional(), ...pageQuery });
const feedParams = z.strictObject({ token: z.string().min(1).max(100) });

/** The service's names for what these routes' clients send. */
const newAppointmentFields: UpstreamFieldNames = { localStart: 'start', localEnd: 'end' };
const appointmentFields: UpstreamFieldNames = { appointmentId: 'id', ...newAppointmentFields };
const appointmentIdFields: UpstreamFieldNames = { appointmentId: 'id' };

/** What the appointment routes call. */
export interface AppointmentRouteDeps {
  external: Client<typeof ExternalService>;
  /** For the person's time zone when a request gives none. */
  health: Client<typeof HealthService>;
}

/**
 * `/api/v1/appointments` (CRUD, local times in the person's zone) and `/api/v1/calendar/feed`
 * (the secret iCalendar URL to subscribe to from Google, Apple or Outlook).
 */
export function registerAppointmentRoutes(app: FastifyInstance, deps: AppointmentRouteDeps): void {
  const api = zodRoutes(app);
  const tags = ['appointments'];
  const zoneOf = async (request: FastifyRequest, given: string | undefined) => {
    if (given !== undefined) return given;
    const { user } = await deps.health.getUser({ caller: callerOfRequest(request), userId: '' });
    return user?.timeZone ?? 'UTC';
  };
  api.post(
    '/api/v1/appointments',
    {
      config: { upstreamFields: newAppointmentFields },
      schema: { tags, summary: 'Add an appointment (local times)', body: createBody, response: { 201: apiObject } },
    },
    async (request, reply) => {
      const { body } = request;
      const { appointment } = await deps.external.createAppointment({
        caller: callerOfRequest(request),
        title: body.title,
        clinician: body.clinician ?? '',
        location: body.location ?? '',
        localStart: body.start,
        localEnd: body.end ?? '',
        timeZone: await zoneOf(request, body.timeZone),
        notes: body.notes ?? '',
      });
      return reply.code(201).send(toApiJson(AppointmentSchema, appointment!));
    },
  );
  api.get(
    '/api/v1/appointments',
    {
      schema: {
        tags,
        summary: 'Your appointments in start order',
        querystring: listQuery,
        response: { 200: listResponse },
      },
    },
    async (request) => {
      const { query } = request;
      const { appointments, page } = await deps.external.listAppointments({
        caller: callerOfRequest(request),
        from: timestampOf(query.from),
        to: timestampOf(query.to),
        page: pageOf(query),
      });
      return listOf(AppointmentSchema, appointments, page);
    },
  );
  api.get(
    '/api/v1/appointments/:id',
    {
      config: { upstreamFields: appointmentIdFields },
      schema: { tags, summary: 'One appointment', params: idParams, response: { 200: apiObject } },
    },
    async (request) => {
      const { appointment } = await deps.external.getAppointment({
        caller: callerOfRequest(request),
        appointmentId: request.params.id,
      });
      return toApiJson(AppointmentSchema, appointment!);
    },
  );
  api.patch(
    '/api/v1/appointments/:id',
    {
      config: { upstreamFields: appointmentFields },
      schema: {
        tags,
        summary: 'Change an appointment',
        params: idParams,
        body: updateBody,
        response: { 200: apiObject },
      },
    },
    async (request) => {
      const { body } = request;
      const { appointment } = await deps.external.updateAppointment({
        caller: callerOfRequest(request),
        appointmentId: request.params.id,
        title: body.title,
        clinician: body.clinician,
        location: body.location,
        localStart: body.start,
        localEnd: body.end,
        timeZone: body.timeZone,
        notes: body.notes,
      });
      return toApiJson(AppointmentSchema, appointment!);
    },
  );
  api.delete(
    '/api/v1/appointments/:id',
    {
      config: { upstreamFields: appointmentIdFields },
      schema: { tags, summary: 'Cancel an appointment', params: idParams, response: { 204: noContent } },
    },
    async (request, reply) => {
      await deps.external.deleteAppointment({ caller: callerOfRequest(request), appointmentId: request.params.id });
      return reply.code(204).send();
    },
  );
  api.post(
    '/api/v1/calendar/feed',
    {
      schema: {
        tags,
        summary: 'Make a new secret iCalendar feed URL (the old one stops working)',
        response: { 201: apiObject },
      },
    },
    async (request, reply) => {
      const { token } = await deps.external.rotateCalendarFeed({ caller: callerOfRequest(request) });
      return reply.code(201).send({ token, path: `/api/v1/calendar/feed/${token}.ics` });
    },
  );
  api.delete(
    '/api/v1/calendar/feed',
    { schema: { tags, summary: 'Revoke your iCalendar feed URL', response: { 204: noContent } } },
    async (request, reply) => {
      await deps.external.revokeCalendarFeed({ caller: callerOfRequest(request) });
      return reply.code(204).send();
    },
  );
  api.get(
    '/api/v1/calendar/feed/:token',
    {
      // A replaced or revoked token's URL: calendar apps stop polling on 410.
      config: { answers: [410] },
      schema: {
        tags,
        summary: 'The iCalendar (RFC 5545) feed; the token in the URL is the credential',
        params: feedParams,
        security: [],
      },
    },
    async (request, reply) => {
      const token = request.params.token.replace(/\.ics$/, '');
      const { ics } = await deps.external.getCalendarFeed({ token });
      return reply.header('cache-control', 'private, max-age=300').type('text/calendar; charset=utf-8').send(ics);
    },
  );
}
