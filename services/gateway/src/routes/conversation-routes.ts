import type { Client } from '@connectrpc/connect';
import { AnswerModeSchema } from '@tend/proto/tend/common/v1/common';
import {
  ConversationSchema,
  MessageSchema,
  ProcessConversationRequestSchema,
  type ConversationService,
  type Reply,
} from '@tend/proto/tend/conversation/v1/conversation';
import { boundedText } from '@tend/core';
import type { FastifyInstance } from 'fastify';
import { z } from 'zod';
import { enumToApi } from '../http/api-json.js';
import { contractText } from '../http/contract-fields.js';
import {
  apiObject,
  callerOfRequest,
  idParams,
  listOf,
  listResponse,
  pageOf,
  pageQuery,
  zodRoutes,
} from './route-kit.js';

const createBody = z.strictObject({ title: boundedText({ max: 120, trim: true }).optional() });
// A turn's limits are the contract's (ProcessConversationRequest); the API never sends it empty.
const turn = ProcessConversationRequestSchema.field;
const messageBody = z.strictObject({
  text: contractText(turn.text, { min: 1, trim: true }),
  locale: z.enum(['en', 'zh']).optional(),
});
const listQuery = z.strictObject({ ...pageQuery });

/** The reply as the API shows it. */
function replyJson(reply: Reply | undefined) {
  return {
    text: reply?.text ?? '',
    mode: enumToApi(AnswerModeSchema, reply?.mode ?? 0) ?? 'basic',
    intent: reply?.intent ?? '',
    messageId: reply?.messageId ?? '',
    actions: (reply?.actions ?? []).map((a) => ({ tool: a.tool, ok: a.ok })),
  };
}

/**
 * `/api/v1/conversations`: talking to Tend in text. A message is answered whole as JSON, or —
 * with `Accept: text/event-stream` — streamed as server-sent events (`tool`, `token`, then
 * `reply`), the way a chat window shows an answer as it is produced.
 */
export function registerConversationRoutes(
  app: FastifyInstance,
  conversation: Client<typeof ConversationService>,
): void {
  const api = zodRoutes(app);
  const tags = ['conversations'];
  api.post(
    '/api/v1/conversations',
    { schema: { tags, summary: 'Start a conversation', body: createBody, response: { 201: apiObject } } },
    async (request, reply) => {
      const { conversation: created } = await conversation.createConversation({
        caller: callerOfRequest(request),
        title: request.body.title ?? '',
      });
      return reply.code(201).send({ id: created!.id, title: created!.title });
    },
  );
  api.get(
    '/api/v1/conversations',
    {
      schema: {
        tags,
        summary: 'Your conversations, most recent first',
        querystring: listQuery,
        response: { 200: listResponse },
      },
    },
    async (request) => {
      const { conversations, page } = await conversation.listConversations({
        caller: callerOfRequest(request),
        page: pageOf(request.query),
      });
      return listOf(ConversationSchema, conversations, page);
    },
  );
  api.get(
    '/api/v1/conversations/:id/messages',
    {
      schema: {
        tags,
        summary: 'The messages of a conversation, newest first',
        params: idParams,
        querystring: listQuery,
        response: { 200: listResponse },
      },
    },
    async (request) => {
      const { messages, page } = await conversation.listMessages({
        caller: callerOfRequest(request),
        conversationId: request.params.id,
        page: pageOf(request.query),
      });
      return listOf(MessageSchema, messages, page);
    },
  );
  api.post(
    '/api/v1/conversations/:id/messages',
    {
      schema: {
        tags,
        summary: 'Say something; the answer comes as JSON, or as server-sent events with Accept: text/event-stream',
        params: idParams,
        body: messageBody,
      },
    },
    async (request, reply) => {
      const turn = {
        caller: callerOfRequest(request),
        conversationId: request.params.id,
        text: request.body.text,
        locale: request.body.locale ?? '',
      };
      if (!String(request.headers.accept ?? '').includes('text/event-stream')) {
        const answered = await conversation.processConversation(turn);
        return { conversationId: answered.conversationId, reply: replyJson(answered.reply) };
      }
      const events = conversation.streamConversation(
        (async function* () {
          yield { turn };
        })(),
      );
      // Fails before the first byte (unknown conversation, bad input) still become problems.
      const iterator = events[Symbol.asyncIterator]();
      const first = await iterator.next();
      reply.hijack();
      const out = reply.raw;
      out.writeHead(200, {
        'content-type': 'text/event-stream; charset=utf-8',
        'cache-control': 'no-cache',
        'x-request-id': request.id,
        connection: 'keep-alive',
      });
      const send = (event: string, data: unknown) => out.write(`event: ${event}\ndata: ${JSON.stringify(data)}\n\n`);
      try {
        for (let next = first; !next.done; next = await iterator.next()) {
          const { event } = next.value;
          if (event.case === 'token') send('token', { text: event.value });
          else if (event.case === 'tool') send('tool', { tool: event.value.tool, ok: event.value.ok });
          else if (event.case === 'reply') send('reply', replyJson(event.value));
        }
      } catch (error) {
        send('error', { detail: (error as Error).message });
      }
      out.end();
      return reply;
    },
  );
}
