// @ts-check
import js from '@eslint/js';
import globals from 'globals';
import tseslint from 'typescript-eslint';
import { importX } from 'eslint-plugin-import-x';
import { createTypeScriptImportResolver } from 'eslint-import-resolver-typescript';
import { existsSync, readdirSync } from 'node:fs';

// The boundaries of ARCHITECTURE.md's code map, as rules. Written over folder patterns, so a new
// service, package or app is covered the day its folder appears.
const services = readdirSync(new URL('./services', import.meta.url), { withFileTypes: true })
  .filter((entry) => entry.isDirectory())
  .map((entry) => entry.name);

/** Every workspace with a package.json: each declares what its files import. */
const workspaces = ['packages', 'services', 'apps'].flatMap((dir) =>
  readdirSync(new URL(`./${dir}`, import.meta.url), { withFileTypes: true })
    .filter(
      (entry) => entry.isDirectory() && existsSync(new URL(`./${dir}/${entry.name}/package.json`, import.meta.url)),
    )
    .map((entry) => `${dir}/${entry.name}`)
    .filter((workspace) => workspace !== 'apps/web'),
);

/**
 * A workspace imports only what its own package.json declares (tests and test harnesses may use
 * its devDependencies and the root's tools, such as Vitest), so each package's dependencies match
 * its imports and a split package cannot lean on what a sibling happens to install.
 */
const declaredDependencies = workspaces.map((workspace) => ({
  files: [`${workspace}/src/**`],
  rules: {
    'import-x/no-extraneous-dependencies': [
      'error',
      {
        packageDir: [`./${workspace}`, '.'],
        // config-docs.ts writes the README at development time (npm run config:docs), with prettier.
        devDependencies: ['**/*.test.ts', '**/src/testing/**', '**/*test-support.ts', 'apps/server/src/config-docs.ts'],
        optionalDependencies: false,
        peerDependencies: false,
        includeTypes: true,
      },
    ],
  },
}));

/** Import specifiers nobody may use: another package's files by path or past its exports. */
const packageByPath = [
  { group: ['@tend/*/src/*', '@tend/*/src'], message: 'Import a package by its declared exports.' },
  {
    group: ['../../services/*', '../../../services/*', '../../packages/*', '../../../packages/*'],
    message: 'Import another package by name, not by path.',
  },
];

/**
 * A service never imports another service. Its integration tests and test harness may start
 * another service in-process through that service's `testing` entry, as e2e/ does.
 */
const serviceZones = (exceptTesting) =>
  services.map((service) => ({
    target: exceptTesting
      ? [`./services/${service}/src/**/*.int.test.ts`, `./services/${service}/src/testing/**`]
      : `./services/${service}`,
    from: './services',
    except: exceptTesting ? [`./${service}`, ...services.map((other) => `./${other}/src/testing`)] : [`./${service}`],
    message: 'A service never imports another service: call its proto client over infra.transportTo(...).',
  }));

/** Resolved-path zones: who must not import whom, whatever the specifier. */
const boundaryZones = [
  ...serviceZones(false),
  {
    target: './services',
    from: './apps',
    message: 'Services do not know the binary or the web app that run them.',
  },
  {
    target: './packages',
    from: ['./services', './apps'],
    message: 'Packages are libraries under the services: they never import a service or an app.',
  },
  {
    target: './apps/web',
    from: [
      './services',
      './packages/core',
      './packages/rpc',
      './packages/db',
      './packages/events',
      './packages/cache',
      './packages/testing',
    ],
    message: 'The web app runs in a browser and talks to the gateway over HTTP only.',
  },
];

export default tseslint.config(
  {
    ignores: [
      '**/node_modules/**',
      'packages/proto/src/gen/**',
      'apps/web/src/api/schema.gen.ts',
      '.infra/**',
      '.tend/**',
      // The deployment checks' own tools (.ci/deploy-checks).
      '.ci/.tools/**',
      // The contract fuzzer's Python environment (scripts/contract-fuzz.sh).
      '.ci/venv/**',
      'schemathesis-report/**',
      '**/dist/**',
    ],
  },
  js.configs.recommended,
  ...tseslint.configs.recommendedTypeChecked,
  {
    languageOptions: {
      parserOptions: { projectService: true, tsconfigRootDir: import.meta.dirname },
    },
    plugins: { 'import-x': importX },
    settings: { 'import-x/resolver-next': [createTypeScriptImportResolver({ project: './tsconfig.json' })] },
    rules: {
      '@typescript-eslint/no-floating-promises': 'error',
      '@typescript-eslint/consistent-type-imports': ['error', { fixStyle: 'inline-type-imports' }],
      '@typescript-eslint/switch-exhaustiveness-check': 'error',
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      '@typescript-eslint/no-non-null-assertion': 'off',
      '@typescript-eslint/require-await': 'off',
      // Rethrowing what was caught keeps its type unknown; that is not throwing a non-error.
      '@typescript-eslint/only-throw-error': ['error', { allowThrowingUnknown: true }],
      'import-x/no-cycle': 'error',
      // Packages talk through their declared exports only: no reaching into another package's files.
      'no-restricted-imports': ['error', { patterns: packageByPath }],
      'import-x/no-restricted-paths': ['error', { zones: boundaryZones }],
    },
  },
  ...declaredDependencies,
  {
    files: ['**/*.js', '**/*.mjs'],
    ...tseslint.configs.disableTypeChecked,
    languageOptions: { ...tseslint.configs.disableTypeChecked.languageOptions, globals: globals.node },
  },
  {
    // Whole-system tests and benchmarks use what a package exports (`@tend/health/testing`,
    // `@tend/conversation/testing`), never a service's or package's files by path.
    files: ['e2e/**', 'bench/**'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          patterns: [
            ...packageByPath,
            {
              group: ['../services/**', '../packages/**', '../apps/**'],
              message: 'Use the package entry point (e.g. @tend/<name>/testing), not its files by path.',
            },
          ],
        },
      ],
    },
  },
  {
    files: ['services/*/src/**/*.int.test.ts', 'services/*/src/testing/**'],
    rules: {
      'import-x/no-restricted-paths': [
        'error',
        { zones: [...serviceZones(true), ...boundaryZones.slice(services.length)] },
      ],
    },
  },
  {
    files: ['**/*.test.ts', 'e2e/**', 'bench/**'],
    rules: {
      '@typescript-eslint/no-unsafe-assignment': 'off',
      '@typescript-eslint/no-unsafe-member-access': 'off',
      '@typescript-eslint/no-unsafe-argument': 'off',
      '@typescript-eslint/no-unsafe-call': 'off',
    },
  },
);
