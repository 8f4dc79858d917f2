import { fileURLToPath } from 'node:url';
import type { Client } from '@connectrpc/connect';
import {
  UnauthenticatedError,
  randomIds,
  systemClock,
  type Clock,
  type GatewayConfig,
  type Ids,
  type Logger,
} from '@tend/core';
import { loadMigrations, type Database } from '@tend/db';
import { type Cache, type RateLimitStore } from '@tend/cache';
import type { HealthService } from '@tend/proto/tend/health/v1/health_service';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { bearerToken } from '../http/access-policy.js';
import { AccessTokens } from './access-tokens.js';
import { registerAuthRoutes, signInFor } from './auth-routes.js';
import { registerOidcRoutes } from './oidc-routes.js';
import type { Principal } from './principal.js';
import { Sessions, type GatewayTables } from './sessions.js';
import { loadSigningKeys } from './signing-keys.js';

export { callerOf, type Principal, type PersonRole } from './principal.js';

export interface AuthOptions {
  health: Client<typeof HealthService>;
  database: Database;
  cache: Cache;
  rateLimits: RateLimitStore;
  config: GatewayConfig;
  dataDir: string;
  /** Where generated keys are kept (`TEND_KEYS_DIR`). @default `<dataDir>/keys` */
  keysDir?: string | undefined;
  /** Keys must come from configuration (several gateways share them). */
  requireConfiguredKeys: boolean;
  logger: Logger;
  /** @default the system clock */
  clock?: Clock;
  /** @default random UUIDs */
  ids?: Ids;
}

/** The gateway's authentication, ready to mount. */
export interface Auth {
  /** Checks an access token: its signature and claims, and that its session was not revoked. */
  verifier: { verify(accessToken: string): Promise<Principal> };
  /** The principal of a request's bearer token; `UnauthenticatedError` without a valid one. */
  authenticate(request: FastifyRequest): Promise<Principal>;
  /** Login sessions, for what must end with them (open WebSockets, a deleted account's sessions). */
  sessions: Pick<Sessions, 'isRevoked' | 'onRevoked' | 'revokeAllOf'>;
  /** Mounts `/api/v1/auth/*` (password and OpenID Connect sign-in) and `/.well-known/jwks.json`. */
  registerRoutes(app: FastifyInstance): void;
}

const migrationsDir = fileURLToPath(new URL('../../migrations', import.meta.url));

/**
 * Builds the gateway's authentication: signing keys, the `gateway` schema holding login
 * sessions (migrated here), access tokens and the auth routes.
 */
export async function createAuth(options: AuthOptions): Promise<Auth> {
  const clock = options.clock ?? systemClock;
  const ids = options.ids ?? randomIds;
  const keys = await loadSigningKeys({
    configured: options.config.jwtKeys,
    dataDir: options.dataDir,
    keysDir: options.keysDir,
    requireConfigured: options.requireConfiguredKeys,
  });
  const db = options.database.schema<GatewayTables>('gateway');
  await db.migrate(await loadMigrations(migrationsDir));
  const tokens = new AccessTokens(
    keys,
    { issuer: options.config.jwtIssuer, audience: options.config.jwtAudience, ttlS: options.config.accessTokenTtlS },
    clock,
    ids,
  );
  const sessions = new Sessions(db, options.cache, clock, ids, options.logger, {
    refreshMs: options.config.refreshTokenTtlS * 1000,
    accessMs: options.config.accessTokenTtlS * 1000,
  });
  const verifier = {
    async verify(accessToken: string): Promise<Principal> {
      const principal = await tokens.verify(accessToken);
      if (await sessions.isRevoked(principal.sessionId)) throw new UnauthenticatedError('the session has ended');
      return principal;
    },
  };
  const authenticate = async (request: FastifyRequest): Promise<Principal> => {
    const token = bearerToken(request);
    if (token === undefined) throw new UnauthenticatedError('an access token is required (Authorization: Bearer …)');
    return verifier.verify(token);
  };
  return {
    verifier,
    authenticate,
    sessions,
    registerRoutes: (app) => {
      const routeDeps = {
        health: options.health,
        tokens,
        sessions,
        keys,
        rateLimits: options.rateLimits,
        rateLimitPerMinute: options.config.rateLimitPerMinute,
        authenticate,
      };
      registerAuthRoutes(app, routeDeps);
      registerOidcRoutes(app, {
        providers: options.config.oidcProviders,
        health: options.health,
        cache: options.cache,
        logger: options.logger,
        signIn: signInFor(routeDeps),
      });
    },
  };
}
