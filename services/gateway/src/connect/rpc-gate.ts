import type { IncomingMessage, ServerResponse } from 'node:http';
import type { RateLimitStore } from '@tend/cache';
import type { Principal } from '../auth/principal.js';

/** Largest request message `/rpc` reads: the same 1 MiB as the REST API. */
export const rpcReadMaxBytes = 1024 * 1024;

/** Largest FHIR import over `/rpc`: the same 4 MiB as `POST /api/v1/fhir/import`. */
export const rpcFhirReadMaxBytes = 4 * 1024 * 1024;

export interface RpcGateDeps {
  verify(accessToken: string): Promise<Principal>;
  rateLimits: RateLimitStore;
  /** Requests a minute per person, and per address for callers without a valid token. */
  perMinute: number;
  /** The client's address, with `X-Forwarded-For` honoured only from trusted proxies. */
  clientAddress(req: IncomingMessage): string;
  /** The largest body a path may carry. */
  readMaxBytesOf(path: string): number;
}

/** Why a request was turned away before its body was read. */
interface Refusal {
  status: number;
  code: 'unauthenticated' | 'resource_exhausted' | 'unimplemented' | 'invalid_argument';
  grpcStatus: number;
  message: string;
  retryAfterS?: number;
}

/**
 * Everything `/rpc` checks from the request line and headers alone, before one byte of the
 * body is read: a per-address limit for callers without a valid token, a verified bearer token,
 * the per-person limit, no compressed bodies (a few kilobytes of gzip can expand to gigabytes,
 * and browsers' Connect and gRPC-Web clients send requests uncompressed anyway), and no
 * declared body larger than the method's limit. Resolves with the principal to serve the call for, or
 * answers the refusal itself (and closes the connection, so an unread body is never drained)
 * and resolves with undefined.
 */
export function rpcGate(
  deps: RpcGateDeps,
): (req: IncomingMessage, res: ServerResponse) => Promise<Principal | undefined> {
  return async (req, res) => {
    const refusal = await check(req);
    if (typeof refusal === 'object' && 'status' in refusal) {
      refuse(req, res, refusal);
      return undefined;
    }
    return refusal;
  };

  async function check(req: IncomingMessage): Promise<Principal | Refusal> {
    const token = /^Bearer (\S+)$/.exec(req.headers.authorization ?? '')?.[1];
    let principal: Principal | undefined;
    if (token !== undefined) principal = await deps.verify(token).catch(() => undefined);
    // Callers without a valid token share their address's budget, so guessing tokens or
    // hammering the endpoint anonymously costs one address its own limit and nobody else's.
    const key = principal ? `api:user:${principal.userId}` : `api:ip:${deps.clientAddress(req)}`;
    const decision = await deps.rateLimits.consume(key, deps.perMinute, 60_000);
    if (!decision.allowed) {
      const retryAfterS = Math.max(1, Math.ceil(decision.resetMs / 1000));
      return {
        status: 429,
        code: 'resource_exhausted',
        grpcStatus: 8,
        message: `more than ${deps.perMinute} requests a minute; retry in ${retryAfterS} s`,
        retryAfterS,
      };
    }
    if (!principal)
      return {
        status: 401,
        code: 'unauthenticated',
        grpcStatus: 16,
        message:
          token === undefined
            ? 'an access token is required (Authorization: Bearer …)'
            : 'the access token is invalid or expired',
      };
    const encoding = compressionOf(req);
    if (encoding !== undefined)
      return {
        status: 415,
        code: 'unimplemented',
        grpcStatus: 12,
        message: `compressed requests (${encoding}) are not accepted; send the body uncompressed`,
      };
    const path = new URL(req.url ?? '/', 'http://gateway').pathname;
    const limit = deps.readMaxBytesOf(path);
    const declared = Number(req.headers['content-length'] ?? 0);
    if (Number.isFinite(declared) && declared > limit)
      return {
        status: 413,
        code: 'resource_exhausted',
        grpcStatus: 8,
        message: `the request body is larger than ${limit} bytes`,
      };
    return principal;
  }
}

/** The content coding of a request body, whichever protocol names it; undefined when none. */
function compressionOf(req: IncomingMessage): string | undefined {
  for (const name of ['content-encoding', 'connect-content-encoding', 'grpc-encoding']) {
    const value = req.headers[name];
    const coding = (Array.isArray(value) ? value.join(',') : (value ?? '')).trim().toLowerCase();
    if (coding !== '' && coding !== 'identity') return coding.slice(0, 32);
  }
  return undefined;
}

/**
 * The refusal in the shape each protocol's clients read: a Connect error body for Connect, the
 * `grpc-status` headers for gRPC-Web and gRPC, and the HTTP status for everyone else.
 */
function refuse(req: IncomingMessage, res: ServerResponse, refusal: Refusal): void {
  const contentType = req.headers['content-type'] ?? '';
  res.statusCode = refusal.status;
  res.setHeader('connection', 'close');
  if (refusal.retryAfterS !== undefined) res.setHeader('retry-after', String(refusal.retryAfterS));
  if (contentType.startsWith('application/grpc')) {
    res.setHeader('grpc-status', String(refusal.grpcStatus));
    res.setHeader('grpc-message', encodeURIComponent(refusal.message));
  }
  res.setHeader('content-type', 'application/json');
  res.end(JSON.stringify({ code: refusal.code, message: refusal.message }));
}
