import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { readmeWithConfigTable } from './config-docs.js';

describe('the README configuration section', () => {
  it('is what the table of variables generates (run `npm run config:docs` when this fails)', async () => {
    const path = fileURLToPath(new URL('../../../README.md', import.meta.url));
    const readme = readFileSync(path, 'utf8');
    expect(await readmeWithConfigTable(readme, path)).toBe(readme);
  }, 30_000); // prettier formats the whole README: seconds on a busy machine

  it('notices a stale table', async () => {
    const path = fileURLToPath(new URL('../../../README.md', import.meta.url));
    const stale = readFileSync(path, 'utf8').replace(/\| `LLM_MAX_STEPS`[^\n]*\n/, '');
    expect(await readmeWithConfigTable(stale, path)).not.toBe(stale);
  }, 30_000);
});
