import os from 'node:os';
import { fileURLToPath } from 'node:url';
import { create } from '@bufbuild/protobuf';
import { Code, ConnectError } from '@connectrpc/connect';
import { OutboxRelay, topics, writeWithEvents, type EventBus } from '@tend/events';
import {
  TaskService,
  UnauthenticatedError,
  ValidationError,
  createResiliencePolicy,
  randomIds,
  systemClock,
  toConnectError,
  type Clock,
  type Ids,
  type Logger,
  type Metrics,
} from '@tend/core';
import { type Database } from '@tend/db';
import { type GrpcServiceModule } from '@tend/rpc';
import type { Caller } from '@tend/proto/tend/common/v1/common';
import {
  AudioEncoding,
  ListVoicesResponseSchema,
  SynthesizeRequestSchema,
  SynthesizeResponseSchema,
  TranscribeResponseSchema,
  VoiceService,
  type AudioFormat,
  type SynthesizeRequest,
} from '@tend/proto/tend/voice/v1/voice';
import { durationOf, engineSampleRate, type Pcm } from './audio/audio-errors.js';
import { decodeAudio, defaultAudioLimits, type AudioLimits, type AudioType } from './audio/decode.js';
import { encodeSpeech, type SpeechFormat } from './audio/encode.js';
import { findFfmpeg } from './audio/ffmpeg.js';
import { EngineMissingError, type VoiceLanguage } from './engines/engine.js';
import { EspeakSynthesizer } from './engines/espeak-synthesizer.js';
import { PocketsphinxRecognizer, readTrainingText } from './engines/pocketsphinx-recognizer.js';
import { OpenAiRecognizer, OpenAiSynthesizer, type OpenAiAudioSettings } from './openai-provider.js';
import { sentencesOf } from './sentences.js';
import { SpeechEngines } from './speech-engines.js';
import { streamTranscripts } from './stream-transcribe.js';
import { noEngine, VoiceMetrics, voiceOutcomeOf } from './voice-metrics.js';
import { VoiceBusyError, WorkPool } from './work-pool.js';

export interface VoiceServiceDeps {
  database: Database;
  bus: EventBus;
  logger: Logger;
  metrics: Metrics;
  /** An OpenAI-compatible audio endpoint to prefer; the local engines answer when it fails. */
  provider?: OpenAiAudioSettings;
  /** Speech jobs at once. @default the number of CPU cores */
  concurrency?: number;
  /** Jobs waiting beyond those; more are refused with RESOURCE_EXHAUSTED. @default 4 × concurrency */
  maxQueued?: number;
  /** @default 60 s and 10 MiB */
  limits?: AudioLimits;
  /** Longest text Synthesize speaks. @default 2000 characters */
  maxTextLength?: number;
  /** The domain sentences the recognizer's language model is built from. @default the bundled set */
  trainingTextFile?: string;
  /** PostgreSQL schema of its outbox. @default voice */
  schema?: string;
  /** @default the system clock */
  clock?: Clock;
  /** @default random UUIDs */
  ids?: Ids;
}

const bundledTrainingText = fileURLToPath(new URL('../data/en-domain.txt', import.meta.url));
const encodings: Partial<Record<AudioEncoding, AudioType>> = {
  [AudioEncoding.PCM_S16LE]: 'audio/pcm',
  [AudioEncoding.WAV]: 'audio/wav',
  [AudioEncoding.OGG_OPUS]: 'audio/ogg',
  [AudioEncoding.MP3]: 'audio/mpeg',
  [AudioEncoding.WEBM_OPUS]: 'audio/webm',
};
const outputFormats: Partial<Record<AudioEncoding, SpeechFormat>> = {
  [AudioEncoding.UNSPECIFIED]: 'wav',
  [AudioEncoding.WAV]: 'wav',
  [AudioEncoding.OGG_OPUS]: 'ogg',
  [AudioEncoding.MP3]: 'mp3',
};

/**
 * The voice service: speech to text and text to speech, offline by default (pocketsphinx with a
 * domain language model, eSpeak NG), an OpenAI-compatible provider in front when configured.
 * Work runs in a bounded pool; each request is reported as a `voice_processing` event carrying
 * durations, engine, language and confidence — never audio or words. Audio is not stored.
 */
