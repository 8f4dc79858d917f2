// Bundles the server's TypeScript (apps/server/src/main.ts and every `@tend/*` module it imports)
// into apps/server/dist, when a source changed since the last build, and does nothing (in a few
// tens of milliseconds) otherwise. `npm ci` runs it (prepare), and so do `npm start`, `npm run
// tend`, the e2e suites and the benchmarks before they start the binary, so a fresh clone and an
// edited checkout both run what their sources say.
//
// Why a bundle of Tend's own code: resolving, reading and compiling ~370 modules one by one was
// most of Node's module-loading time at start; one file per chunk removes it, and esbuild builds
// it in about half a second. Third-party packages stay external (see `thirdPartyExternal`), each
// module keeps its own `import.meta.url` (see `ownModuleUrls`), and the dynamic imports of
// main.ts stay separate chunks, so tracing still starts before the program is imported. tsx,
// Vitest and tsc keep using the sources. bench/README.md ("Start and stop") has the measurements
// behind the choice, including why source maps are written but not read by default.
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
import { dirname, join, relative, sep } from 'node:path';
import { isBuiltin } from 'node:module';
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
// So do the workspaces' manifests (their exports resolve `@tend/*` imports), the TypeScript
// options esbuild reads, the lock file and this script (the esbuild version, its options).
const inputs = [
  ...sources,
  ...workspaces.map((workspace) => join(workspace, 'package.json')),
  'tsconfig.base.json',
  'package-lock.json',
  relative(root, fileURLToPath(import.meta.url)),
];

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
  existsSync(join(root, 'apps', 'server', 'dist', 'main.js'));
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

/**
 * Third-party packages stay in node_modules, imported by name at run time: OpenTelemetry patches
 * `pg`, `ioredis` and `node:http` as they are loaded, and several packages read files beside
 * themselves. Only Tend's own `@tend/*` workspaces and relative imports are bundled. The bundle
 * imports them from apps/server/dist, so each must be the copy in the root node_modules that
 * every workspace shares; a workspace's own copy (npm nests one on a version conflict) fails the
 * build rather than being swapped silently.
 */
const thirdPartyExternal = {
  name: 'third-party-external',
  setup(build) {
    const shared = join(root, 'node_modules') + sep;
    build.onResolve({ filter: /^[^./]/ }, async (args) => {
      if (args.kind === 'entry-point' || args.pluginData === 'checking') return undefined;
      if (args.path.startsWith('@tend/')) return undefined;
      if (!isBuiltin(args.path)) {
        const found = await build.resolve(args.path, {
          kind: args.kind,
          importer: args.importer,
          resolveDir: args.resolveDir,
          pluginData: 'checking',
        });
        if (found.errors.length === 0 && !found.path.startsWith(shared))
          return { errors: [{ text: `${args.path} resolves to ${found.path}, not to the shared node_modules` }] };
      }
      return { path: args.path, external: true };
    });
  },
};

/**
 * Each bundled module keeps its own `import.meta.url`: the URL of its source file, computed from
 * the chunk's URL. Modules find files beside themselves with it (`new URL('../migrations',
 * import.meta.url)`, the NLU corpus, the voice domain text, the web app, `createRequire`), and
 * the same relative path then works from the sources (tsx, Vitest) and from the bundle. Every
 * chunk is written to the output directory itself (esbuild's default), so one relative path
 * serves all of them.
 */
const ownModuleUrls = {
  name: 'own-module-urls',
  setup(build) {
    const outdir = build.initialOptions.outdir;
    build.onLoad({ filter: /\.ts$/ }, (args) => {
      const source = readFileSync(args.path, 'utf8');
      if (!source.includes('import.meta.url')) return undefined;
      const fromChunk = relative(outdir, args.path).split(sep).map(encodeURIComponent).join('/');
      const moduleUrl = `new URL(${JSON.stringify(fromChunk)}, import.meta.url).href`;
      return { contents: source.replaceAll('import.meta.url', moduleUrl), loader: 'ts' };
    });
  },
};

const started = performance.now();
const outdir = join(root, 'apps', 'server', 'dist');
rmSync(outdir, { recursive: true, force: true });
// Stale output of the file-by-file build this one replaced: nothing imports it any more.
for (const workspace of workspaces)
  if (workspace !== join('apps', 'server')) rmSync(join(root, workspace, 'dist'), { recursive: true, force: true });
await esbuild.build({
  absWorkingDir: root,
  entryPoints: { main: join('apps', 'server', 'src', 'main.ts') },
  outdir,
  bundle: true,
  splitting: true,
  format: 'esm',
  platform: 'node',
  target: 'node24',
  // Linked maps, read only with --enable-source-maps: reading them at every start costs ~0.4 s.
  sourcemap: 'linked',
  sourcesContent: false,
  logLevel: 'warning',
  plugins: [thirdPartyExternal, ownModuleUrls],
});
writeFileSync(stampFile, `${wanted}\n`);
console.error(
  `server build: ${sources.length} files bundled into apps/server/dist in ${Math.round(performance.now() - started)} ms`,
);
