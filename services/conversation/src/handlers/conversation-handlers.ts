import { create } from '@bufbuild/protobuf';
import { timestampFromDate } from '@bufbuild/protobuf/wkt';
import type { ConnectRouter } from '@connectrpc/connect';
import { ValidationError, nulTextMessage } from '@tend/core';
import { AnswerMode } from '@tend/proto/tend/common/v1/common';
import {
  ConversationSchema,
  ConversationService,
  MessageRole,
  MessageSchema,
} from '@tend/proto/tend/conversation/v1/conversation';
import type { ConversationHistory } from '../store/conversation-history.js';
import type { TurnOrchestrator } from '../turns/turn-orchestrator.js';

/**
 * The conversation contract's handlers: they map requests and replies to and from the contract
 * and leave the work to the turn orchestrator and the history.
 */
export function conversationRoutes(turns: TurnOrchestrator, history: ConversationHistory) {
  return (router: ConnectRouter) =>
    router.service(ConversationService, {
      processConversation: (request) => turns.take(request),

      async *streamConversation(requests) {
        for await (const request of requests) {
          const turn = request.turn;
          if (!turn) throw ValidationError.field('turn', 'is required');
          // A model's tokens go out as they arrive; if it then fails, the embedded brain's
          // reply follows, and the final `reply` event is the answer that counts.
          const tokens: string[] = [];
          let wake: (() => void) | undefined;
          let finished = false;
          const turnDone = turns
            .take(turn, (token) => {
              tokens.push(token);
              wake?.();
            })
            .finally(() => {
              finished = true;
              wake?.();
            });
          let streamed = false;
          while (!finished || tokens.length > 0) {
            const token = tokens.shift();
            if (token !== undefined) {
              streamed = true;
              yield { conversationId: turn.conversationId, event: { case: 'token' as const, value: token } };
            } else if (!finished) {
              await new Promise<void>((resolve) => (wake = resolve));
            }
          }
          const { conversationId, reply } = await turnDone;
          for (const action of reply!.actions) yield { conversationId, event: { case: 'tool', value: action } };
          // The embedded brain has its whole answer at once; it still arrives as a stream of words.
          if (!streamed) {
            for (const token of reply!.text.split(/(?<=\s)/)) {
              yield { conversationId, event: { case: 'token', value: token } };
            }
          }
          yield { conversationId, event: { case: 'reply', value: reply! } };
        }
      },

      async batchProcess(request) {
        const results = [];
        for (const turn of request.requests) {
          try {
            results.push({ result: { case: 'response' as const, value: await turns.take(turn) } });
          } catch (error) {
            results.push({ result: { case: 'error' as const, value: (error as Error).message } });
          }
        }
        return { results };
      },

      async createConversation(request) {
        const { person } = await turns.person(request.caller);
        // PostgreSQL's text cannot hold NUL: refused here rather than failing the insert.
        if (request.title.includes('\u0000')) throw ValidationError.field('title', nulTextMessage);
        const title = request.title.trim().slice(0, 120) || 'New conversation';
        const created = await history.create(person.id, title);
        return {
          conversation: create(ConversationSchema, {
            id: created.id,
            title,
            createdAt: timestampFromDate(created.at),
            updatedAt: timestampFromDate(created.at),
          }),
        };
      },

      async listConversations(request) {
        const { person } = await turns.person(request.caller);
        const { items, nextCursor } = await history.conversations(person.id, request.page);
        return {
          conversations: items.map((row) =>
            create(ConversationSchema, {
              id: row.id,
              title: row.title,
              createdAt: timestampFromDate(row.created_at),
              updatedAt: timestampFromDate(row.updated_at),
            }),
          ),
          page: { nextCursor },
        };
      },

      async listMessages(request) {
        const { person } = await turns.person(request.caller);
        const { items, nextCursor } = await history.messages(person.id, request.conversationId, request.page);
        return {
          messages: items.map((row) =>
            create(MessageSchema, {
              id: row.id,
              conversationId: row.conversation_id,
              role: row.role === 'user' ? MessageRole.USER : MessageRole.ASSISTANT,
              text: row.text,
              createdAt: timestampFromDate(row.created_at),
              mode:
                row.mode === 'basic' ? AnswerMode.BASIC : row.mode === 'llm' ? AnswerMode.LLM : AnswerMode.UNSPECIFIED,
            }),
          ),
          page: { nextCursor },
        };
      },
    });
}
