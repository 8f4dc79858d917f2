import { statfs } from 'node:fs/promises';
import { Gauge } from 'prom-client';
import type { Metrics } from './metrics.js';

/**
 * Exports the size and free space of the filesystems holding `paths` (Tend's data directory: the
 * embedded PostgreSQL, speech models), read with `statfs` at each scrape. node_exporter covers the
 * machines of a cluster; this covers the all-in-one process, whose database fills its own disk.
 * A path that cannot be read (removed, not mounted) is left out rather than failing the scrape.
 */
export function watchFilesystems(metrics: Metrics, paths: readonly string[]): void {
  const unique = [...new Set(paths)];
  const gauge = (name: string, help: string, bytes: (stats: { blocks: number; bavail: number }) => number) =>
    new Gauge({
      name,
      help,
      labelNames: ['path'] as const,
      registers: [metrics.registry],
      // The registry collects its metrics concurrently: each gauge reads the filesystem itself.
      async collect() {
        this.reset();
        for (const path of unique) {
          try {
            const stats = await statfs(path);
            this.set({ path }, bytes(stats) * stats.bsize);
          } catch {
            // not there (yet): no series for it
          }
        }
      },
    });
  gauge(
    'tend_filesystem_size_bytes',
    "Size of the filesystem holding a Tend directory, by the directory's path.",
    (s) => s.blocks,
  );
  gauge(
    'tend_filesystem_avail_bytes',
    "Space available to Tend on the filesystem holding a Tend directory, by the directory's path.",
    (s) => s.bavail,
  );
}
