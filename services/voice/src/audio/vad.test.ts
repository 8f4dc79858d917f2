import { describe, expect, it } from 'vitest';
import { EnergyVad } from './vad.js';

const rate = 16_000;
const quiet = (ms: number) => Int16Array.from({ length: (rate * ms) / 1000 }, (_, i) => (i % 7) - 3);
const voice = (ms: number) =>
  Int16Array.from({ length: (rate * ms) / 1000 }, (_, i) => Math.round(Math.sin(i / 4) * 6000));

describe('energy VAD', () => {
  it('finds speech after a short voiced run and its end after the hangover', () => {
    const vad = new EnergyVad({ hangoverMs: 600 });
    expect(vad.push(quiet(500))).toEqual([]);
    const start = vad.push(voice(1000));
    expect(start).toHaveLength(1);
    expect(start[0]!.type).toBe('speech-start');
    expect(start[0]!.atMs).toBeGreaterThanOrEqual(450);
    expect(vad.push(quiet(300))).toEqual([]);
    const end = vad.push(quiet(400));
    expect(end.map((e) => e.type)).toEqual(['speech-end']);
    expect(end[0]!.atMs).toBeGreaterThanOrEqual(1500 + 600 - 30);
  });

  it('keeps a pause shorter than the hangover inside one utterance', () => {
    const vad = new EnergyVad({ hangoverMs: 600 });
    const events = [...vad.push(voice(500)), ...vad.push(quiet(300)), ...vad.push(voice(500))];
    expect(events.map((e) => e.type)).toEqual(['speech-start']);
    expect(vad.speaking).toBe(true);
  });

  it('ignores a click shorter than the start time', () => {
    const vad = new EnergyVad();
    expect([...vad.push(quiet(300)), ...vad.push(voice(30)), ...vad.push(quiet(300))]).toEqual([]);
  });
});
