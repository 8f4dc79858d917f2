import {
  CaregiverInvitationSchema,
  CaregiverLinkSchema,
  CaregiverScopeSchema,
  type CaregiverScope,
} from '@tend/proto/tend/health/v1/caregivers';
import type { FastifyInstance } from 'fastify';
import { z } from 'zod';
import { apiEnumNames, enumFromApi, toApiJson } from '../http/api-json.js';
import { adherenceRoute, listMedicationsQuery, listMedicationsRoute, periodQuery } from './medication-routes.js';
import {
  breakGlassHeaders,
  apiObject,
  callerOfRequest,
  idParams,
  listOf,
  listResponse,
  pageOf,
  pageQuery,
  zodRoutes,
  type ApiDeps,
  noContent,
  apiEmail,
} from './route-kit.js';
import { listVitalsQuery, listVitalsRoute } from './vital-routes.js';
import type { UpstreamFieldNames } from '../http/field-names.js';

const inviteBody = z.strictObject({
  email: apiEmail,
  scopes: z
    .array(z.enum(apiEnumNames(CaregiverScopeSchema)))
    .min(1)
    .max(10),
});
const listQuery = z.strictObject({ ...pageQuery });
const invitationsQuery = z.strictObject({ answered: z.enum(['true', 'false']).optional(), ...pageQuery });

/** A patient's record is named by the patient's id in the path. */
const patientFields: UpstreamFieldNames = { userId: 'id' };
const patientOf = (params: unknown) => (params as { id: string }).id;

/**
 * `/api/v1/caregivers` (whom I let see my record, with which scopes, and the invitations I sent),
 * `/api/v1/invitations` (invitations to my address, to accept or decline) and `/api/v1/patients`
 * (whose record I may see). Access starts only when an invitee accepts, and inviting answers the
 * same whether the address has an account or not. A caregiver reads a patient's data through the same health calls
 * as the patient, named by the patient's id: the health service checks the link and its scopes
 * on every call, so a missing scope or a revoked link is refused there, whatever the route.
 */
