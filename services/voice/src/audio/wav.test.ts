import { describe, expect, it } from 'vitest';
import { decodeWav, encodeWav } from './wav.js';
import { resample } from './resample.js';
import { isSilent } from './decode.js';

describe('WAV', () => {
  it('reads back what it wrote, sample for sample', () => {
    const samples = Int16Array.from({ length: 1000 }, (_, i) => Math.round(Math.sin(i / 10) * 10_000));
    const decoded = decodeWav(encodeWav({ samples, sampleRate: 16_000 }));
    expect(decoded.sampleRate).toBe(16_000);
    expect([...decoded.samples]).toEqual([...samples]);
  });

  it('mixes stereo down to mono', () => {
    const stereo = encodeWav({ samples: Int16Array.from([1000, 3000, -2000, 0]), sampleRate: 8000 });
    // Rewrite the header as 2 channels of the same data: frames (1000,3000) and (-2000,0).
    const view = new DataView(stereo.buffer);
    view.setUint16(22, 2, true);
    view.setUint16(32, 4, true);
    const mono = decodeWav(stereo);
    expect([...mono.samples]).toEqual([2000, -1000]);
  });

  it('refuses a codec it cannot read, naming it', () => {
    const file = encodeWav({ samples: new Int16Array(10), sampleRate: 16_000 });
    new DataView(file.buffer).setUint16(20, 0x55, true);
    expect(() => decodeWav(file)).toThrow(/WAVE codec 85/);
  });

  it('refuses bytes that are not a WAVE file', () => {
    expect(() => decodeWav(new TextEncoder().encode('hello, this is not audio'))).toThrow(/not a RIFF\/WAVE file/);
  });
});

describe('resampling and silence', () => {
  it('halves the sample count from 32 kHz to 16 kHz and keeps a steady level', () => {
    const out = resample({ samples: new Int16Array(3200).fill(1000), sampleRate: 32_000 }, 16_000);
    expect(out.samples.length).toBe(1600);
    expect(out.samples.every((s) => s === 1000)).toBe(true);
  });

  it('tells digital silence and faint hiss from speech-level sound', () => {
    expect(isSilent({ samples: new Int16Array(16_000), sampleRate: 16_000 })).toBe(true);
    const hiss = Int16Array.from({ length: 16_000 }, (_, i) => (i % 2 ? 3 : -3));
    expect(isSilent({ samples: hiss, sampleRate: 16_000 })).toBe(true);
    const tone = Int16Array.from({ length: 16_000 }, (_, i) => Math.round(Math.sin(i / 5) * 5000));
    expect(isSilent({ samples: tone, sampleRate: 16_000 })).toBe(false);
  });
});
