import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { UnauthenticatedError, type Clock } from '@tend/core';
import { SignJWT, UnsecuredJWT, exportJWK, generateKeyPair } from 'jose';
import { beforeAll, describe, expect, it } from 'vitest';
import { AccessTokens } from './access-tokens.js';
import type { Principal } from './principal.js';
import { loadSigningKeys, type SigningKeys } from './signing-keys.js';

const settings = { issuer: 'tend', audience: 'tend-api', ttlS: 1800 };
const principal: Principal = { userId: '5d7f2a8e-52e4-4d3c-9f7a-1b2c3d4e5f60', role: 'user', sessionId: 's-1' };
let counter = 0;
const ids = { uuid: () => `00000000-0000-4000-8000-${String(++counter).padStart(12, '0')}` };

function clockAt(ms: number): Clock & { set(ms: number): void } {
  let now = ms;
  return { now: () => new Date(now), set: (next: number) => (now = next) };
}

async function keysIn(): Promise<SigningKeys> {
  return loadSigningKeys({
    configured: undefined,
    dataDir: await mkdtemp(join(tmpdir(), 'tend-keys-')),
    requireConfigured: false,
  });
}

describe('access tokens', () => {
  let keys: SigningKeys;
  beforeAll(async () => {
    keys = await keysIn();
  });

  it('verifies its own token and gives back the principal', async () => {
    const tokens = new AccessTokens(keys, settings, clockAt(Date.now()), ids);
    const { accessToken, expiresIn } = await tokens.issue(principal);
    expect(expiresIn).toBe(1800);
    expect(await tokens.verify(accessToken)).toEqual(principal);
  });

  it('refuses an expired token and a token not yet valid', async () => {
    const clock = clockAt(Date.parse('2026-11-24T12:00:00Z'));
    const tokens = new AccessTokens(keys, settings, clock, ids);
    const { accessToken } = await tokens.issue(principal);
    clock.set(Date.parse('2026-11-24T12:31:00Z'));
    await expect(new AccessTokens(keys, settings, clock, ids).verify(accessToken)).rejects.toThrow(
      UnauthenticatedError,
    );
    clock.set(Date.parse('2026-11-24T11:58:00Z'));
    await expect(new AccessTokens(keys, settings, clock, ids).verify(accessToken)).rejects.toThrow(
      UnauthenticatedError,
    );
  });

  it('remembers a verified token only until it expires', async () => {
    const clock = clockAt(Date.parse('2026-11-24T12:00:00Z'));
    const tokens = new AccessTokens(keys, settings, clock, ids);
    const { accessToken } = await tokens.issue(principal);
    expect(await tokens.verify(accessToken)).toEqual(principal);
    clock.set(Date.parse('2026-11-24T12:30:20Z')); // past exp, within the 30 s clock tolerance
    expect(await tokens.verify(accessToken)).toEqual(principal);
    clock.set(Date.parse('2026-11-24T12:31:00Z'));
    await expect(tokens.verify(accessToken)).rejects.toThrow(UnauthenticatedError);
  });

  it('refuses a token of another issuer or audience', async () => {
    const clock = clockAt(Date.now());
    const foreign = await new AccessTokens(keys, { ...settings, audience: 'someone-else' }, clock, ids).issue(
      principal,
    );
    const otherIssuer = await new AccessTokens(keys, { ...settings, issuer: 'evil' }, clock, ids).issue(principal);
    const tokens = new AccessTokens(keys, settings, clock, ids);
    await expect(tokens.verify(foreign.accessToken)).rejects.toThrow(UnauthenticatedError);
    await expect(tokens.verify(otherIssuer.accessToken)).rejects.toThrow(UnauthenticatedError);
  });

  it('refuses alg none, a foreign key under our kid, an HMAC made with our public key, and a tampered payload', async () => {
    const tokens = new AccessTokens(keys, settings, clockAt(Date.now()), ids);
    const claims = { role: 'admin', sid: 's-1' };
    const unsigned = new UnsecuredJWT(claims)
      .setIssuer('tend')
      .setAudience('tend-api')
      .setSubject(principal.userId)
      .setIssuedAt()
      .setExpirationTime('10m')
      .encode();
    await expect(tokens.verify(unsigned)).rejects.toThrow(UnauthenticatedError);

    const { privateKey } = await generateKeyPair('EdDSA', { crv: 'Ed25519' });
    const foreign = await new SignJWT(claims)
      .setProtectedHeader({ alg: 'EdDSA', kid: keys.signing.kid, typ: 'at+jwt' })
      .setIssuer('tend')
      .setAudience('tend-api')
      .setSubject(principal.userId)
      .setJti('j')
      .setIssuedAt()
      .setNotBefore('0s')
      .setExpirationTime('10m')
      .sign(privateKey);
    await expect(tokens.verify(foreign)).rejects.toThrow(UnauthenticatedError);

    const publicJwk = keys.jwks.keys[0]!;
    const hmacKey = new TextEncoder().encode(JSON.stringify(publicJwk));
    const confused = await new SignJWT(claims)
      .setProtectedHeader({ alg: 'HS256', kid: keys.signing.kid, typ: 'at+jwt' })
      .setIssuer('tend')
      .setAudience('tend-api')
      .setSubject(principal.userId)
      .setJti('j')
      .setIssuedAt()
      .setNotBefore('0s')
      .setExpirationTime('10m')
      .sign(hmacKey);
    await expect(tokens.verify(confused)).rejects.toThrow(UnauthenticatedError);

    const { accessToken } = await tokens.issue(principal);
    const [header, payload, signature] = accessToken.split('.');
    const raised = Buffer.from(
      JSON.stringify({ ...JSON.parse(Buffer.from(payload!, 'base64url').toString()), role: 'admin' }),
    ).toString('base64url');
    await expect(
      new AccessTokens(keys, settings, clockAt(Date.now()), ids).verify(`${header}.${raised}.${signature}`),
    ).rejects.toThrow(UnauthenticatedError);
  });

  it('keeps verifying tokens of an old key after a new key takes over signing, until it is removed', async () => {
    const privateJwk = async (kid: string) => {
      const { privateKey } = await generateKeyPair('EdDSA', { crv: 'Ed25519', extractable: true });
      return { ...(await exportJWK(privateKey)), kid };
    };
    const [first, second] = [await privateJwk('first'), await privateJwk('second')];
    const configured = (jwks: object[]) =>
      loadSigningKeys({ configured: JSON.stringify(jwks), dataDir: tmpdir(), requireConfigured: true });
    const clock = clockAt(Date.now());
    const before = await new AccessTokens(await configured([first]), settings, clock, ids).issue(principal);

    const rotated = await configured([second, first]);
    expect(rotated.signing.kid).toBe('second');
    expect(rotated.jwks.keys.map((k) => k.kid)).toEqual(['second', 'first']);
    expect(rotated.jwks.keys.every((k) => k.d === undefined)).toBe(true);
    expect(await new AccessTokens(rotated, settings, clock, ids).verify(before.accessToken)).toEqual(principal);

    const retired = new AccessTokens(await configured([second]), settings, clock, ids);
    await expect(retired.verify(before.accessToken)).rejects.toThrow(UnauthenticatedError);
  });

  it('refuses keys it cannot trust at start, naming the variable', async () => {
    const options = { dataDir: tmpdir(), requireConfigured: true };
    await expect(loadSigningKeys({ ...options, configured: undefined })).rejects.toThrow(/TEND_JWT_KEYS/);
    await expect(
      loadSigningKeys({ ...options, configured: '[{"kty":"oct","k":"c2VjcmV0","kid":"x"}]' }),
    ).rejects.toThrow(/TEND_JWT_KEYS/);
    await expect(loadSigningKeys({ ...options, configured: 'not json' })).rejects.toThrow(/TEND_JWT_KEYS/);
  });
});