export function registerCaregiverRoutes(app: FastifyInstance, deps: ApiDeps): void {
  const api = zodRoutes(app);
  api.post(
    '/api/v1/caregivers/invitations',
    {
      config: { upstreamFields: { caregiverEmail: 'email' } },
      schema: {
        tags: ['caregivers'],
        summary: 'Invite someone (by e-mail) to see parts of your record; they must accept',
        description:
          'The answer is the same whether or not the address has an account: a pending invitation. ' +
          'Access starts when the holder of a verified account with that address accepts it.',
        body: inviteBody,
        response: { 202: apiObject },
      },
    },
    async (request, reply) => {
      const { invitation } = await deps.health.inviteCaregiver({
        caller: callerOfRequest(request),
        caregiverEmail: request.body.email,
        scopes: request.body.scopes.map((scope) => enumFromApi(CaregiverScopeSchema, scope) as CaregiverScope),
      });
      return reply.code(202).send(toApiJson(CaregiverInvitationSchema, invitation!));
    },
  );
  api.get(
    '/api/v1/caregivers/invitations',
    {
      schema: {
        tags: ['caregivers'],
        summary: 'Invitations you sent: the pending ones, or all with answered=true',
        querystring: invitationsQuery,
        response: { 200: listResponse },
      },
    },
    async (request) => {
      const { invitations, page } = await deps.health.listCaregiverInvitations({
        caller: callerOfRequest(request),
        includeAnswered: request.query.answered === 'true',
        page: pageOf(request.query),
      });
      return listOf(CaregiverInvitationSchema, invitations, page);
    },
  );
  api.delete(
    '/api/v1/caregivers/invitations/:id',
    {
      config: { upstreamFields: { invitationId: 'id' } },
      schema: {
        tags: ['caregivers'],
        summary: 'Withdraw an invitation you sent',
        params: idParams,
        response: { 204: noContent },
      },
    },
    async (request, reply) => {
      await deps.health.withdrawCaregiverInvitation({
        caller: callerOfRequest(request),
        invitationId: request.params.id,
      });
      return reply.code(204).send();
    },
  );
  api.get(
    '/api/v1/invitations',
    {
      // Until the person has proven their address, the invitations sent to it are not theirs to see.
      config: { answers: [409] },
      schema: {
        tags: ['caregivers'],
        summary: 'Pending invitations to your verified e-mail address (409 until it is verified)',
        response: { 200: listResponse },
      },
    },
    async (request) => {
      const { invitations } = await deps.health.listReceivedInvitations({ caller: callerOfRequest(request) });
      return listOf(CaregiverInvitationSchema, invitations, undefined);
    },
  );
  api.post(
    '/api/v1/invitations/:id/accept',
    {
      config: { upstreamFields: { invitationId: 'id' } },
      schema: {
        tags: ['caregivers'],
        summary: 'Accept an invitation: you may then see what it grants',
        params: idParams,
        response: { 200: apiObject },
      },
    },
    async (request) => {
      const { link } = await deps.health.acceptCaregiverInvitation({
        caller: callerOfRequest(request),
        invitationId: request.params.id,
      });
      return toApiJson(CaregiverLinkSchema, link!);
    },
  );
  api.post(
    '/api/v1/invitations/:id/decline',
    {
      config: { upstreamFields: { invitationId: 'id' } },
      schema: {
        tags: ['caregivers'],
        summary: 'Decline an invitation',
        params: idParams,
        response: { 204: noContent },
      },
    },
    async (request, reply) => {
      await deps.health.declineCaregiverInvitation({
        caller: callerOfRequest(request),
        invitationId: request.params.id,
      });
      return reply.code(204).send();
    },
  );
  api.get(
    '/api/v1/caregivers',
    {
      schema: {
        tags: ['caregivers'],
        summary: 'Your caregivers',
        querystring: listQuery,
        response: { 200: listResponse },
      },
    },
    async (request) => {
      const { links, page } = await deps.health.listCaregivers({
        caller: callerOfRequest(request),
        page: pageOf(request.query),
      });
      return listOf(CaregiverLinkSchema, links, page);
    },
  );
  api.delete(
    '/api/v1/caregivers/:id',
    {
      config: { upstreamFields: { linkId: 'id' } },
      schema: {
        tags: ['caregivers'],
        summary: 'Revoke a caregiver link',
        params: idParams,
        response: { 204: noContent },
      },
    },
    async (request, reply) => {
      await deps.health.revokeCaregiver({ caller: callerOfRequest(request), linkId: request.params.id });
      return reply.code(204).send();
    },
  );
  api.get(
    '/api/v1/patients',
    {
      schema: {
        tags: ['patients'],
        summary: 'People whose record you may see',
        querystring: listQuery,
        response: { 200: listResponse },
      },
    },
    async (request) => {
      const { links, page } = await deps.health.listPatients({
        caller: callerOfRequest(request),
        page: pageOf(request.query),
      });
      return listOf(CaregiverLinkSchema, links, page);
    },
  );
  api.get(
    '/api/v1/patients/:id/vitals',
    {
      config: { upstreamFields: patientFields },
      schema: {
        tags: ['patients'],
        summary: "A patient's readings (scope read_vitals)",
        params: idParams,
        querystring: listVitalsQuery,
        headers: breakGlassHeaders,
        response: { 200: listResponse },
      },
    },
    listVitalsRoute(deps, patientOf),
  );
  api.get(
    '/api/v1/patients/:id/medications',
    {
      config: { upstreamFields: patientFields },
      schema: {
        tags: ['patients'],
        summary: "A patient's medications (scope read_medications)",
        params: idParams,
        querystring: listMedicationsQuery,
        headers: breakGlassHeaders,
        response: { 200: listResponse },
      },
    },
    listMedicationsRoute(deps, patientOf),
  );
  api.get(
    '/api/v1/patients/:id/adherence',
    {
      config: { upstreamFields: patientFields },
      schema: {
        tags: ['patients'],
        summary: "A patient's adherence (scope read_medications)",
        params: idParams,
        querystring: periodQuery,
        headers: breakGlassHeaders,
        response: { 200: apiObject },
      },
    },
    adherenceRoute(deps, patientOf),
  );
}
