import { create } from '@bufbuild/protobuf';
import {
  ProfileUpdateSchema,
  type Sex,
  SexSchema,
  StringListSchema,
  UpdateUserRequestSchema,
  UserSchema,
} from '@tend/proto/tend/health/v1/people';
import type { FastifyInstance } from 'fastify';
import { z } from 'zod';
import { apiEnumNames, enumFromApi, toApiJson } from '../http/api-json.js';
import { contractText } from '../http/contract-fields.js';
import { apiEmail, apiObject, callerOfRequest, zodRoutes, type ApiDeps, noContent } from './route-kit.js';

const profileBody = z.strictObject({
  birthDate: z.union([z.iso.date(), z.literal('')]).optional(),
  sex: z.enum(apiEnumNames(SexSchema)).optional(),
  conditions: z.array(z.string().trim().min(1).max(200)).max(50).optional(),
  allergies: z.array(z.string().trim().min(1).max(200)).max(50).optional(),
  emergencyContact: z
    .strictObject({
      name: z.string().max(100).optional(),
      relationship: z.string().max(50).optional(),
      phone: z.string().max(32).optional(),
      email: z.string().max(254).optional(),
    })
    .optional(),
});

// Strict: `role`, `id` and anything else not listed is refused by name (mass assignment, API3).
const patchMeBody = z.strictObject({
  email: apiEmail.optional(),
  displayName: contractText(UpdateUserRequestSchema.field.displayName, { trim: true }).optional(),
  locale: z.enum(['en', 'zh']).optional(),
  timezone: z.string().min(1).max(64).optional(),
  profile: profileBody.optional(),
  /** Re-authentication: required with a new `email` when the account has a password. */
  currentPassword: z.string().max(1024).optional(),
});

const verifyEmailBody = z.strictObject({ code: z.string().regex(/^\d{6}$/, 'must be the 6 digits of the message') });

/** `/api/v1/me`: the signed-in person's own account and profile. */
export function registerMeRoutes(app: FastifyInstance, deps: ApiDeps): void {
  const api = zodRoutes(app);
  const tags = ['me'];
  api.get(
    '/api/v1/me',
    { schema: { tags, summary: 'Your account and profile', response: { 200: apiObject } } },
    async (request) => {
      const { user } = await deps.health.getUser({ caller: callerOfRequest(request) });
      return toApiJson(UserSchema, user!);
    },
  );
  api.patch(
    '/api/v1/me',
    {
      config: { upstreamFields: { timeZone: 'timezone' } },
      schema: {
        tags,
        summary: 'Change your account or profile (not your role or id)',
        body: patchMeBody,
        response: { 200: apiObject },
      },
    },
    async (request) => {
      const { body } = request;
      const profile = body.profile;
      const { user } = await deps.health.updateUser({
        caller: callerOfRequest(request),
        email: body.email,
        displayName: body.displayName,
        locale: body.locale,
        timeZone: body.timezone,
        currentPassword: body.currentPassword,
        profile:
          profile &&
          create(ProfileUpdateSchema, {
            birthDate: profile.birthDate,
            sex: profile.sex === undefined ? undefined : (enumFromApi(SexSchema, profile.sex) as Sex),
            conditions: profile.conditions && create(StringListSchema, { values: profile.conditions }),
            allergies: profile.allergies && create(StringListSchema, { values: profile.allergies }),
            emergencyContact: profile.emergencyContact,
          }),
      });
      return toApiJson(UserSchema, user!);
    },
  );
  api.post(
    '/api/v1/me/email/verify',
    {
      schema: {
        tags,
        summary: 'Prove your e-mail address with the code sent to it (at sign-up and after every change)',
        body: verifyEmailBody,
        response: { 200: apiObject },
      },
    },
    async (request) => {
      const { user } = await deps.health.verifyEmail({ caller: callerOfRequest(request), code: request.body.code });
      return toApiJson(UserSchema, user!);
    },
  );
  api.delete(
    '/api/v1/me',
    { schema: { tags, summary: 'Delete your account and all its data', response: { 204: noContent } } },
    async (request, reply) => {
      await deps.health.deleteUser({ caller: callerOfRequest(request) });
      // The account is gone: no token issued for it may go on working.
      await deps.endSessionsOf?.(request.principal!.userId);
      return reply.code(204).send();
    },
  );
}
