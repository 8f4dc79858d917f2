import { describe, expect, it } from 'vitest';
import { BargeInDetector, levelDbfs, PcmFramer } from './pcm-frames.js';

const tone = (length: number, amplitude: number) =>
  Float32Array.from({ length }, (_, i) => Math.sin(i / 3) * amplitude);

describe('PCM framing for the hands-free turn', () => {
  it('cuts blocks of any size into whole frames of 16-bit samples, keeping the rest for later', () => {
    const framer = new PcmFramer(4);
    expect(framer.push(Float32Array.of(0, 0.5, -0.5))).toEqual([]);
    const frames = framer.push(Float32Array.of(1, -1, 2, -2, 0.25, 0.25));
    expect(frames).toEqual([Int16Array.of(0, 16384, -16384, 32767), Int16Array.of(-32768, 32767, -32768, 8192)]);
    expect(framer.push(Float32Array.of(0.25, 0.25, 0.25))).toEqual([Int16Array.of(8192, 8192, 8192, 8192)]);
  });

  it('measures a frame’s level in dBFS', () => {
    expect(levelDbfs(new Int16Array(160))).toBe(-100);
    expect(levelDbfs(Int16Array.from({ length: 160 }, () => 32767))).toBeCloseTo(0, 1);
    expect(levelDbfs(Int16Array.from({ length: 160 }, () => 328))).toBeCloseTo(-40, 0);
  });
});

describe('barge-in', () => {
  const framer = new PcmFramer(1600);
  const loud = framer.push(tone(1600, 0.3))[0]!;
  const quiet = framer.push(tone(1600, 0.001))[0]!;

  it('interrupts after three loud frames in a row, not after one', () => {
    const detector = new BargeInDetector();
    expect([loud, quiet, loud, loud].map((frame) => detector.push(frame))).toEqual([false, false, false, false]);
    expect(detector.push(loud)).toBe(true);
  });

  it('starts counting again after a reset', () => {
    const detector = new BargeInDetector(-35, 2);
    detector.push(loud);
    detector.reset();
    expect(detector.push(loud)).toBe(false);
    expect(detector.push(loud)).toBe(true);
  });
});
