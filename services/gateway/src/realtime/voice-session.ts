import { Code, ConnectError, type Client } from '@connectrpc/connect';
import { create, type MessageInitShape } from '@bufbuild/protobuf';
import type { Logger } from '@tend/core';
import type { Caller } from '@tend/proto/tend/common/v1/common';
import type { ConversationService } from '@tend/proto/tend/conversation/v1/conversation';
import type { HealthService } from '@tend/proto/tend/health/v1/health_service';
import {
  AudioEncoding,
  StreamTranscribeRequestSchema,
  TranscribeConfigSchema,
  type StreamTranscribeRequest,
  type VoiceService,
} from '@tend/proto/tend/voice/v1/voice';
import { z } from 'zod';
import { textsWithin } from '../http/contract-fields.js';

/** `voice.start`: a spoken turn begins; binary frames of audio follow. */
export const voiceStartMessage = z.strictObject({
  type: z.literal('voice.start'),
  conversationId: z.uuid().optional(),
  lang: z.enum(['en', 'zh']).optional(),
  /** `pcm16`: 16-bit little-endian mono PCM (hands-free: the end of speech is detected); or a container. */
  format: z.enum(['pcm16', 'wav', 'webm', 'ogg', 'mp3']),
  /** Of `pcm16`. */
  sampleRate: z.number().int().min(8000).max(48_000).default(16_000),
});
/** `voice.stop`: the speaker is done (push-to-talk, or any format but pcm16). */
export const voiceStopMessage = z.strictObject({ type: z.literal('voice.stop') });

export interface VoiceSessionDeps {
  voice: Client<typeof VoiceService>;
  conversation: Client<typeof ConversationService>;
  health: Client<typeof HealthService>;
  logger: Logger;
}

/** Sends a JSON message or a binary frame to the client. */
export interface VoiceOutput {
  json(message: object): void;
  binary(bytes: Uint8Array): void;
}

const encodings = {
  pcm16: AudioEncoding.PCM_S16LE,
  wav: AudioEncoding.WAV,
  webm: AudioEncoding.WEBM_OPUS,
  ogg: AudioEncoding.OGG_OPUS,
  mp3: AudioEncoding.MP3,
} as const;
/** Audio accepted per turn over the socket, as over REST. */
const maxTurnBytes = 10 * 1024 * 1024;
const sentenceEnd = /^([\s\S]*?[.!?](?=\s)|[\s\S]*?[。！？；])\s*/u;

/**
 * One socket's spoken turns: audio frames stream to the voice service, which sends partial
 * transcripts and, hands-free, ends the utterance when the speaker falls quiet; the transcript
 * is a conversation turn whose tokens go out as they come, and whose reply is spoken sentence
 * by sentence — a `voice.audio` message, then the sentence's WAV as a binary frame. A new
 * `voice.start` while a reply is still being spoken is barge-in: the old turn stops at once.
 */
export class VoiceSession {
  #turn: { audio: AudioQueue; abort: AbortController; finished: Promise<void> } | undefined;
  #turns = 0;

  constructor(
    private readonly caller: Caller,
    private readonly deps: VoiceSessionDeps,
    private readonly out: VoiceOutput,
  ) {}

