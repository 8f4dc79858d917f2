import { describe, expect, it } from 'vitest';
import { modulesFor, servicesRunning } from './module-graph.js';

describe('the module graph', () => {
  it('runs a target with its dependencies first, and nothing else', () => {
    expect(modulesFor(['voice'])).toEqual(['database', 'event-bus', 'voice']);
    expect(modulesFor(['health'])).toEqual(['database', 'cache', 'event-bus', 'health']);
    expect(modulesFor(['all'])).toContain('gateway');
  });

  it('refuses an unknown target by name', () => {
    expect(() => modulesFor(['billing'])).toThrow('unknown target "billing"');
  });

  it('says which services run a shared part', () => {
    expect(servicesRunning('database').sort()).toEqual([
      'conversation',
      'external',
      'gateway',
      'health',
      'notification',
      'voice',
    ]);
    expect(servicesRunning('gateway')).toEqual(['gateway']);
  });
});
