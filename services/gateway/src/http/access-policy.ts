import { ForbiddenError, UnauthenticatedError } from '@tend/core';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { PersonRole, Principal } from '../auth/principal.js';

declare module 'fastify' {
  interface FastifyRequest {
    /** Who the request acts for, once its access token was verified. */
    principal?: Principal;
  }
}

/** Who may call a route: anyone, or a signed-in person with one of the roles. */
export type RouteAccess = 'anyone' | readonly PersonRole[];

const everyone: readonly PersonRole[] = ['user', 'caregiver', 'admin'];
const caregivers: readonly PersonRole[] = ['caregiver', 'admin'];
const admins: readonly PersonRole[] = ['admin'];

/**
 * Every route of the public API and who may call it, in one table (function-level
 * authorization, OWASP API5). Whose record a call may touch (BOLA, API1) is decided by the
 * service that owns the record, from the principal the gateway passes on; this table only
 * decides who gets through the door. A route missing here fails the gateway's start.
 */
export const routeAccess: Readonly<Record<string, RouteAccess>> = {
  'POST /api/v1/auth/register': 'anyone',
  'POST /api/v1/auth/login': 'anyone',
  'POST /api/v1/auth/refresh': 'anyone',
  'POST /api/v1/auth/logout': everyone,
  'GET /api/v1/auth/oidc/:provider/login': 'anyone',
  'GET /api/v1/auth/oidc/:provider/callback': 'anyone',
  'GET /.well-known/jwks.json': 'anyone',
  'GET /api/v1/me': everyone,
  'PATCH /api/v1/me': everyone,
  'DELETE /api/v1/me': everyone,
  'POST /api/v1/me/email/verify': everyone,
  'POST /api/v1/vitals': everyone,
  'GET /api/v1/vitals': everyone,
  'GET /api/v1/vitals/summary': everyone,
  'GET /api/v1/vitals/:id': everyone,
  'DELETE /api/v1/vitals/:id': everyone,
  'POST /api/v1/medications': everyone,
  'GET /api/v1/medications': everyone,
  'GET /api/v1/medications/:id': everyone,
  'PATCH /api/v1/medications/:id': everyone,
  'DELETE /api/v1/medications/:id': everyone,
  'POST /api/v1/medications/:id/doses': everyone,
  'GET /api/v1/doses': everyone,
  'GET /api/v1/adherence': everyone,
  'POST /api/v1/caregivers/invitations': everyone,
  'GET /api/v1/caregivers/invitations': everyone,
  'DELETE /api/v1/caregivers/invitations/:id': everyone,
  'GET /api/v1/invitations': everyone,
  'POST /api/v1/invitations/:id/accept': everyone,
  'POST /api/v1/invitations/:id/decline': everyone,
  'GET /api/v1/caregivers': everyone,
  'DELETE /api/v1/caregivers/:id': everyone,
  'GET /api/v1/patients': caregivers,
  'GET /api/v1/patients/:id/vitals': caregivers,
  'GET /api/v1/patients/:id/medications': caregivers,
  'GET /api/v1/patients/:id/adherence': caregivers,
  'GET /api/v1/fhir/export': everyone,
  'POST /api/v1/fhir/import': everyone,
  'GET /api/v1/admin/status': admins,
  'POST /api/v1/ws/tickets': everyone,
  'POST /api/v1/conversations': everyone,
  'GET /api/v1/conversations': everyone,
  'GET /api/v1/conversations/:id/messages': everyone,
  'POST /api/v1/conversations/:id/messages': everyone,
  'GET /api/v1/weather': everyone,
  'GET /api/v1/air-quality': everyone,
  'GET /api/v1/advisories': everyone,
  'PUT /api/v1/me/place': everyone,
  'GET /api/v1/me/place': everyone,
  'POST /api/v1/appointments': everyone,
  'GET /api/v1/appointments': everyone,
  'GET /api/v1/appointments/:id': everyone,
  'PATCH /api/v1/appointments/:id': everyone,
  'DELETE /api/v1/appointments/:id': everyone,
  'POST /api/v1/calendar/feed': everyone,
  'DELETE /api/v1/calendar/feed': everyone,
  // The secret token in the URL is the credential: calendar apps cannot send a bearer token.
  'GET /api/v1/calendar/feed/:token': 'anyone',
  'POST /api/v1/appointments/import': everyone,
  'PUT /api/v1/calendar/caldav': everyone,
  'GET /api/v1/calendar/caldav': everyone,
  'POST /api/v1/calendar/caldav/sync': everyone,
  'DELETE /api/v1/calendar/caldav': everyone,
  'POST /api/v1/conversations/:id/voice': everyone,
  'POST /api/v1/voice/transcriptions': everyone,
  'POST /api/v1/voice/speech': everyone,
  'GET /api/v1/voice/voices': everyone,
  'GET /api/v1/voice/replies/:token': everyone,
  'GET /api/v1/notifications': everyone,
  'POST /api/v1/notifications/:id/read': everyone,
  'GET /api/v1/notification-preferences': everyone,
  'PUT /api/v1/notification-preferences': everyone,
  'GET /api/v1/reminders': everyone,
  'POST /api/v1/devices': everyone,
  'GET /api/v1/devices': everyone,
  'POST /api/v1/devices/:id/verify': everyone,
  'DELETE /api/v1/devices/:id': everyone,
  'GET /api/v1/push/vapid-public-key': 'anyone',
  'POST /api/v1/notifications/:id/actions': everyone,
  // The signed single-use token is the credential: a push button or e-mail link has no session.
  'POST /api/v1/actions': 'anyone',
  'GET /api/v1/actions/:token': 'anyone',
  // The provider's signature is checked by the notification service.
  'POST /api/v1/sms/inbound': 'anyone',
  'GET /api/v1/admin/dead-letters': admins,
};

