// The web app in Chromium against the real binary: JavaScript bytes of the first screen, first
// contentful paint and time until the first screen can be used (with 4× CPU slowdown, as a
// low-end phone), and how long the chart takes for a year of readings every five minutes.
//
//   npm run bench:web
import { spawnSync } from 'node:child_process';
import { gzipSync } from 'node:zlib';
import type { Page } from 'playwright-core';
import { thinToColumns } from '@tend/web/chart-scale';
import { launchBrowser } from '../e2e/web-browser.js';
import { startAllInOne } from './all-in-one.js';

const runs = Number(process.env.TEND_BENCH_RUNS ?? 5);
const build = spawnSync(process.execPath, ['apps/web/scripts/build-if-stale.mjs'], { stdio: 'inherit' });
if (build.status !== 0) throw new Error('the web app did not build');

const tend = await startAllInOne({ gatewayPort: 18780, firstServicePort: 18781 });
const browser = await launchBrowser();
const median = (values: number[]): number => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)]!;

try {
  // 1. What the first screen (sign-in) downloads.
  {
    const context = await browser.newContext();
    const page = await context.newPage();
    const scripts = new Map<string, number>();
    page.on('response', async (response) => {
      if (!response.url().endsWith('.js')) return;
      const body = await response.body();
      scripts.set(response.url(), gzipSync(body, { level: 9 }).length);
    });
    await page.goto(`${tend.base}/signin`, { waitUntil: 'networkidle' });
    // Bodies are read after their responses arrive: give the last ones time to be counted.
    await page.waitForTimeout(1000);
    const total = [...scripts.values()].reduce((sum, n) => sum + n, 0);
    console.log(`first screen: ${scripts.size} JS files, ${(total / 1024).toFixed(1)} KiB gzip`);
    await context.close();
  }

  // 2. First contentful paint and time until the sign-in form takes input, 4× CPU slowdown, cold cache.
  for (const rate of [1, 4]) {
    const fcp: number[] = [];
    const usable: number[] = [];
    for (let i = 0; i < runs; i++) {
      const context = await browser.newContext();
      const page = await context.newPage();
      const cdp = await context.newCDPSession(page);
      await cdp.send('Emulation.setCPUThrottlingRate', { rate });
      const started = Date.now();
      await page.goto(`${tend.base}/signin`);
      await page.getByLabel('E-mail address').waitFor({ state: 'visible' });
      await page.getByLabel('E-mail address').isEditable();
      usable.push(Date.now() - started);
      fcp.push(await paintTime(page));
      await context.close();
    }
    console.log(
      `CPU slowdown ${rate}×: first contentful paint median ${median(fcp).toFixed(0)} ms, ` +
        `sign-in form usable median ${median(usable)} ms (${runs} cold loads)`,
    );
  }

  // 3. A year of readings every 5 minutes: thinning in the app's code, then drawing in Chromium.
  {
    const points = 365 * 24 * 12;
    const start = Date.UTC(2026, 0, 1) / 1000;
    const xs = Array.from({ length: points }, (_, i) => start + i * 300);
    const ys = xs.map((_, i) => 120 + 15 * Math.sin(i / 500) + ((i * 7919) % 13) - 6);
    const thinStart = performance.now();
    const [tx, ty] = thinToColumns(xs, ys, 1000);
    const thinMs = performance.now() - thinStart;
    const context = await browser.newContext({ bypassCSP: true });
    const page = await context.newPage();
    await page.goto(`${tend.base}/signin`);
    await page.addScriptTag({ path: 'node_modules/uplot/dist/uPlot.iife.min.js' });
    const draw = async (x: number[], y: number[]) =>
      page.evaluate<number>(
        `(async () => {
          const data = [${JSON.stringify(x)}, ${JSON.stringify(y)}];
          const host = document.createElement('div');
          document.body.append(host);
          const frame = () => new Promise((resolve) => requestAnimationFrame(resolve));
          await frame();
          const t0 = performance.now();
          const chart = new uPlot({ width: 1000, height: 360, series: [{}, { stroke: 'blue' }] }, data, host);
          // Until the frame after the one that painted the canvas.
          await frame();
          await frame();
          const ms = performance.now() - t0;
          chart.destroy();
          host.remove();
          return ms;
        })()`,
      );
    const thinDraw = median([await draw(tx, ty), await draw(tx, ty), await draw(tx, ty)]);
    const fullDraw = median([await draw(xs, ys), await draw(xs, ys), await draw(xs, ys)]);
    console.log(
      `chart, ${points} readings: thinning to ${tx.length} points ${thinMs.toFixed(1)} ms, then drawing until ` +
        `the next frame ${thinDraw.toFixed(1)} ms; all ${points} points undecimated ${fullDraw.toFixed(1)} ms`,
    );
    await context.close();
  }
} finally {
  await browser.close();
  await tend.stop();
}

async function paintTime(page: Page): Promise<number> {
  return page.evaluate<number>(
    `new Promise((resolve) => {
      const entry = performance.getEntriesByName('first-contentful-paint')[0];
      if (entry) return resolve(entry.startTime);
      new PerformanceObserver((list) => resolve(list.getEntries()[0].startTime)).observe({ type: 'paint', buffered: true });
    })`,
  );
}
