import { apiEmail, noContent } from '../routes/route-kit.js';
import { create } from '@bufbuild/protobuf';
import type { Client } from '@connectrpc/connect';
import { RateLimitedError, UnauthenticatedError, ValidationError, type RateLimitStore } from '@tend/platform';
import { CallerSchema, Role } from '@tend/proto/tend/common/v1/common';
import type { HealthService } from '@tend/proto/tend/health/v1/health_service';
import { UpdateUserRequestSchema, UserSchema, type User } from '@tend/proto/tend/health/v1/people';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { toApiJson } from '../http/api-json.js';
import { contractText } from '../http/contract-fields.js';
import type { AccessTokens } from './access-tokens.js';
import { maxPasswordLength, minPasswordLength, passwordViolations } from './password-policy.js';
import type { PersonRole, Principal } from './principal.js';
import type { Sessions } from './sessions.js';
import type { SigningKeys } from './signing-keys.js';

/** What the auth routes work with. */
export interface AuthRouteDeps {
  health: Client<typeof HealthService>;
  tokens: AccessTokens;
  sessions: Sessions;
  keys: SigningKeys;
  rateLimits: RateLimitStore;
  /** The API's general per-minute limit, which the per-address auth limits are a share of. */
  rateLimitPerMinute: number;
  /** Reads the bearer token of a request (for logout). */
  authenticate(request: FastifyRequest): Promise<Principal>;
}

const gatewayCaller = create(CallerSchema, { role: Role.SERVICE, service: 'gateway' });
const roleNames: Partial<Record<Role, PersonRole>> = {
  [Role.USER]: 'user',
  [Role.CAREGIVER]: 'caregiver',
  [Role.ADMIN]: 'admin',
};

const tokensSchema = z.object({
  user: z.record(z.string(), z.unknown()),
  accessToken: z.string(),
  refreshToken: z.string(),
  tokenType: z.literal('Bearer'),
  expiresIn: z.number().int(),
});
const registerBody = z.strictObject({
  email: apiEmail,
  // The policy's other rules (not the e-mail, not common) are checked below; the length is here
  // so that the API document states it.
  password: z.string().min(minPasswordLength).max(maxPasswordLength),
  // A profile's display name, as the contract bounds it wherever it is set.
  displayName: contractText(UpdateUserRequestSchema.field.displayName, { trim: true }),
  timezone: z.string().min(1).max(64).optional(),
  locale: z.enum(['en', 'zh']).optional(),
});
const loginBody = z.strictObject({ email: z.string().max(254), password: z.string().max(maxPasswordLength) });
const refreshBody = z.strictObject({ refreshToken: z.string().min(1).max(200) });

/**
 * Attempts allowed per minute. Per account it is fixed: guessing one person's password stays
 * slow whatever the API's general limit. Per address it is a share of the general per-minute
 * limit (`RATE_LIMIT_PER_MINUTE`, 100 by default: 10 registrations, 20 logins, 60 refreshes).
 */
function authLimits(apiPerMinute: number) {
  return {
    loginPerAccount: 5,
    loginPerAddress: Math.max(1, Math.floor(apiPerMinute / 5)),
    registerPerAddress: Math.max(1, Math.floor(apiPerMinute / 10)),
    refreshPerAddress: Math.max(1, Math.floor((apiPerMinute * 3) / 5)),
  };
}

/**
 * `/api/v1/auth/*` and the JWKS: registration and password login (through the health service,
 * which owns credentials), refresh with rotation and reuse detection, logout. Login failures all
 * read the same, and the health service spends the same time on an unknown e-mail, so neither
 * the answer nor its timing says whether an account exists.
 */
