import { randomBytes } from 'node:crypto';
import { Code, ConnectError, type Client } from '@connectrpc/connect';
import type { Cache } from '@tend/cache';
import type { Caller } from '@tend/proto/tend/common/v1/common';
import type { ConversationService } from '@tend/proto/tend/conversation/v1/conversation';
import type { HealthService } from '@tend/proto/tend/health/v1/health_service';
import { AudioEncoding, TranscribeRequestSchema, type VoiceService } from '@tend/proto/tend/voice/v1/voice';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { z } from 'zod';
import { textsWithin } from '../http/contract-fields.js';
import { sendProblem } from '../http/problems.js';
import { apiObject, callerOfRequest, idParams, zodRoutes } from './route-kit.js';

/** What the voice routes call. */
export interface VoiceRouteDeps {
  voice: Client<typeof VoiceService>;
  conversation: Client<typeof ConversationService>;
  health: Client<typeof HealthService>;
  /** Holds a spoken reply until it is fetched once. */
  cache: Cache;
  /** Largest audio upload. @default 10 MiB */
  maxAudioBytes?: number;
  /** How long a spoken reply can be fetched. @default 5 minutes */
  replyTtlMs?: number;
}

/** Upload media types and the encoding each is sent to the voice service as. */
const uploadEncodings: Record<string, AudioEncoding> = {
  'audio/wav': AudioEncoding.WAV,
  'audio/wave': AudioEncoding.WAV,
  'audio/x-wav': AudioEncoding.WAV,
  'audio/webm': AudioEncoding.WEBM_OPUS,
  'audio/ogg': AudioEncoding.OGG_OPUS,
  'audio/opus': AudioEncoding.OGG_OPUS,
  'audio/mpeg': AudioEncoding.MP3,
  'audio/mp3': AudioEncoding.MP3,
};
const speechEncodings = { wav: AudioEncoding.WAV, ogg: AudioEncoding.OGG_OPUS, mp3: AudioEncoding.MP3 } as const;
const speechTypes = { wav: 'audio/wav', ogg: 'audio/ogg', mp3: 'audio/mpeg' } as const;

const langQuery = z.strictObject({ lang: z.enum(['en', 'zh']).optional() });
const speechBody = z.strictObject({
  text: z.string().trim().min(1).max(2000),
  language: z.enum(['en', 'zh']).default('en'),
  voice: z.string().max(64).optional(),
  format: z.enum(['wav', 'ogg', 'mp3']).default('wav'),
});
const tokenParams = z.strictObject({ token: z.string().regex(/^[A-Za-z0-9_-]{32,64}$/) });
const replyKey = (token: string) => `voice:reply:${token}`;

/**
 * `/api/v1/voice`: speech in and out. Audio is the request body itself (WAV, WebM/Opus,
 * Ogg/Opus or MP3, 10 MiB and 60 s at most), never stored; the person's own medication names
 * bias recognition. A spoken conversation turn answers with JSON and a one-time link to the
 * reply's audio, which the same signed-in person fetches once within five minutes.
 */
