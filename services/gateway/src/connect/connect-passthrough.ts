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
import type { RateLimitStore } from '@tend/platform';
import { HealthPublicService } from '@tend/proto/tend/health/v1/health_public_service';
import { HealthService } from '@tend/proto/tend/health/v1/health_service';
import { breakGlassHeader, callerOf, type Principal } from '../auth/principal.js';
import { rpcFhirReadMaxBytes, rpcGate, rpcReadMaxBytes } from './rpc-gate.js';

/** Where browsers call the services directly: `/rpc/<package.Service>/<Method>`. */
export const rpcPathPrefix = '/rpc';

/**
 * A health method a person's own client may call directly: every method of the public half of
 * the health contract, and nothing else. It is a type read off the generated service, not a
 * list kept by hand, so a method reaches `/rpc` only by being put in `HealthPublicService`
 * (account creation, credential checks, role changes, identity linking and the reminder feed
 * are in `HealthInternalService`, which only services call).
 */
export type PublicHealthMethod = keyof typeof HealthPublicService.method;

/** The public methods, from the generated descriptor. */
export const publicHealthMethods = HealthPublicService.methods.map((method) => method.localName as PublicHealthMethod);

const principalKey = createContextKey<Principal | undefined>(undefined);

export interface ConnectPassthroughDeps {
  /** The public half of the health contract: all that `/rpc` forwards to. */
  health: Client<typeof HealthPublicService>;
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
    readMaxBytesOf: (path) => (importFhirPaths.has(path) ? rpcFhirReadMaxBytes : rpcReadMaxBytes),
  });
  const principals = new WeakMap<object, Principal>();

  const handler = connectNodeAdapter({
    requestPathPrefix: rpcPathPrefix,
    acceptCompression: [],
    readMaxBytes: rpcReadMaxBytes,
    contextValues: (req) => createContextValues().set(principalKey, principals.get(req)),
    routes: (router) => {
      for (const name of publicHealthMethods) {
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
        const options = { readMaxBytes: name === 'importFhir' ? rpcFhirReadMaxBytes : rpcReadMaxBytes };
        // Served under the public service's name, and under the whole contract's name that
        // clients used before the split; the same public methods either way.
        router.rpc(HealthPublicService.method[name], forward, options);
        router.rpc(HealthService.method[name], forward, options);
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

const importFhirPaths = new Set(
  [HealthPublicService, HealthService].map(
    (service) => `${rpcPathPrefix}/${service.typeName}/${service.method.importFhir.name}`,
  ),
);
