import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import type { Server } from 'node:http';
import { create } from '@bufbuild/protobuf';
import { timestampFromMs } from '@bufbuild/protobuf/wkt';
import { createClient } from '@connectrpc/connect';
import { createGrpcTransport } from '@connectrpc/connect-node';
import { CallerSchema, Role } from '@tend/proto/tend/common/v1/common';
import { HealthService } from '@tend/proto/tend/health/v1/health_service';
import { VitalInputSchema, VitalKind } from '@tend/proto/tend/health/v1/vitals';
import { freePort } from '@tend/testing';
import Provider from 'oidc-provider';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PushTestService } from '@tend/notification/testing/push-service';
import { TendProcess, testPorts, testServiceIdentity } from './tend-process.js';
import {
  axeViolations,
  chromiumPath,
  launchBrowser,
  openContext,
  openNav,
  pick,
  screenshot,
  signIn,
  type PageProblems,
} from './web-browser.js';

// The web app where it leans on the browser and on other parties: sign-in through an OpenID
// Connect provider (node-oidc-provider on loopback, a certified implementation), a reminder pushed
// by the notification service and shown by the app's service worker with its buttons, and a year
// of readings every five minutes drawn as a chart, with the main thread's long tasks counted.
const base = `http://127.0.0.1:${testPorts.gateway}`;
const password = 'correct horse battery staple';
const runId = Date.now().toString(36);

const haveChromium = existsSync(chromiumPath);

let tend: TendProcess | undefined;
let browser: Browser;
let idp: Server | undefined;
let issuer = '';
let identity: Awaited<ReturnType<typeof testServiceIdentity>>;
const pushService = new PushTestService();
// What the provider says about each login name it signs in.
const people: Record<string, { email: string; email_verified: boolean; name: string }> = {};

async function expectAccessible(page: Page, screen: string): Promise<void> {
  expect(await axeViolations(page), `axe-core on ${screen}`).toEqual([]);
  await screenshot(page, screen);
}

function expectNoProblems(problems: PageProblems): void {
  expect(problems.errors).toEqual([]);
}

/** A new account through the API, with its access token. */
async function register(name: string): Promise<{ email: string; password: string; token: string; id: string }> {
  const email = `${name.toLowerCase()}-${runId}@example.com`;
  const response = await fetch(`${base}/api/v1/auth/register`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ email, password, displayName: name, timezone: 'UTC' }),
  });
  expect(response.status).toBe(201);
  const body = (await response.json()) as { accessToken: string; user: { id: string } };
  return { email, password, token: body.accessToken, id: body.user.id };
}

