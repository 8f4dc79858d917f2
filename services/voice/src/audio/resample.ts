import type { Pcm } from './audio-errors.js';

/**
 * Resamples mono PCM to `rate`. Downsampling first averages each output sample's span of input
 * (a box filter), which keeps energy above the new Nyquist frequency from folding into the
 * speech band; upsampling interpolates linearly. Enough for speech recognition, which only
 * looks below 8 kHz.
 */
export function resample(pcm: Pcm, rate: number): Pcm {
  if (pcm.sampleRate === rate) return pcm;
  const ratio = pcm.sampleRate / rate;
  const length = Math.floor(pcm.samples.length / ratio);
  const out = new Int16Array(length);
  const input = pcm.samples;
  if (ratio > 1) {
    for (let i = 0; i < length; i++) {
      const start = Math.floor(i * ratio);
      const end = Math.min(input.length, Math.max(start + 1, Math.floor((i + 1) * ratio)));
      let sum = 0;
      for (let j = start; j < end; j++) sum += input[j]!;
      out[i] = Math.round(sum / (end - start));
    }
  } else {
    for (let i = 0; i < length; i++) {
      const position = i * ratio;
      const left = Math.floor(position);
      const right = Math.min(input.length - 1, left + 1);
      const fraction = position - left;
      out[i] = Math.round(input[left]! * (1 - fraction) + input[right]! * fraction);
    }
  }
  return { samples: out, sampleRate: rate };
}
