import type { Server } from 'node:http';
import { freePort } from '@tend/testing';
import Provider from 'oidc-provider';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TendProcess, testPorts } from './tend-process.js';

// Sign-in with OpenID Connect against a real provider (node-oidc-provider, on loopback): the
// authorization code flow with PKCE, walked as a browser would, cookies and redirects included.
const base = `http://127.0.0.1:${testPorts.gateway}`;
const redirectUri = `${base}/api/v1/auth/oidc/test/callback`;

let tend: TendProcess;
let idp: Server;
let issuer = '';
// What the provider says about each person it signs in.
const people: Record<string, { email: string; email_verified: boolean; name: string }> = {};

beforeAll(async () => {
  issuer = `http://127.0.0.1:${await freePort()}`;
  const provider = new Provider(issuer, {
    clients: [
      {
        client_id: 'tend',
        client_secret: 'tend-test-secret',
        redirect_uris: [redirectUri],
        response_types: ['code'],
        grant_types: ['authorization_code'],
      },
    ],
    claims: { openid: ['sub'], email: ['email', 'email_verified'], profile: ['name'] },
    findAccount: (_ctx, id) => ({ accountId: id, claims: () => ({ sub: id, ...people[id] }) }),
    pkce: { required: () => true },
    cookies: { keys: ['test-cookie-key'] },
  });
  idp = provider.listen(Number(new URL(issuer).port));
  tend = await TendProcess.start(['serve', '--target=all'], {
    LOG_LEVEL: 'warn',
    OIDC_PROVIDERS: JSON.stringify({
      test: { issuer, clientId: 'tend', clientSecret: 'tend-test-secret', redirectUri },
    }),
  });
  await tend.waitForHttp(`${base}/readyz`);
}, 90_000);
afterAll(async () => {
  expect(await tend?.stop()).toBe(0);
  await new Promise((resolve) => idp?.close(resolve));
});

/**
 * Follows the sign-in from the gateway's login URL to its callback as one browser (its cookies
 * kept), logging in as `login` at the provider; `stopAtCallback` stops before the callback.
 */
async function signInAs(
  login: string,
  options: { stopAtCallback?: boolean } = {},
): Promise<Response & { callbackUrl: string }> {
  const cookies = new Map<string, string>();
  const request = async (url: string, init: RequestInit = {}) => {
    const response = await fetch(url, {
      ...init,
      redirect: 'manual',
      headers: {
        ...(init.headers as Record<string, string>),
        cookie: [...cookies].map(([k, v]) => `${k}=${v}`).join('; '),
      },
    });
    for (const cookie of response.headers.getSetCookie()) {
      const [pair] = cookie.split(';');
      const at = pair!.indexOf('=');
      cookies.set(pair!.slice(0, at), pair!.slice(at + 1));
    }
    return response;
  };
  let response = await request(`${base}/api/v1/auth/oidc/test/login`);
  expect(response.status).toBe(302);
  for (let step = 0; step < 12; step++) {
    const location = response.headers.get('location');
    if (location) {
      const next = new URL(location, issuer);
      if (next.href.startsWith(redirectUri)) {
        const callback = options.stopAtCallback ? new Response(null, { status: 204 }) : await request(next.href);
        return Object.assign(callback, { callbackUrl: next.href });
      }
      response = await request(next.href);
      continue;
    }
    // An interaction page of the provider: log in, then consent.
    const html = await response.text();
    const action = new URL(/action="([^"]+)"/.exec(html)![1]!, issuer).href;
    const form = html.includes('name="login"')
      ? new URLSearchParams({ prompt: 'login', login, password: 'any' })
      : new URLSearchParams({ prompt: 'consent' });
    response = await request(action, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: form.toString(),
    });
  }
  throw new Error('the sign-in did not come back to the gateway');
}

describe('OpenID Connect sign-in', () => {
  it('creates an account on the first sign-in, and signs the same account in the next time', async () => {
    people.alice = { email: `alice-${Date.now()}@example.test`, email_verified: true, name: 'Alice' };
    const first = await signInAs('alice');
    expect(first.status).toBe(200);
    const tokens = (await first.json()) as {
      accessToken: string;
      user: { id: string; email: string; hasPassword: boolean };
    };
    expect(tokens.user).toMatchObject({ email: people.alice.email, hasPassword: false });
    const me = await fetch(`${base}/api/v1/me`, { headers: { authorization: `Bearer ${tokens.accessToken}` } });
    expect(((await me.json()) as { displayName: string }).displayName).toBe('Alice');

    const again = (await (await signInAs('alice')).json()) as { user: { id: string } };
    expect(again.user.id).toBe(tokens.user.id);
  });

  it('never joins an account someone registered with the address first (account takeover)', async () => {
    // The attacker registers the victim's address with a password of their own...
    const email = `victim-${Date.now()}@example.test`;
    const registered = await fetch(`${base}/api/v1/auth/register`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ email, password: 'attacker knows this one', displayName: 'Victim' }),
    });
    expect(registered.status).toBe(201);
    // ...then the victim signs in with a provider that vouches for the address.
    people.victim = { email, email_verified: true, name: 'Victim' };
    const signedIn = await signInAs('victim');
    expect(signedIn.status).toBe(409);
    const body = (await signedIn.json()) as { accessToken?: string; detail?: string };
    expect(body.accessToken).toBeUndefined();
    expect(body.detail).toContain('already exists');
  });

  it('links a second identity of the same provider-proven address to its OIDC-only account', async () => {
    const email = `carol-${Date.now()}@example.test`;
    people.carol = { email, email_verified: true, name: 'Carol' };
    const first = (await (await signInAs('carol')).json()) as { user: { id: string; emailVerified: boolean } };
    expect(first.user.emailVerified).toBe(true);
    people['carol-work'] = { email, email_verified: true, name: 'Carol' };
    const second = (await (await signInAs('carol-work')).json()) as { user: { id: string } };
    expect(second.user.id).toBe(first.user.id);
  });

  it('refuses a callback started in another browser (login CSRF)', async () => {
    people.eve = { email: `eve-${Date.now()}@example.test`, email_verified: true, name: 'Eve' };
    // The attacker signs in up to the provider's redirect, and sends the victim the callback URL.
    const attackers = await signInAs('eve', { stopAtCallback: true });
    const victims = await fetch(attackers.callbackUrl);
    expect(victims.status).toBe(401);
    expect(((await victims.json()) as { detail: string }).detail).toContain('not started in this browser');
  });

  it('refuses a callback replayed or forged', async () => {
    people.dave = { email: `dave-${Date.now()}@example.test`, email_verified: true, name: 'Dave' };
    const signedIn = await signInAs('dave');
    expect(signedIn.status).toBe(200);
    const replayed = await fetch(signedIn.callbackUrl);
    expect(replayed.status).toBe(401);

    const forged = await fetch(`${redirectUri}?code=made-up&state=made-up`, {
      headers: { cookie: '__Host-tend-oidc-state=made-up' },
    });
    expect(forged.status).toBe(401);
    expect(forged.headers.get('content-type')).toContain('application/problem+json');
  });
});
