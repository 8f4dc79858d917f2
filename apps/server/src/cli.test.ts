import { describe, expect, it } from 'vitest';
import { parseCommand } from './cli.js';

describe('parseCommand', () => {
  it('serves everything by default', () => {
    expect(parseCommand([])).toEqual({ kind: 'serve', targets: ['all'] });
    expect(parseCommand(['serve'])).toEqual({ kind: 'serve', targets: ['all'] });
  });

  it('takes a comma-separated or repeated target list', () => {
    expect(parseCommand(['serve', '--target=health,conversation'])).toEqual({
      kind: 'serve',
      targets: ['health', 'conversation'],
    });
    expect(parseCommand(['serve', '-t', 'health', '--target', 'voice'])).toEqual({
      kind: 'serve',
      targets: ['health', 'voice'],
    });
  });

  it('rejects unknown commands and flags naming them', () => {
    expect(() => parseCommand(['migrate'])).toThrow('unknown command "migrate"');
    expect(() => parseCommand(['serve', '--port=1'])).toThrow(/port/);
  });

  it('asks for the effective configuration of some targets with config --print', () => {
    expect(parseCommand(['config', '--print', '--target=voice'])).toEqual({ kind: 'config', targets: ['voice'] });
    expect(() => parseCommand(['config'])).toThrow('--print');
    expect(() => parseCommand(['serve', '--print'])).toThrow('--print');
  });
});