export function createVoiceService(deps: VoiceServiceDeps): GrpcServiceModule {
  const schema = deps.schema ?? 'voice';
  const clock = deps.clock ?? systemClock;
  const ids = deps.ids ?? randomIds;
  const limits = deps.limits ?? defaultAudioLimits;
  const maxTextLength = deps.maxTextLength ?? 2000;
  const concurrency = deps.concurrency ?? Math.max(1, os.availableParallelism());
  const pool = new WorkPool(concurrency, deps.maxQueued ?? concurrency * 4);
  const metrics = VoiceMetrics.of(deps.metrics);
  const unwatchPool = metrics.watch(pool);
  const db = deps.database.schema<Record<string, never>>(schema);
  let recognizer: PocketsphinxRecognizer | undefined;
  const synthesizer = new EspeakSynthesizer();
  let engines: SpeechEngines | undefined;

  const prepare = new TaskService(
    `${schema}-engines`,
    async () => {
      await db.migrate([]);
      recognizer = new PocketsphinxRecognizer({
        trainingText: await readTrainingText(deps.trainingTextFile ?? bundledTrainingText),
      });
      const missing = () =>
        [recognizer!.missing(), synthesizer.missing(), findFfmpeg() ? undefined : 'ffmpeg'].filter(
          (m) => m !== undefined,
        );
      engines = new SpeechEngines({
        localRecognizer: recognizer,
        localSynthesizer: synthesizer,
        missing,
        logger: deps.logger,
        ...(deps.provider && {
          providerRecognizer: new OpenAiRecognizer(deps.provider),
          providerSynthesizer: new OpenAiSynthesizer(deps.provider),
          providerPolicy: createResiliencePolicy({
            name: 'voice-provider',
            timeoutMs: 15_000,
            breakerThreshold: 5,
            breakerHalfOpenAfterMs: 30_000,
            logger: deps.logger,
            metrics: deps.metrics,
          }),
        }),
      });
      const lacking = missing();
      if (lacking.length > 0)
        deps.logger.warn({ missing: lacking }, 'voice: speech engines missing; voice requests will fail');
    },
    async () => {
      unwatchPool();
      await recognizer?.close();
    },
  );
  const relay = new OutboxRelay({
    schema,
    connection: deps.database.primaryUrl,
    bus: deps.bus,
    logger: deps.logger,
    metrics: deps.metrics,
  });

  const ready = (): SpeechEngines => {
    if (!engines) throw new ConnectError('the voice service is starting', Code.Unavailable);
    return engines;
  };

  /** Reports one piece of work: what and how long, never what was said. */
  const report = async (caller: Caller, data: Record<string, unknown>) => {
    await writeWithEvents(
      db.primary,
      undefined,
      [
        {
          topic: topics.voiceProcessing.name,
          type: `tend.voice.${String(data['operation'])}.completed`,
          source: '/tend/voice',
          partitionKey: caller.userId,
          data,
        },
      ],
      { schema, ids, clock },
    ).catch((error: unknown) => deps.logger.warn({ err: error }, 'voice: could not record a voice_processing event'));
  };

  const callerOf = (caller: Caller | undefined): Caller => {
    if (!caller?.userId) throw new UnauthenticatedError('voice requests need the person speaking (caller.user_id)');
    return caller;
  };

  const transcribe = async (
    caller: Caller,
    audio: Uint8Array,
    format: AudioFormat | undefined,
    languageField: string,
    hints: readonly string[],
    signal: AbortSignal,
  ) => {
    const began = performance.now();
    let pcm: Pcm;
    let decodedMs: number;
    let transcript;
    try {
      const type = audioTypeOf(format);
      const language = languageOf(languageField);
      pcm = await decodeAudio(audio, type, {
        limits,
        pcmSampleRate: format?.sampleRateHz || engineSampleRate,
        signal,
      });
      decodedMs = performance.now() - began;
      transcript = await pool.run(() => ready().transcribe(pcm, language, [...hints], signal));
    } catch (error) {
      metrics.recognized(noEngine, voiceOutcomeOf(error, signal), performance.now() - began);
      throw error;
    }
    metrics.recognized(transcript.engine, 'ok', performance.now() - began);
    const seconds = durationOf(pcm);
    await report(caller, {
      operation: 'transcription',
      engine: transcript.engine,
      language: transcript.language,
      confidence: Number(transcript.confidence.toFixed(3)),
      audioSeconds: Number(seconds.toFixed(3)),
      decodeMs: Math.round(decodedMs),
      processingMs: Math.round(performance.now() - began),
    });
    return { transcript, seconds };
  };

  const synthesize = async (request: SynthesizeRequest, signal: AbortSignal) => {
    const caller = callerOf(request.caller);
    const text = request.text.trim();
    if (text === '') throw ValidationError.field('text', 'is required');
    if (text.length > maxTextLength) throw ValidationError.field('text', `must be at most ${maxTextLength} characters`);
    const language = languageOf(request.language) ?? 'en';
    const format = outputFormats[request.format?.encoding ?? AudioEncoding.UNSPECIFIED];
    if (!format) throw ValidationError.field('format.encoding', 'must be WAV, OGG_OPUS or MP3');
    const began = performance.now();
    return { caller, text, language, format, began, voice: request.voice || undefined, signal };
  };

  const speak = async (
    job: Awaited<ReturnType<typeof synthesize>>,
    text: string,
  ): Promise<{ audio: Uint8Array; pcm: Pcm; engine: string }> => {
    const speech = await pool.run(() => ready().synthesize(text, job.language, job.voice, job.signal));
    return { audio: await encodeSpeech(speech.pcm, job.format, job.signal), pcm: speech.pcm, engine: speech.engine };
  };

  return {
    name: 'voice',
    serviceNames: [VoiceService.typeName],
    parts: [prepare, relay],
    serving: () => engines !== undefined && engines.set.missing().length === 0,
    routes: (router) =>
      router.service(VoiceService, {
        async transcribe(request, context) {
          try {
            const caller = callerOf(request.caller);
            const { transcript, seconds } = await transcribe(
              caller,
              request.audio,
              request.format,
              request.language,
              request.phraseHints,
              context.signal,
            );
            return create(TranscribeResponseSchema, {
              text: transcript.text,
              confidence: transcript.confidence,
              language: transcript.language,
              audioSeconds: seconds,
              provider: transcript.engine,
              segments: transcript.segments,
            });
          } catch (error) {
            throw voiceError(error);
          }
        },

        async *streamTranscribe(requests, context) {
          try {
            yield* streamTranscripts(requests, {
              transcribe: (caller, audio, format, language, hints) =>
                transcribe(callerOf(caller), audio, format, language, hints, context.signal).then((r) => r.transcript),
              maxBytes: limits.maxBytes,
              idle: () => pool.idle,
            });
          } catch (error) {
            throw voiceError(error);
          }
        },

        async synthesize(request, context) {
          const began = performance.now();
          let engine = noEngine;
          try {
            const job = await synthesize(request, context.signal);
            const spoken = await speak(job, job.text);
            const { audio, pcm } = spoken;
            engine = spoken.engine;
            await report(job.caller, {
              operation: 'synthesis',
              engine,
              language: job.language,
              audioSeconds: Number(durationOf(pcm).toFixed(3)),
              processingMs: Math.round(performance.now() - job.began),
            });
            metrics.synthesized(engine, 'ok', performance.now() - began);
            return create(SynthesizeResponseSchema, {
              audio,
              format: { encoding: request.format?.encoding || AudioEncoding.WAV, sampleRateHz: pcm.sampleRate },
              audioSeconds: durationOf(pcm),
              provider: engine,
            });
          } catch (error) {
            metrics.synthesized(engine, voiceOutcomeOf(error, context.signal), performance.now() - began);
            throw voiceError(error);
          }
        },

        async *streamSynthesize(request, context) {
          const began = performance.now();
          let engine = noEngine;
          try {
            const job = await synthesize(request.request ?? create(SynthesizeRequestSchema), context.signal);
            let seconds = 0;
            // Sentence by sentence: the first is heard while the rest are still being made.
            for (const sentence of sentencesOf(job.text)) {
              const spoken = await speak(job, sentence);
              seconds += durationOf(spoken.pcm);
              engine = spoken.engine;
              yield {
                audio: spoken.audio,
                format: {
                  encoding: request.request?.format?.encoding || AudioEncoding.WAV,
                  sampleRateHz: spoken.pcm.sampleRate,
                },
                text: sentence,
                provider: spoken.engine,
              };
            }
            metrics.synthesized(engine, 'ok', performance.now() - began);
            await report(job.caller, {
              operation: 'synthesis',
              engine,
              language: job.language,
              audioSeconds: Number(seconds.toFixed(3)),
              processingMs: Math.round(performance.now() - job.began),
            });
          } catch (error) {
            metrics.synthesized(engine, voiceOutcomeOf(error, context.signal), performance.now() - began);
            throw voiceError(error);
          }
        },

        listVoices() {
          const current = ready();
          return create(ListVoicesResponseSchema, {
            voices: current
              .voices()
              .map((v) => ({ id: v.id, language: v.language, description: v.description, provider: v.engine })),
            recognitionLanguages: current.recognitionLanguages(),
          });
        },
      }),
  };
}

