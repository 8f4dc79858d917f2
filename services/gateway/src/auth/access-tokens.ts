import { UnauthenticatedError, type Clock, type Ids } from '@tend/core';
import { SignJWT, createLocalJWKSet, jwtVerify, type JWTPayload } from 'jose';
import { LRUCache } from 'lru-cache';
import type { PersonRole, Principal } from './principal.js';
import { tokenAlgorithms, type SigningKeys } from './signing-keys.js';

export interface AccessTokenSettings {
  issuer: string;
  audience: string;
  ttlS: number;
}

const roles = new Set<PersonRole>(['user', 'caregiver', 'admin']);
/** Clocks of the machines that issue and check a token may differ this much. */
const clockToleranceS = 30;

/**
 * Issues and checks access tokens: JWTs signed with an asymmetric key (`kid` in the header),
 * carrying the person, their role and the session. Checking pins the algorithms, the issuer and
 * the audience, and requires every claim, so `alg: none`, a token signed with the public key as
 * an HMAC secret, a foreign key, an expired or not-yet-valid token are all refused. A verified
 * token is remembered until it expires: the signature check is the costliest part of a request
 * that hits the cache, and a token's claims cannot change.
 */
export class AccessTokens {
  readonly #keySet: ReturnType<typeof createLocalJWKSet>;
  readonly #verified = new LRUCache<string, { principal: Principal; expiresAtMs: number }>({ max: 50_000 });

  constructor(
    private readonly keys: SigningKeys,
    private readonly settings: AccessTokenSettings,
    private readonly clock: Clock,
    private readonly ids: Ids,
  ) {
    this.#keySet = createLocalJWKSet(keys.jwks);
  }

  /** A new access token for `principal`, and its lifetime in seconds. */
  async issue(principal: Principal): Promise<{ accessToken: string; expiresIn: number }> {
    const nowS = Math.floor(this.clock.now().getTime() / 1000);
    const accessToken = await new SignJWT({ role: principal.role, sid: principal.sessionId })
      .setProtectedHeader({ alg: this.keys.signing.alg, kid: this.keys.signing.kid, typ: 'at+jwt' })
      .setIssuer(this.settings.issuer)
      .setAudience(this.settings.audience)
      .setSubject(principal.userId)
      .setJti(this.ids.uuid())
      .setIssuedAt(nowS)
      .setNotBefore(nowS)
      .setExpirationTime(nowS + this.settings.ttlS)
      .sign(this.keys.signing.key);
    return { accessToken, expiresIn: this.settings.ttlS };
  }

  /** The principal of a valid token; `UnauthenticatedError` for anything else. */
  async verify(token: string): Promise<Principal> {
    const nowMs = this.clock.now().getTime();
    const remembered = this.#verified.get(token);
    if (remembered && remembered.expiresAtMs > nowMs) return remembered.principal;
    let payload: JWTPayload;
    try {
      ({ payload } = await jwtVerify(token, this.#keySet, {
        algorithms: [...tokenAlgorithms],
        issuer: this.settings.issuer,
        audience: this.settings.audience,
        requiredClaims: ['sub', 'exp', 'nbf', 'iat', 'jti'],
        typ: 'at+jwt',
        clockTolerance: clockToleranceS,
        currentDate: new Date(nowMs),
      }));
    } catch {
      throw new UnauthenticatedError('the access token is not valid');
    }
    const { sub, role, sid, exp } = payload as JWTPayload & { role?: unknown; sid?: unknown };
    if (typeof sub !== 'string' || typeof sid !== 'string' || !roles.has(role as PersonRole)) {
      throw new UnauthenticatedError('the access token is not valid');
    }
    const principal: Principal = { userId: sub, role: role as PersonRole, sessionId: sid };
    this.#verified.set(token, { principal, expiresAtMs: (exp! + clockToleranceS) * 1000 });
    return principal;
  }
}
