import { resolveModules, type ConfigTarget } from '@tend/core/bootstrap';

/**
 * Which modules each module needs, and which can be asked for with `--target`. The server
 * builds its modules in this order, and the configuration loader asks it which modules a
 * process runs, so a process reads only their variables. Adding a service: one line here.
 */
export const moduleGraph = {
  database: { deps: [], target: false },
  cache: { deps: [], target: false },
  'event-bus': { deps: [], target: false },
  'rate-limit': { deps: [], target: false },
  health: { deps: ['database', 'cache', 'event-bus'], target: true },
  voice: { deps: ['database', 'event-bus'], target: true },
  conversation: { deps: ['database', 'cache', 'event-bus'], target: true },
  notification: { deps: ['database', 'event-bus'], target: true },
  external: { deps: ['database', 'cache', 'event-bus'], target: true },
  gateway: { deps: ['database', 'cache', 'rate-limit', 'event-bus'], target: true },
  // The gateway last: it takes traffic only once the services behind it are up.
  all: { deps: ['voice', 'conversation', 'health', 'notification', 'external', 'gateway'], target: true },
} as const satisfies Record<string, { deps: readonly string[]; target: boolean }>;

export type ModuleName = keyof typeof moduleGraph;

/**
 * The modules a process with `targets` runs, dependencies first; an unknown target is a
 * `ConfigError` naming it.
 */
export function modulesFor(targets: readonly string[]): ModuleName[] {
  const definitions = Object.entries(moduleGraph).map(([name, { deps, target }]) => ({
    name,
    deps,
    target,
    init: async () => undefined,
  }));
  return resolveModules(definitions, targets).map((m) => m.name as ModuleName);
}

/**
 * The targets (services) that run a module, for the README: `database` is read by every
 * service that depends on it.
 */
export function servicesRunning(module: ConfigTarget): string[] {
  const services = Object.entries(moduleGraph)
    .filter(([name, { target }]) => target && name !== 'all')
    .map(([name]) => name);
  return services.filter((service) => (modulesFor([service]) as string[]).includes(module));
}
