import { ValidationError, type Logger, type ResiliencePolicy } from '@tend/core';
import type { Pcm } from './audio/audio-errors.js';
import type { Recognizer, Speech, Synthesizer, Transcript, VoiceInfo, VoiceLanguage } from './engines/engine.js';

/** The engines the service uses: local ones always, a provider in front when configured. */
export interface SpeechEngineSet {
  localRecognizer: Recognizer;
  localSynthesizer: Synthesizer;
  /** What the local engines lack; empty when both work. */
  missing: () => string[];
  providerRecognizer?: Recognizer;
  providerSynthesizer?: Synthesizer;
  /** The breaker and timeout around the provider. */
  providerPolicy?: ResiliencePolicy;
  logger: Logger;
}

/**
 * Chooses who answers: the provider when one is configured and its breaker is closed, the local
 * engine when there is none, or when it fails, times out or its breaker is open. Each answer
 * names the engine that produced it.
 */
export class SpeechEngines {
  constructor(readonly set: SpeechEngineSet) {}

  /** Languages recognised now. */
  recognitionLanguages(): VoiceLanguage[] {
    const local = this.set.localRecognizer.languages();
    const remote = this.set.providerRecognizer?.languages() ?? [];
    return [...new Set([...remote, ...local])];
  }

  voices(): VoiceInfo[] {
    return [...(this.set.providerSynthesizer?.voices() ?? []), ...this.set.localSynthesizer.voices()];
  }

  async transcribe(
    pcm: Pcm,
    language: VoiceLanguage | undefined,
    hints: readonly string[],
    signal?: AbortSignal,
  ): Promise<Transcript> {
    const { providerRecognizer: provider, providerPolicy: policy } = this.set;
    if (provider && policy) {
      try {
        return await policy.executeOnce((inner) => provider.transcribe(pcm, language, hints, anySignal(signal, inner)));
      } catch (error) {
        this.set.logger.warn({ err: error }, 'transcription provider failed; the local engine answers');
      }
    }
    return this.set.localRecognizer.transcribe(pcm, language, hints, signal);
  }

  async synthesize(
    text: string,
    language: VoiceLanguage,
    voice: string | undefined,
    signal?: AbortSignal,
  ): Promise<Speech> {
    const { providerSynthesizer: provider, providerPolicy: policy } = this.set;
    const local = this.set.localSynthesizer;
    const localVoice = local.voices().some((v) => v.id === voice) ? voice : undefined;
    if (provider && policy && (voice === undefined || localVoice === undefined)) {
      try {
        return await policy.executeOnce((inner) =>
          provider.synthesize(text, language, voice, anySignal(signal, inner)),
        );
      } catch (error) {
        this.set.logger.warn({ err: error }, 'speech provider failed; the local engine answers');
      }
    }
    if (voice !== undefined && localVoice === undefined && !provider) {
      throw ValidationError.field('voice', `"${voice}" is not a voice of this service (see ListVoices)`);
    }
    return local.synthesize(text, language, localVoice, signal);
  }
}

function anySignal(a: AbortSignal | undefined, b: AbortSignal): AbortSignal {
  return a ? AbortSignal.any([a, b]) : b;
}
