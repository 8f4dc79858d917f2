import { ConfigError } from '../errors/errors.js';
import { stopInReverse, type Lifecycle } from './service.js';

/**
 * A named part of the binary. Targets (the services, `all`) can be asked for on the command
 * line; the rest (database, cache, event bus) are infrastructure that only comes in as a
 * dependency.
 */
export interface ModuleDefinition {
  name: string;
  deps: readonly string[];
  target: boolean;
  /** Builds the module once its dependencies run; returns what must be started and stopped. */
  init(): Promise<Lifecycle | undefined>;
}

/** The modules needed for `targets`, dependencies first, each once. */
export function resolveModules(
  definitions: readonly ModuleDefinition[],
  targets: readonly string[],
): ModuleDefinition[] {
  const byName = new Map(definitions.map((d) => [d.name, d]));
  const knownTargets = definitions.filter((d) => d.target).map((d) => d.name);
  const ordered: ModuleDefinition[] = [];
  const state = new Map<string, 'visiting' | 'done'>();
  const visit = (name: string, path: string[]): void => {
    const definition = byName.get(name);
    if (!definition) throw new Error(`module ${path.join(' -> ')} depends on unknown module "${name}"`);
    const seen = state.get(name);
    if (seen === 'done') return;
    if (seen === 'visiting') throw new Error(`module dependency cycle: ${[...path, name].join(' -> ')}`);
    state.set(name, 'visiting');
    for (const dep of definition.deps) visit(dep, [...path, name]);
    state.set(name, 'done');
    ordered.push(definition);
  };
  if (targets.length === 0)
    throw new ConfigError('--target', `no target given; choose from ${knownTargets.join(', ')}`);
  for (const target of targets) {
    const definition = byName.get(target);
    if (!definition?.target) {
      throw new ConfigError('--target', `unknown target "${target}"; choose from ${knownTargets.join(', ')}`);
    }
    visit(target, []);
  }
  return ordered;
}

/**
 * Runs modules: starts them in dependency order and stops them in reverse. A failure while
 * starting stops what already started, and the failed part itself (it may hold a half-opened
 * resource), before the error goes up.
 */
export class ModuleRunner {
  readonly #started: { name: string; part: Lifecycle }[] = [];

  constructor(
    readonly modules: readonly ModuleDefinition[],
    private readonly onEvent: (event: { module: string; phase: 'started' | 'stopped'; ms: number }) => void = () => {},
  ) {}

  async start(): Promise<void> {
    for (const module of this.modules) {
      const began = performance.now();
      try {
        const part = await module.init();
        if (part) {
          this.#started.push({ name: module.name, part });
          await part.start();
        }
      } catch (error) {
        await this.stop().catch(() => undefined);
        throw error;
      }
      this.onEvent({ module: module.name, phase: 'started', ms: Math.round(performance.now() - began) });
    }
  }

  /** Stops every started module in reverse order; the first error is rethrown after all tried. */
  async stop(): Promise<void> {
    await stopInReverse(this.#started, async ({ name, part }) => {
      const began = performance.now();
      try {
        await part.stop();
      } finally {
        this.onEvent({ module: name, phase: 'stopped', ms: Math.round(performance.now() - began) });
      }
    });
  }
}
