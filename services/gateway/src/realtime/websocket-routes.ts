import { randomBytes } from 'node:crypto';
import websocket from '@fastify/websocket';
import { Code, ConnectError, type Client } from '@connectrpc/connect';
import { UnauthenticatedError, type Logger } from '@tend/core';
import { type Cache, type RateLimitStore } from '@tend/cache';
import { AnswerModeSchema } from '@tend/proto/tend/common/v1/common';
import type { ConversationService } from '@tend/proto/tend/conversation/v1/conversation';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { RawData, WebSocket } from 'ws';
import { z } from 'zod';
import { callerOf, type Principal } from '../auth/principal.js';
import { enumToApi } from '../http/api-json.js';
import { zodRoutes } from '../routes/route-kit.js';
import type { LiveFeed } from './live-feed.js';
import type { SocketSessions } from './socket-sessions.js';
import { Heartbeat } from './heartbeat.js';
import { bearerToken } from '../http/access-policy.js';
import { decodeJwt } from 'jose';
import { VoiceSession, voiceStartMessage, voiceStopMessage, type VoiceSessionDeps } from './voice-session.js';

/** The sub-protocol a client asks for; a bearer token may ride along as `bearer.<token>`. */
export const webSocketProtocol = 'tend.v1';
/** Larger frames close the socket with 1009 (message too big). */
export const maxFrameBytes = 64 * 1024;
/** A client that lets this much pile up unread is dropped, not buffered for without bound. */
export const maxBufferedBytes = 1024 * 1024;
const heartbeatMs = 30_000;
const ticketTtlMs = 30_000;

const clientMessage = z.discriminatedUnion('type', [
  z.strictObject({ type: z.literal('ping'), id: z.string().max(64).optional() }),
  z.strictObject({
    type: z.literal('chat.send'),
    conversationId: z.uuid().optional(),
    text: z.string().min(1).max(4000),
  }),
  voiceStartMessage,
  voiceStopMessage,
]);

export interface WebSocketDeps {
  /** The principal of a bearer token (signature, claims, session). */
  verify(accessToken: string): Promise<Principal>;
  /** The principal of the request's Authorization header (for ticket issuing). */
  authenticate(request: FastifyRequest): Promise<Principal>;
  cache: Cache;
  feed: LiveFeed;
  /** Answers chat turns, streamed. */
  conversation: Client<typeof ConversationService>;
  /** Hears and speaks spoken turns; without it `voice.start` is refused. */
  voice?: Omit<VoiceSessionDeps, 'conversation' | 'logger'>;
  logger: Logger;
  /** Open sockets by session: closed when the sign-in behind them no longer holds. */
  sockets: SocketSessions;
  /** `chat.send` counts against the same per-person limit as the API. */
  rateLimits: RateLimitStore;
  perMinute: number;
}

declare module 'fastify' {
  interface FastifyRequest {
    /** Who a WebSocket acts for, settled before the upgrade, and until when its token is valid. */
    socketPrincipal?: { principal: Principal; expiresAtMs: number };
  }
}

/**
 * `/ws`: live notifications and streamed chat over one socket. Authenticated before the upgrade — a bearer token in `Sec-WebSocket-Protocol`, or
 * a one-time ticket from `POST /api/v1/ws/tickets` valid 30 s; a long-lived token in the URL is
 * refused, since URLs end up in logs. Heartbeats drop dead peers, slow readers are dropped,
 * frames are bounded, and every message is validated like an HTTP body.
 */
