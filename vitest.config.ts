import { defineConfig } from 'vitest/config';

const sources = ['packages/*/src/**', 'services/*/src/**', 'apps/*/src/**'];

/**
 * Three suites: `unit` (no I/O, beside the code), `int` (real PostgreSQL / Redis / Kafka from
 * scripts/infra.sh, and the embedded parts), `e2e` (the whole system through the gateway).
 */
export default defineConfig({
  test: {
    projects: [
      {
        test: {
          name: 'unit',
          // bench/: the pure parts of benchmarks (the chaos verdict), so their pass rules are tested.
          include: [
            ...sources.map((dir) => `${dir}/*.test.ts`),
            // The web app's component tests render React (happy-dom, set per file).
            'apps/web/src/**/*.test.tsx',
            'bench/**/*.test.ts',
          ],
          exclude: ['**/*.int.test.ts', '**/node_modules/**'],
        },
      },
      {
        test: {
          name: 'int',
          include: sources.map((dir) => `${dir}/*.int.test.ts`),
          testTimeout: 60_000,
          hookTimeout: 120_000,
          // Suites share real servers; files run one after another to keep 2 cores responsive.
          fileParallelism: false,
        },
      },
      {
        test: {
          name: 'e2e',
          include: ['e2e/**/*.test.ts'],
          testTimeout: 60_000,
          hookTimeout: 120_000,
          fileParallelism: false,
        },
      },
    ],
  },
});
