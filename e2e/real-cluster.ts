import { randomBytes } from 'node:crypto';
import { exportJWK, generateKeyPair } from 'jose';
import type { RealInfra } from '@tend/testing';

/** The keys a distributed Tend requires (field encryption, token signing, service identity), fresh. */
export async function deploymentKeys(): Promise<Record<string, string>> {
  const { privateKey } = await generateKeyPair('EdDSA', { crv: 'Ed25519', extractable: true });
  const service = await generateKeyPair('EdDSA', { crv: 'Ed25519', extractable: true });
  return {
    TEND_ENCRYPTION_KEYS: `e2e:${randomBytes(32).toString('base64')}`,
    TEND_BLIND_INDEX_KEY: randomBytes(32).toString('base64'),
    TEND_JWT_KEYS: JSON.stringify([{ ...(await exportJWK(privateKey)), kid: 'e2e' }]),
    // One service identity for every process of the test deployment (production gives each its own).
    TEND_SERVICE_KEYS: JSON.stringify([{ ...(await exportJWK(service.privateKey)), kid: 'e2e' }]),
  };
}

/**
 * The environment several Tend processes share when they form one deployment on the real
 * infrastructure: the same database, cache, field-encryption, token-signing and service keys.
 */
export async function sharedClusterEnv(
  infra: RealInfra,
  extra: Record<string, string> = {},
): Promise<Record<string, string>> {
  return {
    LOG_LEVEL: 'warn',
    DATABASE_URL: infra.databaseUrl!,
    REDIS_URL: infra.redisUrl!,
    ...(await deploymentKeys()),
    ...extra,
  };
}

/**
 * Registers a new person through the API at `base` and returns their access token (`send`: a
 * `fetch` that trusts a test certificate, for an HTTPS edge).
 */
export async function registerPerson(
  base: string,
  name: string,
  send: (url: string, init?: RequestInit) => Promise<Response> = fetch,
): Promise<string> {
  return (await registerAccount(base, name, send)).accessToken;
}

/** `registerPerson`, also returning the new person's id (for checks in the database). */
export async function registerAccount(
  base: string,
  name: string,
  send: (url: string, init?: RequestInit) => Promise<Response> = fetch,
): Promise<{ accessToken: string; userId: string }> {
  const response = await send(`${base}/api/v1/auth/register`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({
      email: `${name}-${Date.now()}-${randomBytes(3).toString('hex')}@example.test`,
      password: 'correct horse battery staple',
      displayName: name,
    }),
  });
  if (response.status !== 201) throw new Error(`register: ${response.status} ${await response.text()}`);
  const body = (await response.json()) as { accessToken: string; user: { id: string } };
  return { accessToken: body.accessToken, userId: body.user.id };
}

/**
 * Sends `request` from 4 loops and returns every status seen: steady traffic across a failure.
 * `disrupt` runs after the first second, and the traffic goes on for at least 2 s more. Each
 * phase also waits for its share of requests (40 before, 100 after), so a slow, busy machine
 * still puts real traffic through the failure; the whole run is bounded at 60 s. `pauseMs`
 * between a loop's requests keeps the load under an edge's rate limit.
 */
export async function statusesAcross(
  request: () => Promise<Response>,
  disrupt: () => void,
  pauseMs = 0,
): Promise<number[]> {
  const statuses: number[] = [];
  let stop = false;
  const loop = async () => {
    while (!stop) {
      const response = await request();
      statuses.push(response.status);
      await response.arrayBuffer();
      if (pauseMs > 0) await new Promise((resolve) => setTimeout(resolve, pauseMs));
    }
  };
  const deadline = Date.now() + 60_000;
  const phase = async (minMs: number, minRequests: number) => {
    const until = Date.now() + minMs;
    while ((Date.now() < until || statuses.length < minRequests) && Date.now() < deadline) {
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
  };
  const loops = Array.from({ length: 4 }, loop);
  await phase(1_000, 40);
  disrupt();
  await phase(2_000, statuses.length + 100);
  stop = true;
  await Promise.all(loops);
  return statuses;
}