export function registerAuthRoutes(app: FastifyInstance, deps: AuthRouteDeps): void {
  const api = app.withTypeProvider<ZodTypeProvider>();
  const tags = ['auth'];
  const limits = authLimits(deps.rateLimitPerMinute);

  const signIn = signInFor(deps);

  api.post(
    '/api/v1/auth/register',
    {
      // 409: the e-mail address already has an account.
      config: { upstreamFields: { timeZone: 'timezone' }, answers: [409] },
      schema: { tags, summary: 'Create an account and sign in', body: registerBody, response: { 201: tokensSchema } },
    },
    async (request, reply) => {
      await limit(deps.rateLimits, `register:ip:${request.ip}`, limits.registerPerAddress);
      const { body } = request;
      const violations = passwordViolations(body.password, body.email);
      if (violations.length > 0) throw new ValidationError(violations);
      const { user } = await deps.health.createUser({
        caller: gatewayCaller,
        email: body.email,
        password: body.password,
        displayName: body.displayName,
        timeZone: body.timezone ?? 'UTC',
        locale: body.locale ?? 'en',
      });
      return reply.code(201).send(await signIn(user!));
    },
  );

  api.post(
    '/api/v1/auth/login',
    {
      config: { answers: [401] },
      schema: { tags, summary: 'Sign in with e-mail and password', body: loginBody, response: { 200: tokensSchema } },
    },
    async (request) => {
      const account = request.body.email.trim().toLowerCase();
      await limit(deps.rateLimits, `login:ip:${request.ip}`, limits.loginPerAddress);
      await limit(deps.rateLimits, `login:account:${account}`, limits.loginPerAccount);
      const { user } = await deps.health
        .verifyCredentials({ caller: gatewayCaller, email: request.body.email, password: request.body.password })
        .catch(() => {
          throw new UnauthenticatedError('the e-mail or the password is wrong');
        });
      return signIn(user!);
    },
  );

  api.post(
    '/api/v1/auth/refresh',
    {
      config: { answers: [401] },
      schema: {
        tags,
        summary: 'Trade a refresh token for new tokens (the old one is spent)',
        body: refreshBody,
        response: { 200: tokensSchema },
      },
    },
    async (request) => {
      await limit(deps.rateLimits, `refresh:ip:${request.ip}`, limits.refreshPerAddress);
      const issued = await deps.sessions.rotate(request.body.refreshToken);
      // The role is read again: an admin may have changed it since the last token.
      const { user } = await deps.health.getUser({ caller: gatewayCaller, userId: issued.userId }).catch(() => {
        throw new UnauthenticatedError('the account no longer exists');
      });
      const role = roleNames[user!.role];
      if (!role) throw new UnauthenticatedError('this account cannot sign in here');
      const { accessToken, expiresIn } = await deps.tokens.issue({
        userId: issued.userId,
        role,
        sessionId: issued.sessionId,
      });
      return {
        user: accountOnly(user!),
        accessToken,
        refreshToken: issued.refreshToken,
        tokenType: 'Bearer' as const,
        expiresIn,
      };
    },
  );

  api.post(
    '/api/v1/auth/logout',
    {
      schema: {
        tags,
        summary: 'End this session: its refresh and access tokens stop working',
        response: { 204: noContent },
      },
    },
    async (request, reply) => {
      const principal = await deps.authenticate(request);
      await deps.sessions.revoke(principal.sessionId, 'logout');
      return reply.code(204).send();
    },
  );

  api.get(
    '/.well-known/jwks.json',
    { schema: { tags, summary: 'The public keys access tokens are signed with' } },
    async (_request, reply) => reply.header('cache-control', 'public, max-age=300').send(deps.keys.jwks),
  );
}

/**
 * The account as token responses carry it: who signed in, never their health profile (conditions,
 * allergies, contact), which `GET /api/v1/me` serves to those who ask for it.
 */
function accountOnly(user: User): Record<string, unknown> {
  return toApiJson(UserSchema, { ...user, profile: undefined });
}

/** Opens a session for `user` and answers with its tokens: the end of every kind of sign-in. */
export function signInFor(deps: Pick<AuthRouteDeps, 'sessions' | 'tokens'>) {
  return async (user: User) => {
    const role = roleNames[user.role];
    if (!role) throw new UnauthenticatedError('this account cannot sign in here');
    const { sessionId, refreshToken } = await deps.sessions.open(user.id);
    const { accessToken, expiresIn } = await deps.tokens.issue({ userId: user.id, role, sessionId });
    return { user: accountOnly(user), accessToken, refreshToken, tokenType: 'Bearer' as const, expiresIn };
  };
}

async function limit(store: RateLimitStore, key: string, perMinute: number): Promise<void> {
  const decision = await store.consume(key, perMinute, 60_000);
  if (!decision.allowed) throw new RateLimitedError(decision.resetMs);
}
