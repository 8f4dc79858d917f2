import { timingSafeEqual } from 'node:crypto';
import { create } from '@bufbuild/protobuf';
import { Code, ConnectError, type Client } from '@connectrpc/connect';
import { ConflictError, NotFoundError, UnauthenticatedError, type Logger, type OidcProviderConfig } from '@tend/core';
import { type Cache } from '@tend/cache';
import { CallerSchema, Role } from '@tend/proto/tend/common/v1/common';
import type { HealthService } from '@tend/proto/tend/health/v1/health_service';
import { OidcIdentitySchema, type User } from '@tend/proto/tend/health/v1/people';
import type { FastifyInstance } from 'fastify';
import * as oidc from 'openid-client';
import { z } from 'zod';
import { zodRoutes } from '../routes/route-kit.js';

/** A login in progress, kept server-side under its `state` until the provider sends the person back. */
interface PendingLogin {
  provider: string;
  codeVerifier: string;
  nonce: string;
}

export interface OidcRouteDeps {
  providers: Record<string, OidcProviderConfig>;
  health: Client<typeof HealthService>;
  cache: Cache;
  logger: Logger;
  /** Signs the person in (a session and tokens), as password login does. */
  signIn(user: User): Promise<object>;
}

/** What the provider says about the person: the ID token's claims, with UserInfo's when needed. */
type Claims = oidc.IDToken | (oidc.IDToken & oidc.UserInfoResponse);

const pendingTtlMs = 10 * 60_000;
const gatewayCaller = create(CallerSchema, { role: Role.SERVICE, service: 'gateway' });
const params = z.strictObject({ provider: z.string().regex(/^[a-z0-9-]{1,32}$/) });
const callbackQuery = z.looseObject({ code: z.string().min(1).max(2048), state: z.string().min(1).max(256) });

/**
 * Sign-in with an OpenID Connect provider: authorization code with PKCE (S256), `state` and
 * `nonce`, the verifier kept on the server (in the cache, 10 minutes, one use) rather than in
 * the browser, and `state` also in a `__Host-` cookie that the callback must bring back, so a
 * callback started in another browser is refused (login CSRF). The provider's subject is the identity: a known one signs its account in; an
 * unknown one is linked to the account with the same e-mail only when the provider vouches
 * for that e-mail (`email_verified`), the account proved it too and has no password; an account
 * with a password is never joined this way (409). Otherwise a new account is created for it.
 */
export function registerOidcRoutes(app: FastifyInstance, deps: OidcRouteDeps): void {
  const configurations = new Map<string, Promise<oidc.Configuration>>();
  const configurationOf = (name: string): Promise<oidc.Configuration> => {
    const provider = deps.providers[name];
    if (!provider) throw new NotFoundError('OIDC provider', name);
    let configuration = configurations.get(name);
    if (!configuration) {
      const issuer = new URL(provider.issuer);
      // Plain HTTP only for a provider on this machine (development and tests).
      const local = issuer.protocol === 'http:' && ['127.0.0.1', 'localhost', '[::1]'].includes(issuer.hostname);
      configuration = oidc
        .discovery(issuer, provider.clientId, provider.clientSecret, undefined, {
          ...(local && { execute: [oidc.allowInsecureRequests] }),
        })
        .catch((error: unknown) => {
          configurations.delete(name); // try discovery again next time
          throw error;
        });
      configurations.set(name, configuration);
    }
    return configuration;
  };

  const api = zodRoutes(app);
  const tags = ['auth'];
  api.get(
    '/api/v1/auth/oidc/:provider/login',
    { schema: { tags, summary: 'Start signing in with an OpenID Connect provider (redirects to it)', params } },
    async (request, reply) => {
      const name = request.params.provider;
      const configuration = await configurationOf(name);
      const provider = deps.providers[name]!;
      const codeVerifier = oidc.randomPKCECodeVerifier();
      const state = oidc.randomState();
      const nonce = oidc.randomNonce();
      const pending: PendingLogin = { provider: name, codeVerifier, nonce };
      await deps.cache.set(pendingKey(state), JSON.stringify(pending), pendingTtlMs);
      // Binds the login to this browser: the callback must come back with the same cookie.
      reply.header(
        'set-cookie',
        `${stateCookie}=${state}; Path=/; Max-Age=${pendingTtlMs / 1000}; HttpOnly; Secure; SameSite=Lax`,
      );
      const target = oidc.buildAuthorizationUrl(configuration, {
        redirect_uri: provider.redirectUri,
        scope: provider.scope,
        code_challenge: await oidc.calculatePKCECodeChallenge(codeVerifier),
        code_challenge_method: 'S256',
        state,
        nonce,
      });
      return reply.redirect(target.href, 302);
    },
  );

  api.get(
    '/api/v1/auth/oidc/:provider/callback',
    {
      // 401: the sign-in was not started in this browser, or the provider refused it.
      config: { answers: [401] },
      schema: {
        tags,
        summary: 'Where the provider sends the person back; answers with tokens like a password login',
        params,
        querystring: callbackQuery,
      },
    },
    async (request, reply) => {
      const name = request.params.provider;
      // Login CSRF: a callback URL made in someone else's browser carries no cookie of this one.
      const bound = cookieOf(request.headers.cookie, stateCookie);
      reply.header('set-cookie', `${stateCookie}=; Path=/; Max-Age=0; HttpOnly; Secure; SameSite=Lax`);
      if (bound === undefined || !sameText(bound, request.query.state))
        throw new UnauthenticatedError('this sign-in was not started in this browser; start again');
      const key = pendingKey(request.query.state);
      const stored = await deps.cache.get(key);
      if (stored === undefined) throw new UnauthenticatedError('this sign-in expired or was already used; start again');
      await deps.cache.delete(key);
      const pending = JSON.parse(stored) as PendingLogin;
      if (pending.provider !== name) throw new UnauthenticatedError('this sign-in was started with another provider');
      const configuration = await configurationOf(name);
      const provider = deps.providers[name]!;
      const callbackUrl = new URL(provider.redirectUri);
      callbackUrl.search = new URLSearchParams(request.query as Record<string, string>).toString();
      let claims: Claims;
      try {
        const tokens = await oidc.authorizationCodeGrant(configuration, callbackUrl, {
          pkceCodeVerifier: pending.codeVerifier,
          expectedState: request.query.state,
          expectedNonce: pending.nonce,
          idTokenExpected: true,
        });
        const idToken = tokens.claims()!;
        // Many providers put profile claims only in the UserInfo response, not the ID token.
        claims =
          typeof idToken.email === 'string'
            ? idToken
            : { ...idToken, ...(await oidc.fetchUserInfo(configuration, tokens.access_token, idToken.sub)) };
      } catch (error) {
        deps.logger.warn({ err: error, provider: name }, 'OIDC code exchange refused');
        throw new UnauthenticatedError('the provider did not confirm this sign-in');
      }
      return deps.signIn(await accountOf(deps.health, configuration.serverMetadata().issuer, claims));
    },
  );
}

