import { describe, expect, it } from 'vitest';
import { ConfigError } from '../errors/errors.js';
import { ModuleRunner, resolveModules, type ModuleDefinition } from './modules.js';
import { BaseService } from './service.js';

class Recorder extends BaseService {
  constructor(
    name: string,
    private readonly log: string[],
    private readonly failOnStart = false,
  ) {
    super(name);
  }
  protected async doStart(): Promise<void> {
    if (this.failOnStart) throw new Error(`${this.name} cannot start`);
    this.log.push(`start ${this.name}`);
  }
  protected async doStop(): Promise<void> {
    this.log.push(`stop ${this.name}`);
  }
}

function modules(log: string[], failing?: string): ModuleDefinition[] {
  const make = (name: string, deps: string[], target: boolean): ModuleDefinition => ({
    name,
    deps,
    target,
    init: async () => new Recorder(name, log, name === failing),
  });
  return [
    make('database', [], false),
    make('cache', [], false),
    make('health', ['database', 'cache'], true),
    make('gateway', ['cache'], true),
    { name: 'all', deps: ['health', 'gateway'], target: true, init: async () => undefined },
  ];
}

describe('resolveModules', () => {
  it('orders dependencies first and includes each module once', () => {
    const names = resolveModules(modules([]), ['all']).map((m) => m.name);
    expect(names).toEqual(['database', 'cache', 'health', 'gateway', 'all']);
  });

  it('runs a single target with only what it needs', () => {
    expect(resolveModules(modules([]), ['gateway']).map((m) => m.name)).toEqual(['cache', 'gateway']);
  });

  it('refuses infrastructure and unknown names as targets', () => {
    expect(() => resolveModules(modules([]), ['database'])).toThrow(ConfigError);
    expect(() => resolveModules(modules([]), ['billing'])).toThrow(
      /unknown target "billing"; choose from health, gateway, all/,
    );
  });

  it('reports a dependency cycle', () => {
    const cyclic: ModuleDefinition[] = [
      { name: 'a', deps: ['b'], target: true, init: async () => undefined },
      { name: 'b', deps: ['a'], target: false, init: async () => undefined },
    ];
    expect(() => resolveModules(cyclic, ['a'])).toThrow(/cycle: a -> b -> a/);
  });
});

describe('ModuleRunner', () => {
  it('starts in dependency order and stops in reverse', async () => {
    const log: string[] = [];
    const runner = new ModuleRunner(resolveModules(modules(log), ['all']));
    await runner.start();
    await runner.stop();
    expect(log).toEqual([
      'start database',
      'start cache',
      'start health',
      'start gateway',
      'stop gateway',
      'stop health',
      'stop cache',
      'stop database',
    ]);
  });

  it('stops what already started, and the failed module itself to release what it holds, when a module fails', async () => {
    const log: string[] = [];
    const runner = new ModuleRunner(resolveModules(modules(log, 'health'), ['all']));
    await expect(runner.start()).rejects.toThrow('health cannot start');
    expect(log).toEqual(['start database', 'start cache', 'stop health', 'stop cache', 'stop database']);
  });
});