/** The bearer token of a request, or undefined when it has none. */
export function bearerToken(request: FastifyRequest): string | undefined {
  const header = request.headers.authorization;
  if (header === undefined) return undefined;
  const match = /^Bearer ([A-Za-z0-9._~+/-]+=*)$/.exec(header);
  if (!match) throw new UnauthenticatedError('the Authorization header must be "Bearer <access token>"');
  return match[1];
}

/**
 * Enforces `routeAccess` before a request's body is even read: routes of the table only, a
 * verified token where one is needed, a role in the list. Routes outside `/api/` and the JWKS
 * (probes, metrics, docs) are not part of the API and are left alone.
 */
export function registerAccessPolicy(
  app: FastifyInstance,
  authenticate: (request: FastifyRequest) => Promise<Principal>,
): void {
  app.addHook('onRoute', (route) => {
    if (!isApiRoute(route.url)) return;
    const methods = Array.isArray(route.method) ? route.method : [route.method];
    for (const method of methods) {
      if (method === 'HEAD' || method === 'OPTIONS') continue;
      if (!(`${method} ${route.url}` in routeAccess)) {
        throw new Error(`route ${method} ${route.url} has no entry in routeAccess`);
      }
    }
  });
  app.addHook('onRequest', async (request) => {
    const url = request.routeOptions.url;
    if (url === undefined || !isApiRoute(url)) return;
    const access = routeAccess[`${request.method === 'HEAD' ? 'GET' : request.method} ${url}`];
    if (access === undefined) throw new ForbiddenError('this route is not open');
    if (access === 'anyone') {
      // A token on a public route still identifies the caller (for rate limits), if valid.
      if (request.headers.authorization !== undefined)
        request.principal = await authenticate(request).catch(() => undefined);
      return;
    }
    const principal = await authenticate(request);
    if (!access.includes(principal.role)) throw new ForbiddenError(`this route is for ${access.join(' or ')} accounts`);
    request.principal = principal;
  });
}

/** Whether a route is part of the public API (under `/api/`, and the JWKS), not a probe or a page. */
export function isApiRoute(url: string): boolean {
  return url.startsWith('/api/') || url === '/.well-known/jwks.json';
}
