import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { create } from '@bufbuild/protobuf';
import { createClient } from '@connectrpc/connect';
import { createGrpcTransport } from '@connectrpc/connect-node';
import { CallerSchema, Role } from '@tend/proto/tend/common/v1/common';
import { HealthService } from '@tend/proto/tend/health/v1/health_service';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SmtpTestServer } from '@tend/notification/testing/smtp-server';
import { renderApiSchema, schemaFile } from '@tend/web/api-schema';
import { TendProcess, testPorts, testServiceIdentity } from './tend-process.js';
import {
  axeViolations,
  chromiumPath,
  launchBrowser,
  launchWithMicrophone,
  middayTimeZone,
  openContext,
  openNav,
  pick,
  screenshot,
  signIn as signInAt,
  tabTo,
  type PageProblems,
} from './web-browser.js';

// The web app in Debian's Chromium against the whole binary, as a person uses it: sign up, add a
// medicine and take a dose, log blood pressure in two units, talk, give a caregiver access, read
// it in Chinese, sign out, and do the main flow with the keyboard alone. Every screen is checked
// with axe-core and photographed at phone and desktop widths.
const base = `http://127.0.0.1:${testPorts.gateway}`;
const password = 'correct horse battery staple';
const runId = Date.now().toString(36);
const ann = { name: 'Ann', email: `ann-${runId}@example.com` };
const carer = { name: 'Carl', email: `carl-${runId}@example.com` };

const haveChromium = existsSync(chromiumPath);
if (!haveChromium && process.env.CI !== 'true')
  console.warn(`\nweb app e2e: WARNING: no Chromium at ${chromiumPath}; skipped (apt-get install chromium)\n`);

let tend: TendProcess | undefined;
let browser: Browser;
// The test speaks to the health service as a service would, to make a person a caregiver.
let identity: Awaited<ReturnType<typeof testServiceIdentity>>;
// E-mail goes to a real SMTP server on loopback, so an address can be proven with its code.
const smtp = new SmtpTestServer();

async function expectAccessible(page: Page, screen: string): Promise<void> {
  expect(await axeViolations(page), `axe-core on ${screen}`).toEqual([]);
  await screenshot(page, screen);
}

function expectNoProblems(problems: PageProblems): void {
  expect(problems.errors).toEqual([]);
}

async function signIn(page: Page, who: { email: string }): Promise<void> {
  await signInAt(page, base, { email: who.email, password });
}

