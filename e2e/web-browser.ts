import { existsSync } from 'node:fs';
import { spawnSync } from 'node:child_process';
import { mkdir, mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { chromium, type Browser, type BrowserContext, type Page } from 'playwright-core';

/**
 * Debian's Chromium: Playwright cannot download a browser here, `.ci/run` installs this one.
 * @default /usr/bin/chromium
 */
export const chromiumPath = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';

/** Where the screenshots of every screen go, for a person to look at (never compared by pixels). */
export const screenshotDir = process.env.TEND_SCREENSHOT_DIR ?? join('.tend', 'screenshots', 'web');

/** The viewports every screen is photographed at. */
export const viewports = {
  phone: { width: 390, height: 844 },
  desktop: { width: 1280, height: 900 },
} as const;

/** Starts Chromium headless (as root it needs `--no-sandbox`), with any extra command-line switches. */
export async function launchBrowser(extraArgs: string[] = []): Promise<Browser> {
  if (!existsSync(chromiumPath)) throw new Error(`no Chromium at ${chromiumPath} (apt-get install chromium)`);
  return chromium.launch({
    executablePath: chromiumPath,
    args: ['--no-sandbox', '--disable-dev-shm-usage', ...extraArgs],
  });
}

/**
 * Chromium whose fake microphone plays `ssml` spoken by eSpeak NG once, then silence (or, with
 * `loop`, over and over); `close` ends the browser and removes the recording.
 */
export async function launchWithMicrophone(
  ssml: string,
  options: { loop?: boolean } = {},
): Promise<{ browser: Browser; close: () => Promise<void> }> {
  const dir = await mkdtemp(join(tmpdir(), 'tend-web-voice-'));
  const wav = join(dir, 'speech.wav');
  const spoken = spawnSync('espeak-ng', ['-v', 'en-us', '-m', '-w', wav, ssml]);
  if (spoken.status !== 0) throw new Error(`espeak-ng failed: ${String(spoken.stderr)}`);
  const browser = await launchBrowser([
    '--use-fake-ui-for-media-stream',
    '--use-fake-device-for-media-stream',
    `--use-file-for-fake-audio-capture=${wav}${options.loop ? '' : '%noloop'}`,
    '--autoplay-policy=no-user-gesture-required',
  ]);
  return {
    browser,
    close: async () => {
      await browser.close();
      await rm(dir, { recursive: true, force: true });
    },
  };
}

/** What went wrong in a page that the test did not ask about: script errors and CSP refusals. */
export interface PageProblems {
  errors: string[];
}

/**
 * A browser context (its own cookies and storage, like a separate person's browser) whose pages
 * record uncaught errors, console errors and Content-Security-Policy violations.
 */
export async function openContext(
  browser: Browser,
  options: { locale?: string; timezoneId?: string; serviceWorkers?: 'allow' | 'block' } = {},
): Promise<{ context: BrowserContext; page: Page; problems: PageProblems }> {
  const context = await browser.newContext({
    viewport: viewports.desktop,
    locale: options.locale ?? 'en-US',
    timezoneId: options.timezoneId ?? 'UTC',
    // Blocked unless asked for, so a cached page never hides what the server answers now.
    serviceWorkers: options.serviceWorkers ?? 'block',
  });
  await context.addInitScript(`
    document.addEventListener('securitypolicyviolation', (event) => {
      console.error('CSP violation: ' + event.violatedDirective + ' ' + event.sourceFile + ':' + event.lineNumber);
    });
  `);
  const problems: PageProblems = { errors: [] };
  const page = await context.newPage();
  page.on('pageerror', (error) => problems.errors.push(`page error: ${error.message}`));
  page.on('console', (message) => {
    if (message.type() !== 'error') return;
    const text = message.text();
    // A refused API call (the test's own bad input, a 401 before refresh) is logged by Chromium
    // as a failed resource; it is the app's answer to it that the tests check.
    if (/Failed to load resource: the server responded with a status of 4\d\d/.test(text)) return;
    problems.errors.push(text);
  });
  return { context, page, problems };
}

const axeSource = readFile(createRequire(import.meta.url).resolve('axe-core/axe.min.js'), 'utf8');

/** Violations axe-core finds on the page as it is now (WCAG 2.0–2.2 A and AA rules), as readable lines. */
export async function axeViolations(page: Page): Promise<string[]> {
  // Evaluated through the DevTools protocol, so the page's CSP (no inline script) does not apply.
  await page.evaluate(await axeSource);
  const results = await page.evaluate<{ id: string; help: string; nodes: { target: string[] }[] }[]>(`
    axe.run(document, { runOnly: { type: 'tag', values: ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa', 'wcag22aa'] } })
      .then((r) => r.violations.map((v) => ({ id: v.id, help: v.help, nodes: v.nodes.map((n) => ({ target: n.target })) })))
  `);
  return results.map((v) => `${v.id}: ${v.help} (${v.nodes.map((n) => n.target.join(' ')).join(', ')})`);
}

/** Photographs the page at phone and desktop widths into `screenshotDir`. */
export async function screenshot(page: Page, name: string): Promise<void> {
  await mkdir(screenshotDir, { recursive: true });
  for (const [label, size] of Object.entries(viewports)) {
    await page.setViewportSize(size);
    await page.waitForTimeout(150);
    await page.screenshot({ path: join(screenshotDir, `${name}-${label}.png`), fullPage: true });
  }
  await page.setViewportSize(viewports.desktop);
}

/**
 * Presses Tab until the focused element's accessible text matches, as a keyboard user would
 * move through the page; fails after `max` presses.
 */
export async function tabTo(page: Page, name: RegExp, max = 40): Promise<void> {
  for (let i = 0; i < max; i++) {
    await page.keyboard.press('Tab');
    const label = await page.evaluate(`(() => {
      const el = document.activeElement;
      if (!el) return '';
      const labelled = el.getAttribute('aria-label');
      if (labelled) return labelled;
      if (el.labels && el.labels.length > 0) return el.labels[0].textContent;
      const by = el.getAttribute('aria-labelledby');
      if (by) return by.split(' ').map((id) => document.getElementById(id)?.textContent ?? '').join(' ');
      return el.textContent ?? '';
    })()`);
    if (typeof label === 'string' && name.test(label.trim())) return;
  }
  throw new Error(`no element matching ${String(name)} within ${max} Tab presses`);
}

/** A time zone (`Etc/GMT±N`) where it is now between 10:00 and 13:00, so a dose minutes ago is still today. */
export function middayTimeZone(now = new Date()): string {
  let offset = 11 - now.getUTCHours();
  if (offset > 12) offset -= 24;
  if (offset < -12) offset += 24;
  // The Etc zones' signs are inverted: Etc/GMT-5 is five hours ahead of UTC.
  return offset === 0 ? 'Etc/GMT' : `Etc/GMT${offset > 0 ? '-' : '+'}${Math.abs(offset)}`;
}

/** Signs in on the app at `base` with e-mail and password, as a person does, until the menu shows. */
export async function signIn(page: Page, base: string, who: { email: string; password: string }): Promise<void> {
  await page.goto(`${base}/signin`);
  await page.getByLabel('E-mail address').fill(who.email);
  await page.getByLabel('Password').fill(who.password);
  await page.getByRole('button', { name: 'Sign in', exact: true }).click();
  await page.getByRole('navigation').waitFor();
}

/** Opens a screen from the app's menu. */
export async function openNav(page: Page, name: string): Promise<void> {
  await page.getByRole('navigation').getByRole('link', { name, exact: true }).click();
}

/** Picks a radio button or checkbox by its label, by clicking the label as a person does. */
export async function pick(page: Page, role: 'radio' | 'checkbox', name: string): Promise<void> {
  await page.getByRole(role, { name, exact: true }).locator('xpath=ancestor::label').click();
}
