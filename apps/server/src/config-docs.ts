import { format, resolveConfig } from 'prettier';
import { configMarkdownTable } from '@tend/core/bootstrap';
import { servicesRunning } from './module-graph.js';

/** Marks the README's generated table; everything between them is rewritten. */
export const configTableMarkers = {
  begin: '<!-- config:begin — generated from packages/core/src/config/table.ts by `npm run config:docs` -->',
  end: '<!-- config:end -->',
} as const;

/**
 * The README with its configuration table made afresh from the table of variables, formatted
 * as `prettier --check` wants it, so the generated file passes lint as written. `readmePath`
 * finds the Prettier settings.
 */
export async function readmeWithConfigTable(readme: string, readmePath: string): Promise<string> {
  const begin = readme.indexOf(configTableMarkers.begin);
  const end = readme.indexOf(configTableMarkers.end);
  if (begin < 0 || end < begin) {
    throw new Error(`README has no "${configTableMarkers.begin}" … "${configTableMarkers.end}" section`);
  }
  const table = configMarkdownTable((target) => servicesRunning(target));
  const next = `${readme.slice(0, begin)}${configTableMarkers.begin}\n\n${table}\n${readme.slice(end)}`;
  const options = (await resolveConfig(readmePath)) ?? {};
  return format(next, { ...options, filepath: readmePath });
}