/** What `probe` gives once it gives something, asked every 200 ms for up to 30 s. */
async function until<T>(probe: () => T | undefined): Promise<T> {
  for (let waited = 0; waited < 30_000; waited += 200) {
    const value = probe();
    if (value !== undefined) return value;
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
  throw new Error('timed out waiting');
}

describe.skipIf(!haveChromium && process.env.CI !== 'true')('the web app in a browser', () => {
  beforeAll(async () => {
    const build = spawnSync(process.execPath, ['apps/web/scripts/build-if-stale.mjs'], {
      stdio: 'inherit',
      env: { ...process.env, CI: 'true' },
    });
    expect(build.status, 'building apps/web').toBe(0);
    identity = await testServiceIdentity();
    await smtp.start();
    tend = await TendProcess.start(['serve', '--target=all'], {
      LOG_LEVEL: 'warn',
      SMTP_URL: smtp.url,
      RATE_LIMIT_PER_MINUTE: '10000',
      ...identity.env,
    });
    await tend.waitForHttp(`${base}/readyz`);
    browser = await launchBrowser();
  }, 240_000);

  afterAll(async () => {
    await browser?.close();
    expect(await tend?.stop()).toBe(0);
    await smtp.stop();
  });

  it('serves the app at / with a strict CSP, hashed assets cached for a year and the page revalidated', async () => {
    const page = await fetch(`${base}/`);
    expect(page.status).toBe(200);
    expect(page.headers.get('cache-control')).toBe('no-cache');
    const csp = page.headers.get('content-security-policy') ?? '';
    expect(csp).toContain("script-src 'self'");
    expect(csp).not.toContain('unsafe-inline');
    // The service worker runs under its own script's policy, which must let it fetch the app.
    expect((await fetch(`${base}/sw.js`)).headers.get('content-security-policy')).toBe(csp);
    const html = await page.text();
    const script = /<script type="module" crossorigin src="([^"]+)"/.exec(html)?.[1];
    expect(script).toMatch(/^\/assets\/index-[\w-]+\.js$/);
    const asset = await fetch(`${base}${script}`, { headers: { 'accept-encoding': 'br' } });
    expect(asset.headers.get('cache-control')).toBe('public, max-age=31536000, immutable');
    expect(asset.headers.get('content-type')).toContain('text/javascript');
    // Compressed when first asked for, the same bytes after: Brotli, gzip, or none as accepted.
    expect(asset.headers.get('content-encoding')).toBe('br');
    const source = await asset.text();
    const gzipped = await fetch(`${base}${script}`, { headers: { 'accept-encoding': 'gzip' } });
    expect(gzipped.headers.get('content-encoding')).toBe('gzip');
    expect(await gzipped.text()).toBe(source);
    const plain = await fetch(`${base}${script}`, { headers: { 'accept-encoding': 'identity' } });
    expect(plain.headers.get('content-encoding')).toBeNull();
    expect(await plain.text()).toBe(source);
    // A path of the app opens the app; an unknown API path is still the API's 404.
    expect((await fetch(`${base}/medications`)).headers.get('content-type')).toContain('text/html');
    const missing = await fetch(`${base}/api/v1/no-such-thing`);
    expect(missing.status).toBe(404);
    expect(missing.headers.get('content-type')).toContain('application/problem+json');
  });

  it("has the client types generated from the gateway's current OpenAPI document", async () => {
    const document = (await (await fetch(`${base}/openapi.json`)).json()) as object;
    const committed = await readFile(new URL(`../apps/web/${schemaFile}`, import.meta.url), 'utf8');
    // When this fails: `npm start`, then `npm run generate:api -w apps/web`, and commit the file.
    expect(await renderApiSchema(document)).toBe(committed);
  });

  it('lets a new person sign up, add a medicine, take a dose and see it counted', async () => {
    const { context, page, problems } = await openContext(browser, { timezoneId: middayTimeZone() });
    await page.goto(`${base}/`);
    await page.waitForURL(/\/signin/);
    await expectAccessible(page, 'sign-in');
    await page.getByRole('link', { name: 'Create an account' }).click();
    await page.getByLabel('Your name').fill(ann.name);
    await page.getByLabel('E-mail address').fill(ann.email);
    await page.getByLabel('Password').fill(password);
    await page.getByRole('button', { name: 'Create account' }).click();
    await page.getByRole('heading', { name: `Hello, ${ann.name}` }).waitFor();
    await page.getByText('No medicines are scheduled for today.').waitFor();

    await openNav(page, 'Medicines');
    await page.getByText('You have no medicines yet.').waitFor();
    await expectAccessible(page, 'medicines-empty');
    await page.getByRole('button', { name: 'Add medicine' }).click();
    const local = await page.evaluate(`(() => {
      const ago = new Date(Date.now() - 10 * 60_000);
      const pad = (n) => String(n).padStart(2, '0');
      const yesterday = new Date(Date.now() - 24 * 3600_000);
      return {
        time: pad(ago.getHours()) + ':' + pad(ago.getMinutes()),
        yesterday: yesterday.getFullYear() + '-' + pad(yesterday.getMonth() + 1) + '-' + pad(yesterday.getDate()),
      };
    })()`);
    const { time, yesterday } = local as { time: string; yesterday: string };
    await page.getByLabel('Name').fill('Lisinopril');
    await page.getByLabel('Dose').fill('10');
    await page.getByLabel('Times of day').fill('25:99');
    await page.getByLabel('Started on').fill(yesterday);
    await expectAccessible(page, 'medicine-form');
    await page.getByRole('button', { name: 'Add medicine' }).click();
    // The API's complaint shows at the field it names, and the field says it is invalid.
    await expect.poll(() => page.getByLabel('Times of day').getAttribute('aria-invalid')).toBe('true');
    await page.getByLabel('Times of day').fill(time);
    await page.getByRole('button', { name: 'Add medicine' }).click();
    await page.getByRole('heading', { name: /Lisinopril/ }).waitFor();

    await openNav(page, 'Today');
    await page.getByRole('button', { name: /^Take Lisinopril 10 mg/ }).click();
    await page.locator('.dose-taken', { hasText: 'Lisinopril' }).waitFor();
    // Yesterday's dose (the medicine started yesterday) was never logged: it counts as missed.
    await page.getByText('Taken this week: 50%').waitFor();
    await expectAccessible(page, 'today');

    await openNav(page, 'Medicines');
    await page.getByText('50% (1 of 2 due)').waitFor();
    await expectAccessible(page, 'medicines');
    expectNoProblems(problems);
    await context.close();
  }, 180_000);

  it('logs blood pressure in mmHg and in kPa and shows both on Today, the chart and the table', async () => {
    const { context, page, problems } = await openContext(browser);
    await signIn(page, ann);
    await openNav(page, 'Health');
    await page.getByLabel('Top number (systolic) (mmHg)').fill('150');
    await page.getByLabel('Bottom number (diastolic) (mmHg)').fill('95');
    await page.getByRole('button', { name: 'Save reading' }).click();
    await page.getByText('Reading saved.').waitFor();
    await pick(page, 'radio', 'kPa');
    await page.getByLabel('Top number (systolic) (kPa)').fill('16');
    await page.getByLabel('Bottom number (diastolic) (kPa)').fill('10.7');
    await page.getByRole('button', { name: 'Save reading' }).click();
    await page.getByText('Reading saved.').waitFor();
    await page.locator('.chart canvas').first().waitFor();
    await expectAccessible(page, 'health-chart');

    await page.getByRole('tab', { name: 'Table' }).click();
    await page.getByRole('cell', { name: '20/12.7 kPa' }).waitFor();
    await pick(page, 'radio', 'mmHg');
    await page.getByRole('cell', { name: '150/95 mmHg' }).waitFor();
    await page.getByRole('cell', { name: '120/80 mmHg' }).waitFor();
    await page.getByRole('cell', { name: /High, stage 2/ }).waitFor();
    await expectAccessible(page, 'health-table');

    await openNav(page, 'Today');
    await page.getByText('120/80 mmHg').waitFor();
    await page.getByText('High, stage 1').waitFor();
    await page.getByText('High blood pressure. Worth talking to your doctor about.').waitFor();
    await screenshot(page, 'today-readings');
    expectNoProblems(problems);
    await context.close();
  }, 120_000);

  it('streams the reply to a chat message, and the reading it recorded shows on Health', async () => {
    const { context, page, problems } = await openContext(browser);
    await signIn(page, ann);
    await openNav(page, 'Talk');
    await page.getByText('Ask about your health').waitFor();
    await page.getByLabel('Your message').fill('my blood pressure is 142 over 91');
    const streamed = page.waitForResponse((response) => response.url().endsWith('/messages'));
    await page.getByRole('button', { name: 'Send' }).click();
    expect((await streamed).headers()['content-type']).toContain('text/event-stream');
    await page.getByText(/recorded your blood pressure of 142\/91/).waitFor();
    await page.locator('.bubble-user', { hasText: 'my blood pressure is 142 over 91' }).waitFor();
    await page.getByText('Answered by Tend’s built-in assistant').waitFor();
    await page.getByLabel('Your message').fill('I have chest pain');
    await page.getByRole('button', { name: 'Send' }).click();
    await page.getByRole('link', { name: /Call emergency services/ }).waitFor();
    await expectAccessible(page, 'talk');

    await openNav(page, 'Health');
    await page.getByRole('tab', { name: 'Table' }).click();
    await page.getByRole('cell', { name: '142/91 mmHg' }).waitFor();
    expectNoProblems(problems);
    await context.close();
  }, 120_000);

  it("lets a person invite a caregiver, who accepts and sees what the grant allows, and says what it doesn't", async () => {
    const registered = await fetch(`${base}/api/v1/auth/register`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ email: carer.email, password, displayName: carer.name }),
    });
    const carerId = ((await registered.json()) as { user: { id: string } }).user.id;
    // Who is a caregiver is an operator's decision (the health service's SetUserRole).
    const health = createClient(
      HealthService,

      // Internal ports take only calls signed with a service key this Tend trusts.
      createGrpcTransport({ baseUrl: `http://127.0.0.1:${testPorts.health}`, interceptors: [identity.interceptor] }),
    );
    await health.setUserRole({
      caller: create(CallerSchema, { role: Role.ADMIN, userId: carerId }),
      userId: carerId,
      role: Role.CAREGIVER,
    });
    // The caregiver's address is proven (an admin's word here), so the invitation reaches them.
    await health.verifyEmail({ caller: create(CallerSchema, { role: Role.ADMIN, userId: carerId }), userId: carerId });

    const owner = await openContext(browser);
    await signIn(owner.page, ann);
    await openNav(owner.page, 'Caregivers');
    await owner.page.getByText('No one has access to your record.').waitFor();
    await owner.page.getByLabel('Their e-mail address').fill(carer.email);
    await pick(owner.page, 'checkbox', 'See your medicines');
    await owner.page.getByRole('button', { name: 'Send invitation' }).click();
    await owner.page.getByRole('heading', { name: 'Invitations waiting for an answer' }).waitFor();
    await owner.page.getByText(carer.email).waitFor();
    await expectAccessible(owner.page, 'caregivers');
    expectNoProblems(owner.problems);
    await owner.context.close();

    const { context, page, problems } = await openContext(browser);
    await signIn(page, carer);
    await openNav(page, 'Caregivers');
    await page.getByRole('heading', { name: 'Invitations to you' }).waitFor();
    await page.getByRole('button', { name: `Accept: ${ann.name}` }).click();
    await page.getByRole('link', { name: `View ${ann.name}` }).click();
    await page.getByRole('heading', { name: `${ann.name}’s record` }).waitFor();
    await page.getByText('You may: See your readings').waitFor();
    await page.getByText(`${ann.name} has not given you access to this.: See your medicines`).waitFor();
    await page.getByRole('tab', { name: 'Table' }).click();
    await page.getByRole('cell', { name: '142/91 mmHg' }).waitFor();
    await expectAccessible(page, 'caregiver-view');
    expectNoProblems(problems);
    await context.close();
  }, 120_000);

  it('follows a Chinese browser, and switches language on request', async () => {
    const { context, page, problems } = await openContext(browser, { locale: 'zh-CN' });
    await page.goto(`${base}/signin`);
    await page.getByRole('heading', { name: '登录 Tend' }).waitFor();
    expect(await page.getAttribute('html', 'lang')).toBe('zh-Hans');
    await page.getByLabel('电子邮箱').fill(ann.email);
    await page.getByLabel('密码').fill(password);
    await page.getByRole('button', { name: '登录', exact: true }).click();
    await page.getByRole('link', { name: '今天', exact: true }).waitFor();
    await page.getByText('高血压 2 级').first().waitFor();
    await expectAccessible(page, 'today-zh');
    await page.getByRole('link', { name: '健康', exact: true }).click();
    await page.getByLabel('高压（收缩压） (mmHg)').waitFor();
    await expectAccessible(page, 'health-zh');
    await page.getByRole('link', { name: '药物', exact: true }).click();
    await page.getByText('每天').first().waitFor();
    await page.getByRole('link', { name: '设置', exact: true }).click();
    await expectAccessible(page, 'settings-zh');
    await pick(page, 'radio', 'English');
    await page.getByRole('heading', { name: 'Settings' }).waitFor();
    expect(await page.getAttribute('html', 'lang')).toBe('en');
    expectNoProblems(problems);
    await context.close();
  }, 120_000);

  it("follows the browser's text size: at 200 % every screen's text doubles and nothing needs scrolling sideways", async () => {
    const { context, page, problems } = await openContext(browser);
    // What a person sets as the browser's font size (Chromium's default is 16 px).
    const cdp = await context.newCDPSession(page);
    await cdp.send('Page.setFontSizes', { fontSizes: { standard: 32 } });
    const tess = { email: `tess-${runId}@example.com` };
    await fetch(`${base}/api/v1/auth/register`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ email: tess.email, password, displayName: 'Tess' }),
    });
    await signIn(page, tess);
    for (const screen of ['Today', 'Talk', 'Health', 'Medicines', 'Caregivers', 'Notifications', 'Settings']) {
      await openNav(page, screen);
      await page.getByRole('heading', { level: 1 }).first().waitFor();
      const layout = await page.evaluate<{ root: number; overflow: number }>(`({
        root: parseFloat(getComputedStyle(document.documentElement).fontSize),
        overflow: document.documentElement.scrollWidth - document.documentElement.clientWidth,
      })`);
      expect(layout, screen).toEqual({ root: 40, overflow: 0 });
    }
    await screenshot(page, 'settings-text-200');
    expectNoProblems(problems);
    await context.close();
  }, 120_000);

  it('can be used with the keyboard alone: sign in, go to Health, log a reading', async () => {
    const { context, page, problems } = await openContext(browser);
    await page.goto(`${base}/signin`);
    await tabTo(page, /^E-mail address/);
    await page.keyboard.type(ann.email);
    await page.keyboard.press('Tab');
    await page.keyboard.type(password);
    await page.keyboard.press('Enter');
    await page.getByRole('navigation').waitFor();
    await tabTo(page, /^Health$/);
    await page.keyboard.press('Enter');
    await page.getByRole('heading', { name: 'Health', exact: true }).waitFor();
    await tabTo(page, /^Top number/);
    await page.keyboard.type('128');
    await tabTo(page, /^Bottom number/);
    await page.keyboard.type('78');
    await page.keyboard.press('Enter');
    await page.getByText('Reading saved.').waitFor();
    expectNoProblems(problems);
    await context.close();
  }, 120_000);

  it('shows an urgent reading in the inbox with an unread count and the reminders ahead, keeps quiet hours, and proves an e-mail address by its code', async () => {
    const nora = { email: `nora-${runId}@example.com` };
    const registered = await fetch(`${base}/api/v1/auth/register`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ email: nora.email, password, displayName: 'Nora', timezone: 'UTC' }),
    });
    const { accessToken } = (await registered.json()) as { accessToken: string };
    const asNora = (path: string, body?: unknown) =>
      fetch(`${base}${path}`, {
        method: body === undefined ? 'GET' : 'POST',
        headers: { authorization: `Bearer ${accessToken}`, 'content-type': 'application/json' },
        body: body === undefined ? undefined : JSON.stringify(body),
      });
    // A medicine due in two hours, and a reading that the health service flags as urgent.
    const inTwoHours = new Date(Date.now() + 2 * 3600_000).toISOString().slice(11, 16);
    const medication = { name: 'Aspirin', dose: 81, unit: 'mg', schedule: { times: [inTwoHours] } };
    expect((await asNora('/api/v1/medications', medication)).status).toBe(201);
    expect((await asNora('/api/v1/vitals', { kind: 'blood_pressure', systolic: 185, diastolic: 125 })).status).toBe(
      201,
    );

    const { context, page, problems } = await openContext(browser);
    await signIn(page, nora);
    // The alert travels through the event bus to the notification service; the badge polls.
    const link = page.getByRole('navigation').getByRole('link', { name: /^Notifications/ });
    await link.getByLabel('Unread: 1').waitFor({ timeout: 60_000 });
    await link.click();
    await page.getByRole('heading', { name: 'Notifications', exact: true }).waitFor();
    await page.getByText('Urgent reading').waitFor();
    await page.getByText('Time for your Aspirin').waitFor();
    await expectAccessible(page, 'notifications');
    await page.getByRole('button', { name: 'Mark as read: Urgent reading' }).click();
    await page.getByText('Unread: 0').waitFor();

    await page.getByRole('link', { name: 'Choose how and when Tend tells you' }).click();
    await page.getByRole('heading', { name: 'How Tend tells you' }).waitFor();
    await page.getByRole('switch', { name: 'Quiet hours' }).locator('xpath=ancestor::label').click();
    await page.getByLabel('From (HH:MM)').fill('22:30');
    await page.getByLabel('Until (HH:MM)').fill('06:45');
    await page.getByRole('button', { name: 'Save' }).nth(1).click();
    await page.getByRole('status').filter({ hasText: 'Saved' }).waitFor();
    const preferences = (await (await asNora('/api/v1/notification-preferences')).json()) as Record<string, unknown>;
    expect(preferences.quietHours).toEqual({ start: '22:30', end: '06:45' });

    // Text messages are not set up on this server: the form says so beside the choice.
    await page.getByLabel('Mobile number').fill('+447700900123');
    await page.getByRole('button', { name: 'Send me a code' }).click();
    await page.getByText('SMS is not configured on this server').waitFor();
    // An address gets a code by e-mail; given back, the address is proven and the code field goes.
    await pick(page, 'radio', 'E-mail');
    await page.getByRole('textbox', { name: 'E-mail address' }).fill(nora.email);
    await page.getByRole('button', { name: 'Send me a code' }).click();
    await page.getByText(`The 6 digits sent to ${nora.email}.`).waitFor();
    const mail = await until(() => smtp.received.find((m) => m.to.includes(nora.email) && /code is \d{6}/.test(m.raw)));
    await page.getByLabel('Code').fill(/code is (\d{6})/.exec(mail.raw)![1]!);
    await page.getByRole('button', { name: 'Confirm' }).click();
    await page.getByText(`The 6 digits sent to ${nora.email}.`).waitFor({ state: 'detached' });
    const devices = (await (await asNora('/api/v1/devices')).json()) as { items: Record<string, unknown>[] };
    expect(devices.items).toEqual([expect.objectContaining({ kind: 'email', address: nora.email, verified: true })]);
    await expectAccessible(page, 'settings-notifications');
    expectNoProblems(problems);
    await context.close();
  }, 120_000);

  /**
   * A browser whose fake microphone plays `ssml` spoken by eSpeak NG, once, then silence; and a
   * fresh account signed in on the Talk screen.
   */
  async function talkingBrowser(
    name: string,
    ssml: string,
    use: (page: Page) => Promise<void>,
    microphone: { loop?: boolean } = {},
  ): Promise<void> {
    const speaker = { email: `${name}-${runId}@example.com` };
    await fetch(`${base}/api/v1/auth/register`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ email: speaker.email, password, displayName: name }),
    });
    const withMicrophone = await launchWithMicrophone(ssml, microphone);
    try {
      const { context, page, problems } = await openContext(withMicrophone.browser);
      await signIn(page, speaker);
      await openNav(page, 'Talk');
      await use(page);
      expectNoProblems(problems);
      await context.close();
    } finally {
      await withMicrophone.close();
    }
  }

  it.skipIf(!existsSync('/usr/bin/espeak-ng'))(
    'takes a spoken turn by push-to-talk: the words heard and the answer join the chat',
    () =>
      talkingBrowser('vera', 'my blood pressure is one forty over ninety', async (page) => {
        await page.getByRole('button', { name: /Speak/ }).click();
        await page.getByText('Listening…').waitFor();
        await page.waitForTimeout(4000);
        await page.getByRole('button', { name: /Stop and send/ }).click();
        // The offline recogniser hears eSpeak's voice imperfectly ("got pressure is one forty …").
        await page.locator('.bubble-user', { hasText: /pressure/ }).waitFor({ timeout: 60_000 });
        await page.locator('.bubble-assistant').first().waitFor();
        await expectAccessible(page, 'talk-voice');
      }),
    120_000,
  );

  it.skipIf(!existsSync('/usr/bin/espeak-ng'))(
    'talks hands-free: the end of speech is heard, the answer is spoken, and Tend listens again',
    () =>
      // The pause first leaves time for the page to open the microphone and the socket.
      talkingBrowser(
        'hana',
        '<speak><break time="3s"/>my blood pressure is one forty over ninety</speak>',
        async (page) => {
          await page.getByRole('button', { name: 'Talk hands-free' }).click();
          await page.getByText(/^Listening\. Speak when you are ready/).waitFor({ timeout: 30_000 });
          // No button press ends the turn: the quiet after the sentence does. What the offline
          // recogniser makes of eSpeak's voice varies (the push-to-talk case checks the words).
          await page.locator('.bubble-user', { hasText: /\w/ }).waitFor({ timeout: 60_000 });
          await page.locator('.bubble-assistant').first().waitFor();
          // The answer was played aloud, then the next turn began by itself.
          await page.locator('[data-sentences-spoken]:not([data-sentences-spoken="0"])').waitFor({ timeout: 30_000 });
          await page.getByText(/^Listening\. Speak when you are ready/).waitFor({ timeout: 30_000 });
          await expectAccessible(page, 'talk-hands-free');
          await page.getByRole('button', { name: 'Stop talking hands-free' }).click();
          await page.getByRole('button', { name: 'Talk hands-free' }).waitFor();
        },
      ),
    120_000,
  );

  // Quarantined in CI (scripts/test-skips.mjs): inside the full suite there, the answer has not
  // been interrupted within 90 s in three runs of four, with the talk spoken once or looped; alone
  // it passes in 10-31 s, beside three CPU hogs too. Until that is traced it runs everywhere else.
  it.skipIf(!existsSync('/usr/bin/espeak-ng') || process.env.CI === 'true')(
    'stops speaking when the person talks over the answer, and listens to them as a new turn',
    () =>
      // A sentence, a pause in which the turn ends, then talk, over and over: whenever the answer
      // starts playing (later on a loaded machine), the person is talking or soon will be, and
      // the answer is interrupted. Spoken once, a slow answer could come after the talk had ended.
      talkingBrowser(
        'bart',
        `<speak><break time="3s"/>my blood pressure is one forty over ninety<break time="5s"/>${'and there is one more thing I wanted to tell you about my week. '.repeat(4)}</speak>`,
        async (page) => {
          await page.getByRole('button', { name: 'Talk hands-free' }).click();
          await page.locator('.bubble-user', { hasText: /\w/ }).waitFor({ timeout: 60_000 });
          const status = page.locator('[data-interruptions]');
          await status.and(page.locator(':not([data-interruptions="0"])')).waitFor({ timeout: 90_000 });
          // The answer had begun to play, and what follows the interruption is a new turn listening.
          expect(Number(await status.getAttribute('data-sentences-spoken'))).toBeGreaterThan(0);
          await page.getByText(/^Tend stopped speaking to listen to you\. Listening\./).waitFor({ timeout: 10_000 });
          await expectAccessible(page, 'talk-interrupted');
          await page.getByRole('button', { name: 'Stop talking hands-free' }).click();
          await page.getByRole('button', { name: 'Talk hands-free' }).waitFor();
        },
        { loop: true },
      ),
    210_000,
  );

  it('signs out, and then refuses the protected pages', async () => {
    const { context, page, problems } = await openContext(browser);
    // The gateway allows 5 sign-ins a minute per account, and Ann has had hers.
    await signIn(page, carer);
    await openNav(page, 'Settings');
    await expectAccessible(page, 'settings');
    await page.getByRole('button', { name: 'Sign out' }).click();
    await page.waitForURL(/\/signin$/);
    await page.goto(`${base}/vitals`);
    await page.waitForURL(/\/signin\?next=/);
    await page.getByRole('heading', { name: 'Sign in to Tend' }).waitFor();
    expect(await page.getByRole('navigation').count()).toBe(0);
    expectNoProblems(problems);
    await context.close();
  }, 120_000);
});
