// Compiles the server's TypeScript (every workspace's src/, tests left out) to JavaScript in that
// workspace's dist/, when a source changed since the last build, and does nothing (in a few tens
// of milliseconds) otherwise. `npm ci` runs it (prepare), and so do `npm start`, `npm run tend`,
// the e2e suites and the benchmarks before they start the binary, so a fresh clone and an edited
// checkout both run what their sources say.
//
// Why esbuild, file by file: it transpiles the ~330 files in about a second (tsc -b takes tens of
// seconds here, and `npm run typecheck` already checks the types). Each file keeps its place
// (src/a/b.ts → dist/a/b.js), so paths a module takes relative to itself (migrations, corpus,
// the web app) stay the same. Packages import each other as `@tend/*`; their exports map the
// `compiled` condition to dist/ (node --conditions=compiled), while tsx, Vitest and tsc, which do
// not set it, keep using the sources. bench/README.md ("Start and stop") has the measurements
// behind the choice, including why there are no source maps.
//
//   node scripts/build-server.mjs          build if stale
//   node scripts/build-server.mjs --force  build anyway
import { createHash } from 'node:crypto';
import {
  closeSync,
  existsSync,
  mkdirSync,
  openSync,
  readdirSync,
  readFileSync,
  rmSync,
  statSync,
  writeFileSync,
} from 'node:fs';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('..', import.meta.url));
const stampFile = join(root, 'dist', '.server-build-stamp');
const workspaces = ['packages', 'services'].flatMap((dir) =>
  readdirSync(join(root, dir)).map((name) => join(dir, name)),
);
workspaces.push(join('apps', 'server'));

const isSource = (name) => name.endsWith('.ts') && !name.endsWith('.test.ts') && !name.endsWith('.d.ts');

/** Every source file of a workspace's src/, relative to the repository root, sorted. */
function sourcesOf(workspace) {
  const files = [];
  const walk = (dir) => {
    for (const entry of readdirSync(join(root, dir), { withFileTypes: true })) {
      const path = join(dir, entry.name);
      if (entry.isDirectory()) walk(path);
      else if (isSource(entry.name)) files.push(path);
    }
  };
  if (existsSync(join(root, workspace, 'src'))) walk(join(workspace, 'src'));
  return files.sort();
}

const sources = workspaces.flatMap(sourcesOf);
// The lock file and this script decide the output too (the esbuild version, its options).
const inputs = [...sources, 'package-lock.json', relative(root, fileURLToPath(import.meta.url))];

/** A hash of every input's path and content: what the output depends on. */
function inputHash() {
  const hash = createHash('sha256');
  for (const path of inputs)
    hash
      .update(path)
      .update('\0')
      .update(readFileSync(join(root, path)))
      .update('\0');
  return hash.digest('hex');
}

const wanted = inputHash();
const force = process.argv.includes('--force');
const upToDate = () =>
  (existsSync(stampFile) ? readFileSync(stampFile, 'utf8').trim() : '') === wanted &&
  workspaces.every((ws) => !existsSync(join(root, ws, 'src')) || existsSync(join(root, ws, 'dist')));
if (!force && upToDate()) process.exit(0);

// One build at a time: test files and benchmarks start binaries side by side, and a second build
// would delete the dist/ the first one's process is loading. The others wait, then find it fresh.
const lockFile = join(root, 'dist', '.server-build-lock');
mkdirSync(dirname(lockFile), { recursive: true });
const lockedAt = Date.now();
for (;;) {
  try {
    closeSync(openSync(lockFile, 'wx'));
    break;
  } catch (error) {
    if (error.code !== 'EEXIST') throw error;
    // A lock older than two minutes is left by a build that was killed.
    const age = Date.now() - (statSync(lockFile, { throwIfNoEntry: false })?.mtimeMs ?? Date.now());
    if (age > 120_000 || Date.now() - lockedAt > 300_000) rmSync(lockFile, { force: true });
    else Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 100);
  }
}
process.on('exit', () => rmSync(lockFile, { force: true }));
if (!force && upToDate()) process.exit(0);

let esbuild;
try {
  esbuild = await import('esbuild');
} catch {
  // A production install (`npm ci --omit=dev`) has no compiler; its output comes from a build
  // made where the dev dependencies are (the image's build stage).
  console.error('server build: esbuild is not installed (production install): nothing built.');
  process.exit(0);
}

const started = performance.now();
for (const workspace of workspaces) {
  const files = sourcesOf(workspace);
  if (files.length === 0) continue;
  const outdir = join(root, workspace, 'dist');
  rmSync(outdir, { recursive: true, force: true });
  await esbuild.build({
    absWorkingDir: root,
    entryPoints: files,
    outbase: join(workspace, 'src'),
    outdir,
    bundle: false,
    format: 'esm',
    platform: 'node',
    target: 'node24',
    sourcemap: false,
    logLevel: 'warning',
  });
}
writeFileSync(stampFile, `${wanted}\n`);
console.error(
  `server build: ${sources.length} files compiled to <workspace>/dist in ${Math.round(performance.now() - started)} ms`,
);
