import type { IncomingMessage, ServerResponse } from 'node:http';
import {
  Code,
  ConnectError,
  createContextKey,
  type CallOptions,
  type Client,
  type HandlerContext,
  type Interceptor,
} from '@connectrpc/connect';
import { connectNodeAdapter } from '@connectrpc/connect-node';
import { RateLimitedError, toConnectError, type RateLimitStore } from '@tend/platform';
import { HealthService } from '@tend/proto/tend/health/v1/health_service';
import { callerOf, type Principal } from '../auth/principal.js';

/** Where browsers call the services directly: `/rpc/<package.Service>/<Method>`. */
export const rpcPathPrefix = '/rpc';

/**
 * The health methods a person's own client may call directly. Account creation, credential
 * checks, role changes, identity linking and the reminder feed are for the gateway and the
 * services only, and stay unreachable from outside.
 */
export const publicHealthMethods = [
  'getUser',
  'updateUser',
  'recordVital',
  'batchRecordVitals',
  'getVital',
  'listVitals',
  'deleteVital',
  'getVitalSummary',
  'getWeeklySummary',
  'createMedication',
  'getMedication',
  'listMedications',
  'updateMedication',
  'deleteMedication',
  'listScheduledDoses',
  'logDose',
  'listDoseLog',
  'getAdherence',
  'grantCaregiver',
  'listCaregivers',
  'revokeCaregiver',
  'listPatients',
  'listAuditEvents',
  'exportFhir',
  'importFhir',
] as const satisfies readonly (keyof Client<typeof HealthService>)[];

const principalKey = createContextKey<Principal | undefined>(undefined);

export interface ConnectPassthroughDeps {
  health: Client<typeof HealthService>;
  verify(accessToken: string): Promise<Principal>;
  rateLimits: RateLimitStore;
  perMinute: number;
}

/**
 * Connect and gRPC-Web (and gRPC) for browsers and apps that would rather call the contract than
 * the REST API: the same bearer token, the same per-person rate limit, and the caller always
 * replaced by the token's principal, whatever the request says — a client cannot act for
 * someone else by filling in `caller`. Each call is forwarded to the service through the
 * gateway's own balanced client.
 */
export function connectPassthrough(deps: ConnectPassthroughDeps): (req: IncomingMessage, res: ServerResponse) => void {
  const authenticate: Interceptor = (next) => async (req) => {
    const header = req.header.get('authorization') ?? '';
    const token = /^Bearer (\S+)$/.exec(header)?.[1];
    if (!token) throw new ConnectError('an access token is required (Authorization: Bearer …)', Code.Unauthenticated);
    let principal: Principal;
    try {
      principal = await deps.verify(token);
    } catch (error) {
      throw toConnectError(error);
    }
    const decision = await deps.rateLimits.consume(`api:user:${principal.userId}`, deps.perMinute, 60_000);
    if (!decision.allowed) throw toConnectError(new RateLimitedError(decision.resetMs));
    req.contextValues.set(principalKey, principal);
    return next(req);
  };

  type Forward = (request: object, context: HandlerContext) => Promise<object>;
  const forwarded: Partial<Record<(typeof publicHealthMethods)[number], Forward>> = {};
  for (const name of publicHealthMethods) {
    const call = deps.health[name] as (request: object, options: CallOptions) => Promise<object>;
    forwarded[name] = (request, context) => {
      const principal = context.values.get(principalKey);
      if (!principal) throw new ConnectError('not authenticated', Code.Unauthenticated);
      // The client's deadline and cancellation go on to the service.
      return call(
        { ...request, caller: callerOf(principal) },
        { signal: context.signal, timeoutMs: context.timeoutMs() },
      );
    };
  }

  return connectNodeAdapter({
    requestPathPrefix: rpcPathPrefix,
    interceptors: [authenticate],
    routes: (router) => router.service(HealthService, forwarded),
  });
}
