import { ValidationError } from '@tend/core';

/**
 * Audio the service cannot use: garbage, an unsupported codec, silence, too long. It is the
 * caller's input at fault, so it is a ValidationError naming the `audio` field (HTTP 400).
 */
export function badAudio(message: string): ValidationError {
  return ValidationError.field('audio', message);
}

/** What the recognizer hears: 16 kHz mono 16-bit PCM. */
export const engineSampleRate = 16_000;

/** Decoded audio, ready for an engine. */
export interface Pcm {
  /** Mono samples at `sampleRate`. */
  samples: Int16Array;
  sampleRate: number;
}

/** Seconds of audio in `pcm`. */
export function durationOf(pcm: Pcm): number {
  return pcm.samples.length / pcm.sampleRate;
}