export function registerVoiceRoutes(app: FastifyInstance, deps: VoiceRouteDeps): void {
  const maxBytes = deps.maxAudioBytes ?? 10 * 1024 * 1024;
  const replyTtlMs = deps.replyTtlMs ?? 5 * 60_000;
  // Any audio type is read as bytes here; the route says which it accepts.
  app.addContentTypeParser(
    /^(audio\/|video\/webm|application\/ogg)/,
    { parseAs: 'buffer', bodyLimit: maxBytes },
    (_req, body, done) => done(null, body),
  );
  const api = zodRoutes(app);
  const tags = ['voice'];
  const audioBody = { bodyLimit: maxBytes };

  const transcribe = async (request: FastifyRequest, lang: string | undefined) => {
    const caller = callerOfRequest(request);
    const base = String(request.headers['content-type'] ?? '')
      .split(';')[0]!
      .trim()
      .toLowerCase();
    const encoding = uploadEncodings[base];
    if (encoding === undefined) throw new UnsupportedAudioError(base);
    const audio = request.body;
    if (!(audio instanceof Uint8Array)) throw new UnsupportedAudioError(base);
    const { medications } = await deps.health.listMedications({ caller, active: true });
    const reply = await deps.voice.transcribe({
      caller,
      audio,
      format: { encoding },
      language: lang ?? '',
      // A name too long for a hint is left out rather than refusing what was said.
      phraseHints: textsWithin(
        TranscribeRequestSchema.field.phraseHints,
        medications.map((m) => m.name),
      ),
    });
    return { caller, reply };
  };

  api.post(
    '/api/v1/voice/transcriptions',
    {
      ...audioBody,
      schema: {
        tags,
        summary: 'Speech to text: the body is the audio (audio/wav, audio/webm, audio/ogg or audio/mpeg)',
        querystring: langQuery,
        response: { 200: apiObject },
      },
    },
    async (request, reply) =>
      voiceCall(request, reply, async () => {
        const { reply: heard } = await transcribe(request, request.query.lang);
        return {
          text: heard.text,
          language: heard.language,
          confidence: heard.confidence,
          segments: heard.segments.map((s) => ({ text: s.text, start: s.startSeconds, end: s.endSeconds })),
          engine: heard.provider,
        };
      }),
  );

  api.post(
    '/api/v1/voice/speech',
    { schema: { tags, summary: 'Text to speech: returns audio (WAV by default)', body: speechBody } },
    async (request, reply) =>
      voiceCall(request, reply, async () => {
        const { text, language, voice, format } = request.body;
        const spoken = await deps.voice.synthesize({
          caller: callerOfRequest(request),
          text,
          language,
          voice: voice ?? '',
          format: { encoding: speechEncodings[format] },
        });
        return reply
          .header('x-voice-engine', spoken.provider)
          .type(speechTypes[format])
          .send(Buffer.from(spoken.audio));
      }),
  );

  api.get(
    '/api/v1/voice/voices',
    {
      schema: {
        tags,
        summary: 'The voices speech can use, and the languages recognised',
        response: { 200: apiObject },
      },
    },
    async (request, reply) =>
      voiceCall(request, reply, async () => {
        const { voices, recognitionLanguages } = await deps.voice.listVoices({});
        return {
          items: voices.map((v) => ({
            id: v.id,
            language: v.language,
            description: v.description,
            engine: v.provider,
          })),
          recognitionLanguages,
        };
      }),
  );

  api.post(
    '/api/v1/conversations/:id/voice',
    {
      ...audioBody,
      schema: {
        tags: ['conversations', ...tags],
        summary:
          'One spoken turn: the body is the audio; the answer is the transcript, the reply and a link to its audio',
        params: idParams,
        querystring: langQuery,
        response: { 200: apiObject },
      },
    },
    async (request, reply) =>
      voiceCall(request, reply, async () => {
        const { caller, reply: heard } = await transcribe(request, request.query.lang);
        if (heard.text.trim() === '') {
          return sendProblem(request, reply, 422, 'no words were recognised in the audio');
        }
        const language = heard.language === 'zh' ? 'zh' : 'en';
        const answered = await deps.conversation.processConversation({
          caller,
          conversationId: request.params.id,
          text: heard.text,
          locale: language,
        });
        const spoken = await deps.voice.synthesize({
          caller,
          text: answered.reply?.text ?? '',
          language,
          format: { encoding: AudioEncoding.WAV },
        });
        const token = randomBytes(24).toString('base64url');
        await deps.cache.set(
          replyKey(token),
          JSON.stringify({ userId: caller.userId, audio: Buffer.from(spoken.audio).toString('base64') }),
          replyTtlMs,
        );
        const r = answered.reply;
        return {
          transcript: heard.text,
          language,
          engine: heard.provider,
          reply: {
            text: r?.text ?? '',
            intent: r?.intent ?? '',
            messageId: r?.messageId ?? '',
            actions: (r?.actions ?? []).map((a) => ({ tool: a.tool, ok: a.ok })),
          },
          speech: { contentType: 'audio/wav', url: `/api/v1/voice/replies/${token}`, engine: spoken.provider },
        };
      }),
  );

  api.get(
    '/api/v1/voice/replies/:token',
    { schema: { tags, summary: "A spoken reply's audio, once, by the person it answered", params: tokenParams } },
    async (request, reply) => {
      const caller: Caller = callerOfRequest(request);
      const key = replyKey(request.params.token);
      const stored = await deps.cache.get(key);
      const parsed = stored === undefined ? undefined : (JSON.parse(stored) as { userId: string; audio: string });
      // Someone else's link is "not found" too.
      if (!parsed || parsed.userId !== caller.userId) {
        return sendProblem(request, reply, 404, 'this reply audio does not exist, was fetched already or has expired');
      }
      await deps.cache.delete(key);
      return reply.type('audio/wav').header('cache-control', 'no-store').send(Buffer.from(parsed.audio, 'base64'));
    },
  );
}

/** An upload whose media type is not audio the service reads. */
class UnsupportedAudioError extends Error {
  override name = 'UnsupportedAudioError';
  constructor(readonly mediaType: string) {
    super(
      `Content-Type ${mediaType || '(none)'} is not supported; send audio/wav, audio/webm, audio/ogg or audio/mpeg`,
    );
  }
}

/**
 * Runs a voice call, answering the voice service's own refusals as the API documents them: an
 * engine missing on this installation, or a full work queue, are 503 (with Retry-After when
 * busy); an unsupported media type is 415. Anything else goes to the common problem handler.
 */
async function voiceCall<T>(
  request: FastifyRequest,
  reply: FastifyReply,
  work: () => Promise<T>,
): Promise<T | FastifyReply> {
  try {
    return await work();
  } catch (error) {
    if (error instanceof UnsupportedAudioError) return sendProblem(request, reply, 415, error.message);
    if (error instanceof ConnectError && error.code === Code.FailedPrecondition) {
      return sendProblem(request, reply, 503, error.rawMessage);
    }
    if (error instanceof ConnectError && error.code === Code.ResourceExhausted) {
      reply.header('retry-after', error.metadata.get('retry-after') ?? '1');
      return sendProblem(request, reply, 503, error.rawMessage);
    }
    throw error;
  }
}
