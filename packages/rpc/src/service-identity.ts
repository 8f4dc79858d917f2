import { Code, ConnectError, createContextKey, type Interceptor } from '@connectrpc/connect';
import { SignJWT, exportJWK, generateKeyPair, importJWK, jwtVerify, type CryptoKey, type JWK } from 'jose';
import { z } from 'zod';
import { ConfigError } from '@tend/core';

/** The header a service token travels in, on every call from one Tend service to another. */
export const serviceTokenHeader = 'x-tend-service-token';

/**
 * `aud` of a service token: the one gRPC service it was minted for (`tend-internal:<package.Service>`),
 * so a token a callee received cannot be replayed against another service within its minute.
 */
export function serviceAudience(callee: string): string {
  return `tend-internal:${callee}`;
}

/** The audience of a token minted without naming a callee (tests and tools). */
const anyCallee = 'tend-internal';

/** A service token lives a minute; a signer makes a new one when less than 20 s are left. */
const tokenTtlS = 60;
const renewBeforeS = 20;

/** The service a verified token names, for handlers and the audit log. */
export const serviceIdentityKey = createContextKey<string | undefined>(undefined);

const privateJwk = z.looseObject({ kty: z.literal('OKP'), crv: z.literal('Ed25519'), d: z.string(), x: z.string() });
const publicJwk = z.looseObject({
  kty: z.literal('OKP'),
  crv: z.literal('Ed25519'),
  x: z.string(),
  kid: z.string().regex(/^[a-z0-9-]{1,32}$/),
});

export interface ServiceIdentityOptions {
  /**
   * Private Ed25519 JWKs as JSON (`TEND_SERVICE_KEYS`): the first, whose `kid` is this process's
   * service name, signs its calls; the public half of each is trusted. Unset: a key made in
   * memory for this process alone (all-in-one, where every call stays in the process).
   */
  keys?: string;
  /** Public JWKs as JSON (`TEND_SERVICE_PUBLIC_KEYS`): other services whose calls are accepted. */
  publicKeys?: string;
  /** The name a generated key signs as. @default 'tend' */
  defaultName?: string;
  /** Seconds since the epoch. @default Date.now() / 1000 */
  nowS?: () => number;
}

/**
 * Who a Tend service is to the services it calls, proven per call rather than claimed in the
 * payload: short-lived EdDSA tokens (`sub` = the calling service) signed with the service's own
 * key. Each service holds only its private key and its callers' public keys, so a compromised
 * pod can speak as itself and nobody else; tokens expire within a minute, so one read off the
 * wire is worth little. See SECURITY.md for why this and not mTLS.
 */
export class ServiceIdentity {
  readonly #nowS: () => number;
  readonly #signer: Promise<{ name: string; key: CryptoKey }>;
  readonly #trusted: Promise<Map<string, CryptoKey>>;
  readonly #cached = new Map<string, { token: string; expiresS: number }>();
  /** Tokens already verified, until they expire: a caller reuses one for 40 s. */
  readonly #verified = new Map<string, { service: string; expiresS: number }>();