/** What `probe` gives once it gives something, asked every 250 ms for up to `ms`. */
async function until<T>(probe: () => Promise<T | undefined> | T | undefined, ms: number): Promise<T> {
  for (const deadline = Date.now() + ms; Date.now() < deadline;) {
    const value = await probe();
    if (value !== undefined) return value;
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
  throw new Error('timed out waiting');
}

describe.skipIf(!haveChromium && process.env.CI !== 'true')('the web app with a provider, push and dense data', () => {
  beforeAll(async () => {
    const build = spawnSync(process.execPath, ['apps/web/scripts/build-if-stale.mjs'], {
      stdio: 'inherit',
      env: { ...process.env, CI: 'true' },
    });
    expect(build.status, 'building apps/web').toBe(0);
    identity = await testServiceIdentity();
    await pushService.start();
    issuer = `http://127.0.0.1:${await freePort()}`;
    // The provider sends the browser back to the app's page, which hands code and state to the gateway.
    const redirectUri = `${base}/signin/oidc/test`;
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
      RATE_LIMIT_PER_MINUTE: '10000',
      OIDC_PROVIDERS: JSON.stringify({
        test: { issuer, clientId: 'tend', clientSecret: 'tend-test-secret', redirectUri },
      }),
      ...identity.env,
    });
    await tend.waitForHttp(`${base}/readyz`);
    browser = await launchBrowser();
  }, 240_000);

  afterAll(async () => {
    await browser?.close();
    expect(await tend?.stop()).toBe(0);
    await pushService.stop();
    await new Promise((resolve) => (idp ? idp.close(resolve) : resolve(undefined)));
  });

  /** Walks the provider's own login and consent pages, as `login`, in the page. */
  async function throughProvider(page: Page, login: string): Promise<void> {
    await page.waitForURL((url) => url.href.startsWith(issuer));
    await page.locator('input[name="login"]').fill(login);
    await page.locator('input[name="password"]').fill('any');
    await page.locator('button[type="submit"]').click();
    // The consent page of a first sign-in; the provider skips it when consent was given before.
    await page.waitForURL((url) => !url.href.includes('/login'));
    if (page.url().startsWith(issuer)) await page.locator('button[type="submit"]').click();
    await page.waitForURL((url) => url.href.startsWith(base));
  }

  it('signs in with an OpenID Connect provider, and joins the same account only when the provider vouches for the address', async () => {
    const email = `olive-${runId}@example.com`;
    people.olive = { email, email_verified: true, name: 'Olive' };
    people['olive-unproven'] = { email, email_verified: false, name: 'Olive' };
    people['olive-work'] = { email, email_verified: true, name: 'Olive at work' };

    // A first sign-in makes an account, named as the provider says.
    {
      const { context, page, problems } = await openContext(browser);
      await page.goto(`${base}/signin`);
      await page.getByRole('link', { name: 'Sign in with Test' }).click();
      await throughProvider(page, 'olive');
      await page.getByRole('heading', { name: 'Hello, Olive' }).waitFor();
      expect(page.url()).toBe(`${base}/`);
      // Tokens stay in memory: nothing of the sign-in is left in the browser's storage or URL.
      expect(await page.evaluate('JSON.stringify(localStorage) + JSON.stringify(sessionStorage)')).not.toMatch(
        /ey[\w-]+\./,
      );
      // The provider's own login page asks for resources off the network, which this machine lacks.
      expect(problems.errors.filter((e) => !e.includes('ERR_NAME_NOT_RESOLVED'))).toEqual([]);
      await context.close();
    }
    // Another identity with the same address, which the provider has not verified: refused.
    {
      const { context, page, problems } = await openContext(browser);
      await page.goto(`${base}/signin`);
      await page.getByRole('link', { name: 'Sign in with Test' }).click();
      await throughProvider(page, 'olive-unproven');
      await page.getByRole('heading', { name: 'That sign-in did not work. Please try again.' }).waitFor();
      await page.getByRole('alert').filter({ hasText: 'An account with this e-mail address already exists' }).waitFor();
      expect(await page.getByRole('navigation').count()).toBe(0);
      await expectAccessible(page, 'sign-in-oidc-refused');
      // The gateway's refusal is logged by the page; it is the app's answer to it that counts.
      expect(problems.errors.filter((e) => !/409|ERR_NAME_NOT_RESOLVED/.test(e))).toEqual([]);
      await context.close();
    }
    // A second identity whose provider does vouch for the address reaches the same account.
    {
      const { context, page, problems } = await openContext(browser);
      await page.goto(`${base}/signin`);
      await page.getByRole('link', { name: 'Sign in with Test' }).click();
      await throughProvider(page, 'olive-work');
      await page.getByRole('heading', { name: 'Hello, Olive' }).waitFor();
      expect(problems.errors.filter((e) => !e.includes('ERR_NAME_NOT_RESOLVED'))).toEqual([]);
      await context.close();
    }
  }, 120_000);
  it('shows a reminder pushed by the notification service from the service worker, with its buttons, and Taken reaches the API', async () => {
    const rita = await register('Rita');
    const api = async (path: string, body?: unknown) =>
      fetch(`${base}${path}`, {
        method: body === undefined ? 'GET' : 'POST',
        headers: { authorization: `Bearer ${rita.token}`, 'content-type': 'application/json' },
        body: body === undefined ? undefined : JSON.stringify(body),
      });
    // The notification service encrypts and signs the push for a subscription of the loopback push
    // service, which checks and decrypts it as a browser's push service and browser would.
    const subscription = pushService.subscribe();
    const device = await api('/api/v1/devices', {
      kind: 'push',
      subscription: { endpoint: subscription.endpoint, keys: { p256dh: subscription.p256dh, auth: subscription.auth } },
    });
    expect(device.status).toBe(201);
    const due = new Date(Math.ceil((Date.now() + 5_000) / 60_000) * 60_000);
    const medication = {
      name: 'Aspirin',
      dose: 81,
      unit: 'mg',
      schedule: { times: [due.toISOString().slice(11, 16)] },
    };
    expect((await api('/api/v1/medications', medication)).status).toBe(201);
    const push = await until(() => pushService.received.find((p) => p.subscriptionId === subscription.id), 100_000);
    const message = JSON.parse(push.payload) as { title: string; actions: { action: string; title: string }[] };
    expect(message.actions.map((a) => a.action)).toEqual(['taken', 'skip', 'snooze']);

    // The same bytes, delivered to the app's service worker in Chromium through DevTools.
    const { context, page, problems } = await openContext(browser, { serviceWorkers: 'allow' });
    await context.grantPermissions(['notifications'], { origin: base });
    await signIn(page, base, rita);
    await page.evaluate('navigator.serviceWorker.ready.then(() => true)');
    const cdp = await context.newCDPSession(page);
    const registrationId = new Promise<string>((resolve) =>
      cdp.on('ServiceWorker.workerRegistrationUpdated', ({ registrations }) => {
        const ours = registrations.find((r) => r.scopeURL === `${base}/` && !r.isDeleted);
        if (ours) resolve(ours.registrationId);
      }),
    );
    await cdp.send('ServiceWorker.enable');
    await cdp.send('ServiceWorker.deliverPushMessage', {
      origin: base,
      registrationId: await registrationId,
      data: push.payload,
    });
    const notifications = () =>
      page.evaluate<{ title: string; body: string; actions: string[] }[]>(`navigator.serviceWorker.ready
        .then((registration) => registration.getNotifications())
        .then((list) => list.map((n) => ({ title: n.title, body: n.body, actions: n.actions.map((a) => a.title) })))`);
    const shown = await until(async () => ((await notifications()).length > 0 ? notifications() : undefined), 15_000);
    // Chromium shows at most Notification.maxActions buttons (2 today): the first ones, Taken first.
    const maxActions = await page.evaluate<number>('Notification.maxActions');
    expect(shown).toEqual([
      {
        title: 'Time for your Aspirin',
        body: expect.stringContaining('81 mg of Aspirin') as string,
        actions: message.actions.slice(0, maxActions).map((a) => a.title),
      },
    ]);
    expect(shown[0]!.actions[0]).toBe(message.actions[0]!.title);

    // Headless Chromium has no notification to click: the worker gets the click event a press on
    // "Taken" would give it, and its own handler answers the reminder with the action's token.
    const worker = context.serviceWorkers()[0] ?? (await context.waitForEvent('serviceworker'));
    const handled = await worker.evaluate<number>(`(async () => {
      const [notification] = await self.registration.getNotifications();
      const event = new NotificationEvent('notificationclick', { notification, action: 'taken' });
      // A made-up event cannot extend its own life; the test waits for what the handler started.
      const pending = [];
      Object.defineProperty(event, 'waitUntil', { value: (promise) => pending.push(promise) });
      self.dispatchEvent(event);
      await Promise.all(pending);
      return pending.length;
    })()`);
    expect(handled).toBe(1);
    const doses = (await (await api('/api/v1/doses')).json()) as { items: { status: string }[] };
    expect(doses.items.map((d) => d.status)).toContain('taken');
    expect(await notifications()).toEqual([]);
    expectNoProblems(problems);
    await context.close();
  }, 180_000);

  it('draws a year of readings every five minutes from daily summaries, its peak kept, and counts the long tasks', async () => {
    const dana = await register('Dana');
    const health = createClient(
      HealthService,
      createGrpcTransport({ baseUrl: `http://127.0.0.1:${testPorts.health}`, interceptors: [identity.interceptor] }),
    );
    const caller = create(CallerSchema, { role: Role.ADMIN, userId: dana.id });
    const step = 5 * 60_000;
    const count = 365 * 288;
    const last = Math.floor(Date.now() / step) * step;
    // A daily rhythm with some scatter, in the normal range, and one high reading in the middle.
    const peak = 50_000;
    const reading = (i: number) =>
      create(VitalInputSchema, {
        kind: VitalKind.BLOOD_PRESSURE,
        systolic: i === peak ? 165 : Math.round(108 + 8 * Math.sin((2 * Math.PI * i) / 288) + ((i * 7919) % 7) - 3),
        diastolic: i === peak ? 100 : Math.round(70 + 5 * Math.sin((2 * Math.PI * i) / 288) + ((i * 104_729) % 5) - 2),
        measuredAt: timestampFromMs(last - (count - 1 - i) * step),
      });
    const seeding = Date.now();
    const batches = Array.from({ length: Math.ceil(count / 1000) }, (_, b) => b);
    for (let b = 0; b < batches.length; b += 2)
      await Promise.all(
        batches.slice(b, b + 2).map((batch) =>
          health.batchRecordVitals({
            caller,
            userId: dana.id,
            vitals: Array.from({ length: Math.min(1000, count - batch * 1000) }, (_, k) => reading(batch * 1000 + k)),
            idempotencyKey: `year-${runId}-${batch}`,
          }),
        ),
      );
    console.log(`year chart: ${count} readings stored in ${((Date.now() - seeding) / 1000).toFixed(1)} s`);
    const peakDay = new Date(last - (count - 1 - peak) * step).toISOString().slice(0, 10);

    const { context, page, problems } = await openContext(browser);
    await context.addInitScript(`
      window.longTasks = [];
      new PerformanceObserver((list) => {
        for (const entry of list.getEntries()) window.longTasks.push({ start: entry.startTime, duration: entry.duration });
      }).observe({ type: 'longtask', buffered: true });
    `);
    await signIn(page, base, dana);
    await openNav(page, 'Health');
    await page.locator('.chart canvas').first().waitFor();
    const clicked = await page.evaluate<number>('performance.now()');
    const answer = page.waitForResponse((response) => response.url().includes('bucketSize=day'));
    await pick(page, 'radio', 'Year');
    const bytes = (await (await answer).body()).length;
    await page.getByText(/^One point per day/).waitFor();
    await page.locator('.chart canvas').first().waitFor();
    const drawn = await page.evaluate<number>(
      'new Promise((resolve) => requestAnimationFrame(() => requestAnimationFrame(() => resolve(performance.now()))))',
    );
    const tasks = (await page.evaluate<{ start: number; duration: number }[]>('window.longTasks')).filter(
      (task) => task.start >= clicked,
    );
    // Reported, not asserted: timings on a shared machine are not a test's business.
    console.log(
      `year chart: ${count} readings as a ${(bytes / 1024).toFixed(1)} KiB answer of daily buckets; click to chart ` +
        `drawn ${(drawn - clicked).toFixed(0)} ms; long tasks on the main thread: ${tasks.length}` +
        (tasks.length ? `, longest ${Math.max(...tasks.map((t) => t.duration)).toFixed(0)} ms` : ''),
    );
    await expectAccessible(page, 'health-year');

    // The same days as a table: the day of the high reading shows it as that day's highest.
    await page.getByRole('tab', { name: 'Table' }).click();
    const rows = page.getByRole('row');
    expect(await rows.count()).toBeGreaterThanOrEqual(365);
    const peakRow = rows.filter({ hasText: '165/100 mmHg' });
    await peakRow.waitFor();
    expect(await peakRow.getByRole('cell').nth(1).textContent()).toBe('288');
    expect(await peakRow.getByRole('cell').first().textContent()).toContain(String(Number(peakDay.slice(8))));
    await expectAccessible(page, 'health-year-table');
    expectNoProblems(problems);
    await context.close();
  }, 600_000);
});
