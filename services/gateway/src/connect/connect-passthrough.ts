import type { IncomingMessage, ServerResponse } from 'node:http';
import {
  Code,
  ConnectError,
  createContextKey,
  createContextValues,
  type CallOptions,
  type Client,
  type HandlerContext,
} from '@connectrpc/connect';
import { connectNodeAdapter } from '@connectrpc/connect-node';
import type { RateLimitStore } from '@tend/cache';
import { HealthService } from '@tend/proto/tend/health/v1/health_service';
import { breakGlassHeader, callerOf, type Principal } from '../auth/principal.js';
import { rpcFhirReadMaxBytes, rpcGate, rpcReadMaxBytes } from './rpc-gate.js';

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
  'verifyEmail',
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
  'inviteCaregiver',
  'listCaregiverInvitations',
  'withdrawCaregiverInvitation',
  'listReceivedInvitations',
  'acceptCaregiverInvitation',
  'declineCaregiverInvitation',
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
  /** The client's address, with `X-Forwarded-For` honoured only from trusted proxies. */
  clientAddress(req: IncomingMessage): string;
}

/**
 * Connect and gRPC-Web (and gRPC) for browsers and apps that would rather call the contract than
 * the REST API: the same bearer token, the same per-person rate limit, and the caller always
 * replaced by the token's principal, whatever the request says — a client cannot act for
 * someone else by filling in `caller`. The token and the limits are checked from the headers
 * before the body is read (`rpcGate`); bodies are read uncompressed only, up to 1 MiB (4 MiB for
 * a FHIR import). Each call is forwarded to the service through the gateway's own balanced
 * client.
 */
export function connectPassthrough(deps: ConnectPassthroughDeps): (req: IncomingMessage, res: ServerResponse) => void {
  const gate = rpcGate({
    verify: (token) => deps.verify(token),
    rateLimits: deps.rateLimits,
    perMinute: deps.perMinute,
    clientAddress: (req) => deps.clientAddress(req),
    readMaxBytesOf: (path) => (path === importFhirPath ? rpcFhirReadMaxBytes : rpcReadMaxBytes),
  });
  const principals = new WeakMap<object, Principal>();

  const handler = connectNodeAdapter({
    requestPathPrefix: rpcPathPrefix,
    acceptCompression: [],
    readMaxBytes: rpcReadMaxBytes,
    contextValues: (req) => createContextValues().set(principalKey, principals.get(req)),
    routes: (router) => {
      for (const name of publicHealthMethods) {
        const method = HealthService.method[name];
        const call = deps.health[name] as (request: object, options: CallOptions) => Promise<object>;
        const forward = (request: object, context: HandlerContext): Promise<object> => {
          const principal = context.values.get(principalKey);
          if (!principal) throw new ConnectError('not authenticated', Code.Unauthenticated);
          // The client's deadline and cancellation go on to the service.
          return call(
            { ...request, caller: callerOf(principal, context.requestHeader.get(breakGlassHeader) ?? undefined) },
            { signal: context.signal, timeoutMs: context.timeoutMs() },
          );
        };
        router.rpc(method, forward, {
          readMaxBytes: name === 'importFhir' ? rpcFhirReadMaxBytes : rpcReadMaxBytes,
        });
      }
    },
  });

  return (req, res) => {
    res.setHeader('cache-control', 'no-store');
    gate(req, res).then(
      (principal) => {
        if (!principal) return;
        principals.set(req, principal);
        handler(req, res);
      },
      () => {
        res.statusCode = 500;
        res.setHeader('connection', 'close');
        res.end();
      },
    );
  };
}

const importFhirPath = `${rpcPathPrefix}/${HealthService.typeName}/${HealthService.method.importFhir.name}`;