export async function registerWebSocket(app: FastifyInstance, deps: WebSocketDeps): Promise<void> {
  await app.register(websocket, {
    options: {
      maxPayload: maxFrameBytes,
      handleProtocols: (protocols) => (protocols.has(webSocketProtocol) ? webSocketProtocol : false),
    },
  });

  const heartbeat = new Heartbeat(heartbeatMs);
  app.addHook('onClose', async () => heartbeat.stop());

  zodRoutes(app).post(
    '/api/v1/ws/tickets',
    {
      schema: {
        tags: ['realtime'],
        summary: 'A one-time ticket (30 s) to open /ws from a browser, which cannot set headers on a WebSocket',
        response: { 201: z.object({ ticket: z.string(), expiresIn: z.number() }) },
      },
    },
    async (request, reply) => {
      const principal = request.principal!;
      const ticket = randomBytes(24).toString('base64url');
      // The socket it opens lives no longer than the token that asked for it.
      const expiresAtMs = expiryOf(bearerToken(request) ?? '');
      await deps.cache.set(ticketKey(ticket), JSON.stringify({ principal, expiresAtMs }), ticketTtlMs);
      return reply.code(201).send({ ticket, expiresIn: ticketTtlMs / 1000 });
    },
  );

  app.get(
    '/ws',
    {
      websocket: true,
      schema: { hide: true },
      preValidation: async (request) => {
        request.socketPrincipal = await principalOfUpgrade(request, deps);
      },
    },
    (socket, request) => {
      const { principal, expiresAtMs } = request.socketPrincipal!;
      if (deps.sockets.add(socket, principal, expiresAtMs)) serve(socket, principal, deps, heartbeat);
    },
  );
}

async function principalOfUpgrade(
  request: FastifyRequest,
  deps: WebSocketDeps,
): Promise<{ principal: Principal; expiresAtMs: number }> {
  const query = request.query as Record<string, string | undefined>;
  if (query.access_token !== undefined || query.token !== undefined) {
    throw new UnauthenticatedError('tokens do not go in URLs; use a ticket or the Sec-WebSocket-Protocol header');
  }
  const offered = String(request.headers['sec-websocket-protocol'] ?? '')
    .split(',')
    .map((p) => p.trim());
  const bearer = offered.find((p) => p.startsWith('bearer.'));
  if (bearer) {
    const token = bearer.slice('bearer.'.length);
    return { principal: await deps.verify(token), expiresAtMs: expiryOf(token) };
  }
  if (query.ticket) {
    const key = ticketKey(query.ticket);
    const stored = await deps.cache.get(key);
    if (stored !== undefined) {
      await deps.cache.delete(key); // one use only
      return JSON.parse(stored) as { principal: Principal; expiresAtMs: number };
    }
  }
  throw new UnauthenticatedError('a WebSocket needs a ticket or a bearer token in Sec-WebSocket-Protocol');
}

function serve(socket: WebSocket, principal: Principal, deps: WebSocketDeps, heartbeat: Heartbeat): void {
  // Made when first needed: most sockets never log or speak, and 100,000 of them add up.
  let log: Logger | undefined;
  const logOf = (): Logger => (log ??= deps.logger.child({ component: 'websocket', userId: principal.userId }));
  const sendText = (text: string): void => {
    if (socket.readyState !== socket.OPEN) return;
    if (socket.bufferedAmount > maxBufferedBytes) {
      logOf().info({ buffered: socket.bufferedAmount }, 'dropping a client that does not read');
      socket.terminate();
      return;
    }
    socket.send(text);
  };
  const send = (message: object): void => sendText(JSON.stringify(message));

  const stopListening = deps.feed.listen(principal.userId, (_notification, json) => sendText(json));
  heartbeat.track(socket);
  let voice: VoiceSession | undefined;
  const voiceSession = (served: NonNullable<WebSocketDeps['voice']>): VoiceSession =>
    (voice ??= new VoiceSession(
      callerOf(principal),
      { ...served, conversation: deps.conversation, logger: logOf() },
      {
        json: send,
        binary: (bytes) => {
          if (socket.readyState === socket.OPEN) socket.send(bytes, { binary: true });
        },
      },
    ));
  socket.on('close', () => {
    stopListening();
    voice?.close();
  });

  socket.on('message', (raw, isBinary) => {
    if (isBinary) {
      if (deps.voice) return voiceSession(deps.voice).audio(bytesOf(raw));
      return send({ type: 'error', code: 'invalid_argument', message: 'frames must be JSON text' });
    }
    let parsed: unknown;
    try {
      parsed = JSON.parse(textOf(raw));
    } catch {
      return send({ type: 'error', code: 'invalid_argument', message: 'the frame is not valid JSON' });
    }
    const message = clientMessage.safeParse(parsed);
    if (!message.success) {
      const issue = message.error.issues[0]!;
      return send({
        type: 'error',
        code: 'invalid_argument',
        field: issue.path.join('.') || '(root)',
        message: issue.message,
      });
    }
    switch (message.data.type) {
      case 'ping':
        return send({ type: 'pong', ...(message.data.id && { id: message.data.id }) });
      case 'chat.send':
        return void limitedChat(message.data, principal, deps, send);
      case 'voice.start':
        if (!deps.voice) return send({ type: 'error', code: 'unavailable', message: 'voice is not served here' });
        return voiceSession(deps.voice).start(message.data);
      case 'voice.stop':
        return voice?.stop();
    }
  });
  send({ type: 'ready', userId: principal.userId });
}

