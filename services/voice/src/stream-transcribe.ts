import type { MessageInitShape } from '@bufbuild/protobuf';
import { ValidationError } from '@tend/core';
import type { Caller } from '@tend/proto/tend/common/v1/common';
import {
  AudioEncoding,
  type AudioFormat,
  type StreamTranscribeRequest,
  type StreamTranscribeResponseSchema,
} from '@tend/proto/tend/voice/v1/voice';
import { EnergyVad } from './audio/vad.js';
import type { Transcript } from './engines/engine.js';
import { VoiceBusyError } from './work-pool.js';

/** What a transcription stream needs from the service. */
export interface StreamTranscriber {
  transcribe(
    caller: Caller | undefined,
    audio: Uint8Array,
    format: AudioFormat | undefined,
    language: string,
    hints: readonly string[],
  ): Promise<Transcript>;
  /** Audio accepted per stream. */
  maxBytes: number;
  /** Audio gathered between partial transcripts. @default 1 s of 16 kHz PCM (32 KB) */
  partialEveryBytes?: number;
  /** Quiet after speech that ends a hands-free utterance. @default 500 */
  hangoverMs?: number;
  /**
   * A pause this long starts recognising what was said so far, so that the transcript is ready,
   * or nearly, when the hangover ends; speech going on discards it. @default 200
   */
  speculateAfterMs?: number;
  /** False while speech work is waiting: partials then wait for a free moment. @default always true */
  idle?: () => boolean;
}

/**
 * Streams transcripts while audio arrives: after each further second of audio, a partial
 * transcript of everything so far (skipped, not queued, when the pool is busy: partials are a
 * courtesy); when the client closes its side, the final one. Decoding the whole so far each time
 * keeps containers such as WebM, whose frames cannot be decoded alone, working.
 */
export async function* streamTranscripts(
  requests: AsyncIterable<StreamTranscribeRequest>,
  transcriber: StreamTranscriber,
): AsyncGenerator<MessageInitShape<typeof StreamTranscribeResponseSchema>> {
  let config: Extract<StreamTranscribeRequest['event'], { case: 'config' }>['value'] | undefined;
  const chunks: Uint8Array[] = [];
  let size = 0;
  let sinceLast = 0;
  const every = transcriber.partialEveryBytes ?? 32_000;
  let partial: Promise<Transcript | undefined> | undefined;
  let lastPartial = '';
  const joined = () => Buffer.concat(chunks);
  let vad: EnergyVad | undefined;
  let endedAtMs = 0;
  // The final transcript started early, in a pause, and the speech it heard up to then.
  let speculation: { voicedFrames: number; transcript: Promise<Transcript | undefined> } | undefined;

  for await (const request of requests) {
    if (request.event.case === 'config') {
      if (config) throw ValidationError.field('config', 'must be sent once, first');
      config = request.event.value;
      if (config.detectEndOfSpeech) {
        if (config.format?.encoding !== AudioEncoding.PCM_S16LE) {
          throw ValidationError.field('config.format', 'end-of-speech detection needs 16-bit PCM (PCM_S16LE)');
        }
        vad = new EnergyVad({
          sampleRate: config.format.sampleRateHz || 16_000,
          hangoverMs: transcriber.hangoverMs ?? 500,
        });
      }
      continue;
    }
    if (request.event.case !== 'audio') continue;
    if (!config) throw ValidationError.field('config', 'must come before any audio');
    size += request.event.value.length;
    if (size > transcriber.maxBytes)
      throw ValidationError.field('audio', `is larger than ${transcriber.maxBytes} bytes`);
    chunks.push(request.event.value);
    sinceLast += request.event.value.length;
    if (vad) {
      const chunk = request.event.value;
      const aligned = new Uint8Array(chunk.subarray(0, chunk.length - (chunk.length % 2)));
      const ended = vad
        .push(new Int16Array(aligned.buffer, 0, aligned.length / 2))
        .find((e) => e.type === 'speech-end');
      if (speculation && speculation.voicedFrames !== vad.voicedFrames) speculation = undefined;
      if (ended) {
        endedAtMs = ended.atMs;
        break;
      }
      if (!speculation && vad.pauseMs >= (transcriber.speculateAfterMs ?? 200) && (transcriber.idle?.() ?? true)) {
        const { caller, format, language, phraseHints } = config;
        speculation = {
          voicedFrames: vad.voicedFrames,
          // A failed guess costs nothing: the final is then transcribed as usual.
          transcript: transcriber.transcribe(caller, joined(), format, language, phraseHints).catch(() => undefined),
        };
      }
    }
    // Partials only in a free moment, and not during the hangover: the final one is what counts.
    if (sinceLast >= every && !partial && (transcriber.idle?.() ?? true) && (vad?.speaking ?? true)) {
      sinceLast = 0;
      const { caller, format, language, phraseHints } = config;
      partial = transcriber.transcribe(caller, joined(), format, language, phraseHints).catch((error: unknown) => {
        if (error instanceof VoiceBusyError || error instanceof ValidationError) return undefined;
        throw error;
      });
    }
    if (partial) {
      const settled = await Promise.race([partial, Promise.resolve('pending' as const)]);
      if (settled !== 'pending') {
        partial = undefined;
        if (settled && settled.text !== lastPartial) {
          lastPartial = settled.text;
          yield { text: settled.text, isFinal: false, confidence: settled.confidence };
        }
      }
    }
  }
  if (!config) throw ValidationError.field('config', 'is required');
  // A partial still running is not waited for when speech has ended: the final matters now.
  if (!endedAtMs) await partial;
  const { caller, format, language, phraseHints } = config;
  // Speech ended without a word since the pause began: the early transcript heard all of it.
  const speculated = endedAtMs ? await speculation?.transcript : undefined;
  const final = speculated ?? (await transcriber.transcribe(caller, joined(), format, language, phraseHints));
  yield {
    text: final.text,
    isFinal: true,
    confidence: final.confidence,
    language: final.language,
    provider: final.engine,
    speechEndedAtMs: endedAtMs,
  };
}
