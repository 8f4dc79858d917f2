import type { Pcm } from '../audio/audio-errors.js';

/** The languages Tend speaks. */
export type VoiceLanguage = 'en' | 'zh';

/** One recognized word or phrase with its time in the audio. */
export interface Segment {
  text: string;
  startSeconds: number;
  endSeconds: number;
}

/** What a recognizer heard. */
export interface Transcript {
  text: string;
  language: VoiceLanguage;
  /** 0..1 as the engine reports it. */
  confidence: number;
  segments: Segment[];
  /** Which engine answered, e.g. `pocketsphinx`. */
  engine: string;
}

/** A speech recognizer: local engine or remote provider. */
export interface Recognizer {
  readonly name: string;
  /** Languages it can recognise now (an engine missing its model has none). */
  languages(): VoiceLanguage[];
  /**
   * Transcribes one utterance (16 kHz mono). `hints` are words to expect, such as the
   * person's medication names.
   */
  transcribe(
    pcm: Pcm,
    language: VoiceLanguage | undefined,
    hints: readonly string[],
    signal?: AbortSignal,
  ): Promise<Transcript>;
}

/** A voice a synthesizer offers. */
export interface VoiceInfo {
  id: string;
  language: VoiceLanguage;
  description: string;
  engine: string;
}

/** Speech synthesized from text. */
export interface Speech {
  pcm: Pcm;
  engine: string;
  voice: string;
}

/** A speech synthesizer. */
export interface Synthesizer {
  readonly name: string;
  voices(): VoiceInfo[];
  synthesize(text: string, language: VoiceLanguage, voice: string | undefined, signal?: AbortSignal): Promise<Speech>;
}

/**
 * A speech engine this machine lacks (a binary or model not installed). The voice service
 * answers FAILED_PRECONDITION naming it, and its health check does not say SERVING.
 */
export class EngineMissingError extends Error {
  override name = 'EngineMissingError';
  constructor(
    readonly what: string,
    opts?: ErrorOptions,
  ) {
    super(`speech engine unavailable: ${what}`, opts);
  }
}
