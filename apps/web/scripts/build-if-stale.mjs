// Builds the web app when its sources changed since the last build, and does nothing (in a few
// milliseconds) otherwise. `npm start` runs it first, so a fresh clone serves the app with no
// extra command and a started-again server starts as fast as before.
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';

const web = fileURLToPath(new URL('..', import.meta.url));
const root = join(web, '..', '..');
const stampFile = join(web, '.build-stamp');
const inputs = ['src', 'public', 'index.html', 'vite.config.ts', 'package.json', join('..', '..', 'package-lock.json')];

/** A hash of every input file's path and content: what the build's output depends on. */
function sourceHash() {
  const hash = createHash('sha256');
  const add = (path) => {
    if (!existsSync(path)) return;
    if (statSync(path).isDirectory()) {
      for (const name of readdirSync(path).sort()) add(join(path, name));
      return;
    }
    hash.update(relative(web, path)).update('\0').update(readFileSync(path)).update('\0');
  };
  for (const input of inputs) add(join(web, input));
  return hash.digest('hex');
}

const wanted = sourceHash();
const built = existsSync(stampFile) ? readFileSync(stampFile, 'utf8').trim() : '';
if (built === wanted && existsSync(join(web, 'dist', 'index.html'))) process.exit(0);

console.log('web app: building apps/web (its sources changed since the last build)…');
const vite = join(root, 'node_modules', 'vite', 'bin', 'vite.js');
// NODE_ENV decides which React Vite bundles; a caller's `test` (Vitest sets it) would ship React's
// development build.
const result = spawnSync(process.execPath, [vite, 'build', '--logLevel', 'warn'], {
  cwd: web,
  stdio: 'inherit',
  env: { ...process.env, NODE_ENV: 'production' },
});
if (result.status !== 0) {
  console.error('web app: the build failed; the gateway will serve its plain landing page.');
  process.exit(process.env.CI === 'true' ? 1 : 0);
}
writeFileSync(stampFile, `${wanted}\n`);
