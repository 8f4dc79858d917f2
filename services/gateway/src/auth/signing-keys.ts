import { randomUUID } from 'node:crypto';
import { join } from 'node:path';
import { ConfigError, localSecretFile } from '@tend/core';
import { exportJWK, generateKeyPair, importJWK, type CryptoKey, type JWK } from 'jose';

/** The algorithms access tokens may be signed with; anything else (`none`, HS256 …) is refused. */
export const tokenAlgorithms = ['EdDSA', 'ES256'] as const;
type TokenAlgorithm = (typeof tokenAlgorithms)[number];

/** The key that signs new tokens, and the public keys every token is checked against. */
export interface SigningKeys {
  signing: { kid: string; alg: TokenAlgorithm; key: CryptoKey };
  /** Published at `/.well-known/jwks.json`: public parts only. */
  jwks: { keys: JWK[] };
}

/**
 * The access-token keys: from `TEND_JWT_KEYS` (a JSON array of private JWKs with `kid`, the
 * first signing), or — in all-in-one mode only — an Ed25519 key generated once and kept in the
 * keys directory (0700, apart from the database), so tokens survive a restart. Several gateways must share keys, hence required
 * with a real database.
 */
export async function loadSigningKeys(options: {
  configured: string | undefined;
  dataDir: string;
  /** Where a generated key is kept (`TEND_KEYS_DIR`). @default `<dataDir>/keys` */
  keysDir?: string | undefined;
  requireConfigured: boolean;
}): Promise<SigningKeys> {
  let privateJwks: JWK[];
  if (options.configured !== undefined) {
    privateJwks = parseConfiguredKeys(options.configured);
  } else if (options.requireConfigured) {
    throw new ConfigError('TEND_JWT_KEYS', 'is required when DATABASE_URL is set (gateways must share their keys)');
  } else {
    privateJwks = [await localKey(options.dataDir, options.keysDir ?? join(options.dataDir, 'keys'))];
  }
  const [first] = privateJwks;
  const signing = {
    kid: first!.kid!,
    alg: algorithmOf(first!),
    key: (await importJWK(first!, algorithmOf(first!))) as CryptoKey,
  };
  const jwks = {
    keys: privateJwks.map((jwk) => {
      const { d: _private, ...publicPart } = jwk;
      return { ...publicPart, alg: algorithmOf(jwk), use: 'sig' };
    }),
  };
  return { signing, jwks };
}

function parseConfiguredKeys(value: string): JWK[] {
  let parsed: unknown;
  try {
    parsed = JSON.parse(value);
  } catch {
    throw new ConfigError('TEND_JWT_KEYS', 'must be a JSON array of private JWKs');
  }
  if (!Array.isArray(parsed) || parsed.length === 0) {
    throw new ConfigError('TEND_JWT_KEYS', 'must be a non-empty JSON array of private JWKs');
  }
  const kids = new Set<string>();
  return parsed.map((entry: unknown, i) => {
    const jwk = entry as JWK;
    if (typeof jwk !== 'object' || jwk === null || typeof jwk.kid !== 'string' || jwk.kid === '') {
      throw new ConfigError('TEND_JWT_KEYS', `key ${i} has no "kid"`);
    }
    if (kids.has(jwk.kid)) throw new ConfigError('TEND_JWT_KEYS', `kid "${jwk.kid}" appears twice`);
    kids.add(jwk.kid);
    if (typeof jwk.d !== 'string') throw new ConfigError('TEND_JWT_KEYS', `key "${jwk.kid}" is not a private key`);
    algorithmOf(jwk);
    return jwk;
  });
}

function algorithmOf(jwk: JWK): TokenAlgorithm {
  if (jwk.kty === 'OKP' && jwk.crv === 'Ed25519') return 'EdDSA';
  if (jwk.kty === 'EC' && jwk.crv === 'P-256') return 'ES256';
  throw new ConfigError('TEND_JWT_KEYS', `key "${jwk.kid ?? '?'}" must be Ed25519 (OKP) or P-256 (EC)`);
}

async function localKey(dataDir: string, keysDir: string): Promise<JWK> {
  return localSecretFile<JWK>({
    keysDir,
    name: 'gateway-signing-key.json',
    formerPath: join(dataDir, 'gateway', 'signing-key.json'),
    make: async () => {
      const { privateKey } = await generateKeyPair('EdDSA', { crv: 'Ed25519', extractable: true });
      return { ...(await exportJWK(privateKey)), kid: randomUUID() };
    },
  });
}