/** A chat turn, if the person's per-minute budget (shared with the API) allows it. */
async function limitedChat(
  message: { conversationId?: string; text: string },
  principal: Principal,
  deps: WebSocketDeps,
  send: (message: object) => void,
): Promise<void> {
  const decision = await deps.rateLimits.consume(`api:user:${principal.userId}`, deps.perMinute, 60_000);
  if (!decision.allowed) {
    const retryAfterS = Math.max(1, Math.ceil(decision.resetMs / 1000));
    return send({
      type: 'error',
      code: 'resource_exhausted',
      message: `more than ${deps.perMinute} requests a minute; retry in ${retryAfterS} s`,
      retryAfterS,
    });
  }
  return streamChat(message, principal, deps, send);
}

/** When a verified access token expires (its `exp`), in ms; already verified, so only decoded. */
function expiryOf(token: string): number {
  try {
    const { exp } = decodeJwt(token);
    return typeof exp === 'number' ? exp * 1000 : 0;
  } catch {
    return 0;
  }
}

/** One chat turn over the socket: tool events, tokens as they come, then the whole reply. */
async function streamChat(
  message: { conversationId?: string; text: string },
  principal: Principal,
  deps: WebSocketDeps,
  send: (message: object) => void,
): Promise<void> {
  const turn = {
    caller: callerOf(principal),
    conversationId: message.conversationId ?? '',
    text: message.text,
    locale: '',
  };
  try {
    for await (const { conversationId, event } of deps.conversation.streamConversation(
      (async function* () {
        yield { turn };
      })(),
    )) {
      if (event.case === 'token') send({ type: 'chat.token', conversationId, text: event.value });
      else if (event.case === 'tool')
        send({ type: 'chat.tool', conversationId, tool: event.value.tool, ok: event.value.ok });
      else if (event.case === 'reply') {
        send({
          type: 'chat.reply',
          conversationId,
          text: event.value.text,
          mode: enumToApi(AnswerModeSchema, event.value.mode) ?? 'basic',
          actions: event.value.actions.map((a) => ({ tool: a.tool, ok: a.ok })),
        });
      }
    }
  } catch (error) {
    const failure = ConnectError.from(error);
    send({ type: 'error', code: Code[failure.code].toLowerCase(), message: failure.rawMessage });
  }
}

function ticketKey(ticket: string): string {
  return `gateway:ws-ticket:${ticket}`;
}

function bytesOf(raw: RawData): Uint8Array {
  if (Array.isArray(raw)) return Buffer.concat(raw);
  if (Buffer.isBuffer(raw)) return raw;
  return new Uint8Array(raw);
}

function textOf(raw: RawData): string {
  if (Array.isArray(raw)) return Buffer.concat(raw).toString('utf8');
  if (Buffer.isBuffer(raw)) return raw.toString('utf8');
  return Buffer.from(new Uint8Array(raw)).toString('utf8');
}