  /** Starts a turn, interrupting the one before if it is still going. */
  start(message: z.infer<typeof voiceStartMessage>): void {
    if (this.#turn) {
      this.#turn.abort.abort();
      this.#turn.audio.end();
      this.out.json({ type: 'voice.interrupted' });
    }
    const audio = new AudioQueue(maxTurnBytes);
    const abort = new AbortController();
    const id = ++this.#turns;
    const finished = this.#run(id, message, audio, abort.signal)
      .catch((error: unknown) => {
        if (abort.signal.aborted) return;
        const failure = ConnectError.from(error);
        this.out.json({
          type: 'voice.error',
          turn: id,
          code: Code[failure.code].toLowerCase(),
          message: failure.rawMessage,
        });
      })
      .finally(() => {
        if (this.#turn?.abort === abort) this.#turn = undefined;
      });
    this.#turn = { audio, abort, finished };
  }

  /** A binary frame: audio of the current turn. */
  audio(bytes: Uint8Array): void {
    if (!this.#turn) {
      this.out.json({ type: 'error', code: 'failed_precondition', message: 'send voice.start before audio' });
      return;
    }
    if (!this.#turn.audio.push(bytes)) {
      this.out.json({
        type: 'voice.error',
        code: 'invalid_argument',
        field: 'audio',
        message: 'a turn takes at most 10 MiB of audio',
      });
      this.#turn.abort.abort();
      this.#turn.audio.end();
    }
  }

  /** `voice.stop`: no more audio for this turn. */
  stop(): void {
    this.#turn?.audio.end();
  }

  /** The socket closed: everything stops. */
  close(): void {
    this.#turn?.abort.abort();
    this.#turn?.audio.end();
  }

  async #run(id: number, message: z.infer<typeof voiceStartMessage>, audio: AudioQueue, signal: AbortSignal) {
    const { caller, deps, out } = this;
    const { medications } = await deps.health.listMedications({ caller, active: true }, { signal });
    const config: MessageInitShape<typeof StreamTranscribeRequestSchema> = {
      event: {
        case: 'config',
        value: {
          caller,
          format: { encoding: encodings[message.format], sampleRateHz: message.sampleRate },
          language: message.lang ?? '',
          phraseHints: textsWithin(
            TranscribeConfigSchema.field.phraseHints,
            medications.map((m) => m.name),
          ),
          detectEndOfSpeech: message.format === 'pcm16',
        },
      },
    };
    async function* requests(): AsyncGenerator<StreamTranscribeRequest> {
      yield create(StreamTranscribeRequestSchema, config);
      for await (const chunk of audio)
        yield create(StreamTranscribeRequestSchema, { event: { case: 'audio', value: chunk } });
    }
    out.json({ type: 'voice.listening', turn: id });
    let transcript = '';
    let language: string = message.lang ?? 'en';
    for await (const heard of deps.voice.streamTranscribe(requests(), { signal })) {
      if (!heard.isFinal) {
        out.json({ type: 'voice.partial', turn: id, text: heard.text });
        continue;
      }
      transcript = heard.text;
      language = heard.language || language;
      // The rest of the audio is no longer wanted.
      audio.end();
      out.json({ type: 'voice.transcript', turn: id, text: heard.text, language, engine: heard.provider });
    }
    if (transcript.trim() === '') {
      out.json({
        type: 'voice.error',
        turn: id,
        code: 'invalid_argument',
        field: 'audio',
        message: 'no words were recognised',
      });
      return;
    }
    const locale = language === 'zh' ? 'zh' : 'en';
    const turn = { caller, conversationId: message.conversationId ?? '', text: transcript, locale };
    // Sentences are spoken in order, each as soon as it is complete.
    let speaking = Promise.resolve();
    let pending = '';
    let sentence = 0;
    const speak = (text: string) => {
      const n = ++sentence;
      const synthesis = deps.voice.synthesize(
        { caller, text, language: locale, format: { encoding: AudioEncoding.WAV } },
        { signal },
      );
      speaking = speaking.then(async () => {
        const spoken = await synthesis;
        if (signal.aborted) return;
        out.json({
          type: 'voice.audio',
          turn: id,
          sentence: n,
          text,
          contentType: 'audio/wav',
          bytes: spoken.audio.length,
        });
        out.binary(spoken.audio);
      });
      speaking.catch(() => undefined);
    };
    const flush = (all: boolean) => {
      for (let match = sentenceEnd.exec(pending); match; match = sentenceEnd.exec(pending)) {
        if (match[1]!.trim() !== '') speak(match[1]!.trim());
        pending = pending.slice(match[0].length);
      }
      if (all && pending.trim() !== '') speak(pending.trim());
      if (all) pending = '';
    };
    for await (const { conversationId, event } of deps.conversation.streamConversation(
      (async function* () {
        yield { turn };
      })(),
      { signal },
    )) {
      if (event.case === 'token') {
        out.json({ type: 'chat.token', turn: id, conversationId, text: event.value });
        pending += event.value;
        flush(false);
      } else if (event.case === 'tool') {
        out.json({ type: 'chat.tool', turn: id, conversationId, tool: event.value.tool, ok: event.value.ok });
      } else if (event.case === 'reply') {
        out.json({
          type: 'chat.reply',
          turn: id,
          conversationId,
          messageId: event.value.messageId,
          text: event.value.text,
          intent: event.value.intent,
          actions: event.value.actions.map((a) => ({ tool: a.tool, ok: a.ok })),
        });
        // The reply that counts may differ from the streamed tokens (a model that failed midway).
        if (sentence === 0) pending = event.value.text;
        flush(true);
      }
    }
    await speaking;
    if (!signal.aborted) out.json({ type: 'voice.done', turn: id, sentences: sentence });
  }
}

/** Audio frames waiting to go to the voice service: bounded in total, ended once. */
class AudioQueue implements AsyncIterable<Uint8Array> {
  readonly #chunks: Uint8Array[] = [];
  #size = 0;
  #ended = false;
  #wake: (() => void) | undefined;

  constructor(private readonly maxBytes: number) {}

  /** False when the turn's audio would exceed the limit. */
  push(chunk: Uint8Array): boolean {
    if (this.#ended) return true;
    this.#size += chunk.length;
    if (this.#size > this.maxBytes) return false;
    this.#chunks.push(chunk);
    this.#wake?.();
    return true;
  }

  end(): void {
    this.#ended = true;
    this.#wake?.();
  }

  async *[Symbol.asyncIterator](): AsyncIterator<Uint8Array> {
    for (;;) {
      const chunk = this.#chunks.shift();
      if (chunk) yield chunk;
      else if (this.#ended) return;
      else await new Promise<void>((resolve) => (this.#wake = resolve));
    }
  }
}
