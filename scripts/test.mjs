// `npm test`: brings up the real servers the integration suites use (scripts/infra.sh), runs the
// unit, integration and e2e suites with Vitest, and ends with one plain summary line.
// Outside CI, servers that cannot start make their suites skip loudly; in CI (CI=true) that fails,
// and so does any skipped test that is not on the named allow-list in scripts/test-skips.mjs.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { allowedSkips } from './test-skips.mjs';

const inCi = process.env.CI === 'true';
const infra = (...args) =>
  spawnSync('bash', ['scripts/infra.sh', ...args], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'inherit'] });

/** The TEST_* variables `infra.sh env` prints for the servers that are up. */
function infraEnv() {
  const result = infra('env');
  const vars = {};
  for (const line of (result.stdout ?? '').split('\n')) {
    const match = /^export ([A-Z_]+)=(.*)$/.exec(line.trim());
    if (match) vars[match[1]] = match[2].replace(/^['"]|['"]$/g, '');
  }
  return vars;
}

let startedHere = false;
if (process.env.TEND_INFRA !== 'skip') {
  const before = infraEnv();
  const wanted = ['TEST_DATABASE_URL', 'TEST_REDIS_URL', 'TEST_KAFKA_BROKERS', 'TEST_NGINX_URL', 'TEST_CALDAV_URL'];
  if (!wanted.every((name) => before[name])) {
    const up = spawnSync('bash', ['scripts/infra.sh', 'up', 'all'], { stdio: 'inherit' });
    if (up.status !== 0) {
      if (inCi) {
        console.error('npm test: scripts/infra.sh up failed; in CI the integration suites must run.');
        process.exit(1);
      }
      console.warn('\nnpm test: WARNING: real servers could not be started; integration suites will be skipped.\n');
    } else {
      startedHere = true;
    }
  }
}
// Colour only on a terminal: CI sets CI=true, which alone turns Vitest's colours on, and a log
// full of escape codes hides the summary line from anything that reads it.
const env = { ...process.env, ...infraEnv(), ...(process.stdout.isTTY ? {} : { NO_COLOR: '1' }) };

const out = mkdtempSync(join(tmpdir(), 'tend-test-'));
const report = join(out, 'results.json');
const vitest = spawnSync(
  'vitest',
  ['run', '--reporter=default', '--reporter=json', `--outputFile.json=${report}`, ...process.argv.slice(2)],
  { stdio: 'inherit', env },
);

let summary = 'tests: no result file written';
let unexplainedSkips = [];
try {
  const results = JSON.parse(readFileSync(report, 'utf8'));
  const skipped = skippedTests(results);
  unexplainedSkips = skipped.filter((test) => !allowedSkips.some((a) => a.file === test.file && a.test === test.name));
  summary = `tests: ${results.numPassedTests} passed, ${results.numFailedTests} failed, ${skipped.length} skipped`;
  if (skipped.length > 0) {
    console.warn(`\nnpm test: WARNING: ${skipped.length} test(s) skipped, proving nothing:`);
    for (const test of skipped) {
      const allowed = allowedSkips.find((a) => a.file === test.file && a.test === test.name);
      console.warn(`  - ${test.file} > ${test.name}${allowed ? ` (allowed: ${allowed.why})` : ''}`);
    }
  }
} catch {
  // Vitest failed before writing a report; its exit code says so.
}
rmSync(out, { recursive: true, force: true });
if (startedHere && process.env.TEND_KEEP_INFRA !== '1') {
  // Quietly, so Vitest's summary and the line below end the log; its lines only when it fails.
  const down = spawnSync('bash', ['scripts/infra.sh', 'down'], { encoding: 'utf8' });
  if (down.status !== 0) process.stderr.write(down.stdout + down.stderr);
}
console.log(summary);
if (inCi && unexplainedSkips.length > 0) {
  console.error(
    `npm test: ${unexplainedSkips.length} skipped test(s) not on the allow-list (scripts/test-skips.mjs); in CI a skip is a failure.`,
  );
  process.exit(1);
}
process.exit(vitest.status ?? 1);

/**
 * Every test the JSON report marks as not run (skipped, pending or todo), by file and full
 * name, including those in files that were skipped whole.
 */
function skippedTests(results) {
  const notRun = new Set(['skipped', 'pending', 'todo', 'disabled']);
  return results.testResults.flatMap((file) =>
    file.assertionResults
      .filter((test) => notRun.has(test.status))
      .map((test) => ({
        file: relative(process.cwd(), file.name),
        name: test.fullName ?? [...test.ancestorTitles, test.title].join(' '),
      })),
  );
}