/** The audio type a request's format names; WAV when it names none. */
function audioTypeOf(format: AudioFormat | undefined): AudioType {
  const type = encodings[format?.encoding ?? AudioEncoding.WAV] ?? (format?.encoding ? undefined : 'audio/wav');
  if (!type) throw ValidationError.field('format.encoding', 'is not a supported audio encoding');
  return type;
}

/**
 * The language of a tag such as "zh-CN" (the contract admits only "en" and "zh" in any region, or
 * nothing), or undefined when it names none.
 */
function languageOf(tag: string): VoiceLanguage | undefined {
  const base = tag.trim().toLowerCase().split(/[-_]/)[0];
  return base === 'en' || base === 'zh' ? base : undefined;
}

/** Voice's own errors on the wire: a missing engine is FAILED_PRECONDITION, a full pool RESOURCE_EXHAUSTED. */
export function voiceError(error: unknown): ConnectError {
  if (error instanceof EngineMissingError)
    return new ConnectError(error.message, Code.FailedPrecondition, undefined, undefined, error);
  if (error instanceof VoiceBusyError) {
    const busy = new ConnectError(error.message, Code.ResourceExhausted, undefined, undefined, error);
    busy.metadata.set('retry-after', String(error.retryAfterSeconds));
    return busy;
  }
  return toConnectError(error);
}
