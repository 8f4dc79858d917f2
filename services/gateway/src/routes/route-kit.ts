import { create, type DescMessage, type MessageShape } from '@bufbuild/protobuf';
import { timestampFromDate, type Timestamp } from '@bufbuild/protobuf/wkt';
import type { Client } from '@connectrpc/connect';
import { PageRequestSchema, type PageRequest, type PageResponse } from '@tend/proto/tend/common/v1/common';
import type { HealthService } from '@tend/proto/tend/health/v1/health_service';
import { UpdateUserRequestSchema } from '@tend/proto/tend/health/v1/people';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { breakGlassHeader, callerOf } from '../auth/principal.js';
import { toApiJson } from '../http/api-json.js';
import { contractText, integerMaxOf, textLengthOf } from '../http/contract-fields.js';

/** What the API routes call. */
export interface ApiDeps {
  health: Client<typeof HealthService>;
  /** Ends every login session of a person, once their account is gone. */
  endSessionsOf?: (userId: string) => Promise<unknown>;
}

/** The Fastify instance with zod schemas as the source of validation, types and OpenAPI. */
export function zodRoutes(app: FastifyInstance) {
  return app.withTypeProvider<ZodTypeProvider>();
}

/** The proto caller of an authenticated request (the route's access policy guarantees one). */
export function callerOfRequest(request: FastifyRequest) {
  if (!request.principal) throw new Error(`route ${request.routeOptions.url} reached without a principal`);
  return callerOf(request.principal, request.headers[breakGlassHeader]);
}

/**
 * The `Tend-Break-Glass` header of a route through which an admin may reach another person's
 * health data: in the API document (a parameter, and the 403 an admin gets without it) and
 * checked here as the health service checks it, so a bad reason is a 400 naming the header.
 * Anyone else's header is ignored (`callerOf`).
 */
export const breakGlassHeaders = z.object({
  [breakGlassHeader]: z
    .string()
    .min(10, 'must say why, in 10 to 500 characters')
    .max(500, 'must say why, in 10 to 500 characters')
    .optional()
    .describe(
      "Admins only: break-glass mode, with the reason (10 to 500 characters). Without it an admin gets no other person's health data (403); with it, the access is audited with the reason, shown to the person and alerted on",
    ),
});

/** An instant in the API: ISO 8601 with an offset. */
export const isoInstant = z.iso.datetime({ offset: true });

/** `limit` and `cursor` of every list, as the contract's page bounds them (0 is its "default"). */
export const pageQuery = {
  limit: z.coerce.number().int().min(1).max(integerMaxOf(PageRequestSchema.field.limit)).optional(),
  cursor: contractText(PageRequestSchema.field.cursor).optional(),
};

/**
 * An e-mail address wherever the API takes one, trimmed: as long as the contract's address
 * fields allow (254 characters), at most 64 of them before the `@` (RFC 5321). One rule for
 * sign-up, a changed address and an invitation, so an address one route takes no other refuses.
 */
export const apiEmail = z
  .string()
  .trim()
  .max(textLengthOf(UpdateUserRequestSchema.field.email).max)
  .email()
  .refine((email) => email.lastIndexOf('@') <= 64, 'the part before @ must be at most 64 characters');

/** `{ id }` of a record in the path. */
export const idParams = z.strictObject({ id: z.uuid() });

/** `{ items, nextCursor }` of a list response, for the OpenAPI document. */
export const listResponse = z.object({
  items: z.array(z.record(z.string(), z.unknown())),
  nextCursor: z.string().nullable(),
});

/** The answer of a route that returns nothing (204): the API document shows it without a body. */
export const noContent = z.void().describe('Done; nothing to return');

/** Any JSON object (responses are produced from the service contract by `toApiJson`). */
export const apiObject = z.record(z.string(), z.unknown());

export function pageOf(query: { limit?: number; cursor?: string }): PageRequest {
  return create(PageRequestSchema, { limit: query.limit ?? 0, cursor: query.cursor ?? '' });
}

export function listOf<T extends DescMessage>(
  schema: T,
  items: readonly MessageShape<T>[],
  page: PageResponse | undefined,
): { items: Record<string, unknown>[]; nextCursor: string | null } {
  return { items: items.map((item) => toApiJson(schema, item)), nextCursor: page?.nextCursor || null };
}

export function timestampOf(iso: string | undefined): Timestamp | undefined {
  return iso === undefined ? undefined : timestampFromDate(new Date(iso));
}
