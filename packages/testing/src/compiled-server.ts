import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('../../..', import.meta.url));

/**
 * The command that runs the `tend` binary as `npm start` does: the bundled JavaScript in
 * apps/server/dist. Tests and benchmarks spawn this, not the TypeScript sources, so they exercise
 * what ships (and start in a fraction of tsx's time). It builds first when a source changed (scripts/build-server.mjs:
 * a hash check when nothing did), so an edited checkout never runs stale output.
 * Arguments go after it: `spawn(process.execPath, [...compiledTendArgs(), 'serve', '--target=all'])`.
 */
export function compiledTendArgs(): string[] {
  const build = spawnSync(process.execPath, ['scripts/build-server.mjs'], { cwd: root, encoding: 'utf8' });
  if (build.status !== 0) throw new Error(`scripts/build-server.mjs failed:\n${build.stdout}${build.stderr}`);
  return [`${root}apps/server/dist/main.js`];
}