async function accountOf(health: Client<typeof HealthService>, issuer: string, claims: Claims): Promise<User> {
  const identity = create(OidcIdentitySchema, { issuer, subject: claims.sub });
  const known = await health.getUserByOidcSubject({ caller: gatewayCaller, identity }).catch(notFoundAsUndefined);
  if (known?.user) return known.user;
  const email = typeof claims.email === 'string' ? claims.email : undefined;
  if (!email) throw new UnauthenticatedError('the provider shared no e-mail address');
  const existing = await health.getUserByEmail({ caller: gatewayCaller, email }).catch(notFoundAsUndefined);
  if (existing?.user) {
    // Whoever registered an address first does not get the person who later signs in with a
    // provider vouching for it: an identity joins an existing account only when that account
    // proved the same address and has no password someone else could hold. Otherwise the person
    // signs in the way the account already allows.
    const joinable = claims.email_verified === true && existing.user.emailVerified && !existing.user.hasPassword;
    if (!joinable)
      throw new ConflictError(
        'user',
        'an account with this e-mail already exists: sign in to it with its password (or its provider)',
      );
    await health.linkOidcIdentity({ caller: gatewayCaller, userId: existing.user.id, identity });
    return existing.user;
  }
  const displayName = typeof claims.name === 'string' && claims.name !== '' ? claims.name : email.split('@')[0]!;
  const { user } = await health.createUser({
    caller: gatewayCaller,
    email,
    displayName,
    oidcIdentity: identity,
    emailVerified: claims.email_verified === true,
  });
  return user!;
}

function notFoundAsUndefined(error: unknown): undefined {
  if (error instanceof ConnectError && error.code === Code.NotFound) return undefined;
  throw error;
}

/**
 * The cookie holding the login's `state` (`__Host-`: only over HTTPS, for this host, path `/`).
 * Browsers keep `Secure` cookies of `http://localhost` too, so development works the same way.
 */
const stateCookie = '__Host-tend-oidc-state';

function cookieOf(header: string | undefined, name: string): string | undefined {
  for (const part of (header ?? '').split(';')) {
    const at = part.indexOf('=');
    if (at > 0 && part.slice(0, at).trim() === name) return part.slice(at + 1).trim();
  }
  return undefined;
}

function sameText(a: string, b: string): boolean {
  const left = Buffer.from(a);
  const right = Buffer.from(b);
  return left.length === right.length && timingSafeEqual(left, right);
}

function pendingKey(state: string): string {
  return `gateway:oidc-login:${state}`;
}
