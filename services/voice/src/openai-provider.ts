import { z } from 'zod';
import { UnavailableError } from '@tend/core';
import { encodeWav, decodeWav } from './audio/wav.js';
import type { Pcm } from './audio/audio-errors.js';
import type { Recognizer, Speech, Synthesizer, Transcript, VoiceInfo, VoiceLanguage } from './engines/engine.js';

/** An OpenAI-compatible audio endpoint (a self-hosted Whisper server, or a cloud). */
export interface OpenAiAudioSettings {
  /** Up to and with `/v1`, e.g. `http://whisper.internal:8000/v1`. */
  baseUrl: string;
  apiKey?: string;
  /** @default whisper-1 */
  transcriptionModel?: string;
  /** @default tts-1 */
  speechModel?: string;
  /** @default alloy */
  speechVoice?: string;
}

const transcriptionSchema = z.object({
  text: z.string(),
  language: z.string().optional(),
  segments: z.array(z.object({ text: z.string(), start: z.number(), end: z.number() })).optional(),
});

/**
 * Recognition by `POST /audio/transcriptions` (multipart, `verbose_json`); the person's
 * medication names go in the `prompt`, which is how Whisper is biased towards words.
 */
export class OpenAiRecognizer implements Recognizer {
  readonly name = 'openai-compatible';
  constructor(readonly settings: OpenAiAudioSettings) {}

  languages(): VoiceLanguage[] {
    return ['en', 'zh'];
  }

  async transcribe(
    pcm: Pcm,
    language: VoiceLanguage | undefined,
    hints: readonly string[],
    signal?: AbortSignal,
  ): Promise<Transcript> {
    const form = new FormData();
    form.append('file', new Blob([encodeWav(pcm)], { type: 'audio/wav' }), 'speech.wav');
    form.append('model', this.settings.transcriptionModel ?? 'whisper-1');
    form.append('response_format', 'verbose_json');
    if (language) form.append('language', language);
    if (hints.length > 0) form.append('prompt', hints.join(', '));
    const response = await fetch(`${this.settings.baseUrl}/audio/transcriptions`, {
      method: 'POST',
      body: form,
      headers: authorization(this.settings),
      signal,
    });
    if (!response.ok) throw new UnavailableError(this.name, `transcription provider answered ${response.status}`);
    const body = transcriptionSchema.parse(await response.json());
    const heard =
      body.language?.toLowerCase().startsWith('zh') || body.language === 'chinese' ? 'zh' : (language ?? 'en');
    return {
      text: body.text.trim(),
      language: heard,
      confidence: 1,
      segments: (body.segments ?? []).map((s) => ({ text: s.text.trim(), startSeconds: s.start, endSeconds: s.end })),
      engine: this.name,
    };
  }
}

/** Synthesis by `POST /audio/speech` asking for WAV. */
export class OpenAiSynthesizer implements Synthesizer {
  readonly name = 'openai-compatible';
  constructor(readonly settings: OpenAiAudioSettings) {}

  voices(): VoiceInfo[] {
    const id = this.settings.speechVoice ?? 'alloy';
    return (['en', 'zh'] as const).map((language) => ({
      id,
      language,
      description: `provider voice ${id}`,
      engine: this.name,
    }));
  }

  async synthesize(
    text: string,
    _language: VoiceLanguage,
    voice: string | undefined,
    signal?: AbortSignal,
  ): Promise<Speech> {
    const chosen = voice ?? this.settings.speechVoice ?? 'alloy';
    const response = await fetch(`${this.settings.baseUrl}/audio/speech`, {
      method: 'POST',
      headers: { ...authorization(this.settings), 'content-type': 'application/json' },
      body: JSON.stringify({
        model: this.settings.speechModel ?? 'tts-1',
        input: text,
        voice: chosen,
        response_format: 'wav',
      }),
      signal,
    });
    if (!response.ok) throw new UnavailableError(this.name, `speech provider answered ${response.status}`);
    return { pcm: decodeWav(new Uint8Array(await response.arrayBuffer())), engine: this.name, voice: chosen };
  }
}

function authorization(settings: OpenAiAudioSettings): Record<string, string> {
  return settings.apiKey ? { authorization: `Bearer ${settings.apiKey}` } : {};
}