  constructor(options: ServiceIdentityOptions = {}) {
    this.#nowS = options.nowS ?? (() => Date.now() / 1000);
    const keys = parseKeys('TEND_SERVICE_KEYS', options.keys, privateJwk.extend({ kid: publicJwk.shape.kid }));
    const publicKeys = parseKeys('TEND_SERVICE_PUBLIC_KEYS', options.publicKeys, publicJwk);
    const generated =
      keys.length === 0
        ? generateKeyPair('EdDSA', { crv: 'Ed25519', extractable: true }).then(async ({ privateKey }) => ({
            ...(await exportJWK(privateKey)),
            kid: options.defaultName ?? 'tend',
          }))
        : undefined;
    this.#signer = (async () => {
      const jwk = generated ? await generated : keys[0]!;
      return { name: jwk.kid!, key: (await importJWK(jwk, 'EdDSA')) as CryptoKey };
    })();
    this.#trusted = (async () => {
      const all = [...(generated ? [await generated] : keys), ...publicKeys];
      const trusted = new Map<string, CryptoKey>();
      for (const jwk of all) {
        const { d: _private, ...publicPart } = jwk;
        trusted.set(jwk.kid!, (await importJWK(publicPart, 'EdDSA')) as CryptoKey);
      }
      return trusted;
    })();
  }

  /** The service name this process signs as. */
  async name(): Promise<string> {
    return (await this.#signer).name;
  }

  /**
   * A token for the next call to `callee` (a gRPC service's type name), reused while it has more
   * than 20 s to live.
   */
  async token(callee?: string): Promise<string> {
    const audience = callee === undefined ? anyCallee : serviceAudience(callee);
    const now = Math.floor(this.#nowS());
    const cached = this.#cached.get(audience);
    if (cached && cached.expiresS - now > renewBeforeS) return cached.token;
    const { name, key } = await this.#signer;
    const token = await new SignJWT({})
      .setProtectedHeader({ alg: 'EdDSA', kid: name })
      .setSubject(name)
      .setAudience(audience)
      .setIssuedAt(now)
      .setExpirationTime(now + tokenTtlS)
      .sign(key);
    this.#cached.set(audience, { token, expiresS: now + tokenTtlS });
    return token;
  }

  /**
   * The service a token proves, or an Unauthenticated error. With `callee`, the token must have
   * been minted for that gRPC service: one for health is refused by notification.
   */
  async verify(token: string, callee?: string): Promise<string> {
    const audience = callee === undefined ? anyCallee : serviceAudience(callee);
    const known = this.#verified.get(`${audience} ${token}`);
    if (known && known.expiresS > this.#nowS()) return known.service;
    const trusted = await this.#trusted;
    try {
      const { payload } = await jwtVerify(
        token,
        async (header) => {
          const key = header.kid === undefined ? undefined : trusted.get(header.kid);
          if (!key) throw new Error('unknown service key');
          return key;
        },
        { audience, algorithms: ['EdDSA'], currentDate: new Date(this.#nowS() * 1000), maxTokenAge: tokenTtlS * 2 },
      );
      if (!payload.sub || payload.exp === undefined) throw new Error('no subject or expiry');
      if (this.#verified.size >= 256) this.#verified.clear();
      this.#verified.set(`${audience} ${token}`, { service: payload.sub, expiresS: payload.exp });
      return payload.sub;
    } catch {
      throw new ConnectError('the service token is invalid or expired', Code.Unauthenticated);
    }
  }
}

function parseKeys<S extends z.ZodType<JWK>>(name: string, value: string | undefined, schema: S): JWK[] {
  if (value === undefined || value.trim() === '') return [];
  let parsed: unknown;
  try {
    parsed = JSON.parse(value);
  } catch {
    throw new ConfigError(name, 'must be a JSON array of JWKs');
  }
  const result = z.array(schema).min(1).safeParse(parsed);
  if (!result.success)
    throw new ConfigError(name, 'must be a JSON array of Ed25519 JWKs (kty OKP, crv Ed25519), each with a kid');
  return result.data;
}

/** The client side: every outgoing call carries this process's service token, minted for its callee. */
export function serviceTokenInterceptor(identity: ServiceIdentity): Interceptor {
  return (next) => async (req) => {
    req.header.set(serviceTokenHeader, await identity.token(req.service.typeName));
    return next(req);
  };
}

/** The standard health checks stay open: probes and balancers call them without a token. */
const openServices = new Set(['grpc.health.v1.Health']);

/**
 * The server side, on every Tend gRPC server and in-process route: a call without a valid service
 * token is refused before its handler runs, whatever `caller` it names, and a `caller` with
 * ROLE_SERVICE is rewritten to the service the token proves (the connection, not the payload,
 * says who is calling).
 */
export function serviceAuthInterceptor(identity: ServiceIdentity): Interceptor {
  return (next) => async (req) => {
    if (openServices.has(req.service.typeName)) return next(req);
    const token = req.header.get(serviceTokenHeader);
    if (!token) throw new ConnectError('internal methods need a service token', Code.Unauthenticated);
    const service = await identity.verify(token, req.service.typeName);
    req.contextValues.set(serviceIdentityKey, service);
    if (!req.stream) stampCaller(req.message, service);
    return next(req);
  };
}

/** ROLE_SERVICE is 4 in tend.common.v1.Role. */
const roleService = 4;

function stampCaller(message: unknown, service: string): void {
  const caller = (message as { caller?: { role?: number; service?: string } }).caller;
  if (caller && caller.role === roleService) caller.service = service;
}
