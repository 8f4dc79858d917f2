// Writes the README's configuration table from the table of variables; with --check, fails
// (exit 1) when the README is stale instead. `npm run config:docs`, and part of `npm run lint`.
import { readFile, writeFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { readmeWithConfigTable } from '../apps/server/src/config-docs.js';

const readmePath = fileURLToPath(new URL('../README.md', import.meta.url));
const current = await readFile(readmePath, 'utf8');
const fresh = await readmeWithConfigTable(current, readmePath);
if (process.argv.includes('--check')) {
  if (fresh !== current) {
    process.stderr.write('README.md: the configuration table is stale; run `npm run config:docs`\n');
    process.exit(1);
  }
} else if (fresh !== current) {
  await writeFile(readmePath, fresh);
  process.stdout.write('README.md: configuration table rewritten\n');
}
