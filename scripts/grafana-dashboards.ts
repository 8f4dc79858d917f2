// Writes deploy/grafana/dashboards/*.json from the builders in scripts/dashboards/ (Grafana
// Foundation SDK); with --check, fails (exit 1) when a committed file differs from what the
// builders make. `npm run dashboards`, and part of `npm run lint`.
import { mkdir, readFile, readdir, writeFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import type { Dashboard } from '@grafana/grafana-foundation-sdk/dashboard';
import { format, resolveConfig } from 'prettier';
import { infrastructureDashboard } from './dashboards/infrastructure.js';
import { overviewDashboard } from './dashboards/overview.js';
import { serviceDashboards } from './dashboards/services.js';

const dir = fileURLToPath(new URL('../deploy/grafana/dashboards/', import.meta.url));
const dashboards: Record<string, Dashboard> = {
  'tend-overview.json': overviewDashboard(),
  ...serviceDashboards(),
  'tend-infrastructure.json': infrastructureDashboard(),
};

/** Panel ids in layout order: Grafana links, embeds and alerts refer to panels by id, so they must be unique and stable. */
function numbered(dashboard: Dashboard): Dashboard {
  let id = 0;
  const panels = (dashboard.panels ?? []).map((panel) => ({ ...panel, id: ++id }));
  return { ...dashboard, panels };
}

const check = process.argv.includes('--check');
const stale: string[] = [];
await mkdir(dir, { recursive: true });
for (const [name, dashboard] of Object.entries(dashboards)) {
  const path = `${dir}${name}`;
  const fresh = await format(JSON.stringify(numbered(dashboard)), { ...(await resolveConfig(path)), filepath: path });
  const current = await readFile(path, 'utf8').catch(() => '');
  if (fresh === current) continue;
  if (check) stale.push(name);
  else await writeFile(path, fresh);
}
const unknown = (await readdir(dir)).filter((name) => name.endsWith('.json') && !(name in dashboards));
if (check && (stale.length > 0 || unknown.length > 0)) {
  const names = [...stale, ...unknown.map((name) => `${name} (no builder makes it)`)];
  process.stderr.write(`deploy/grafana/dashboards: stale: ${names.join(', ')}; run \`npm run dashboards\`\n`);
  process.exit(1);
}
if (!check) process.stdout.write(`deploy/grafana/dashboards: ${Object.keys(dashboards).length} dashboards written\n`);
