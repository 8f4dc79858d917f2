import { create } from '@bufbuild/protobuf';
import type { Client } from '@connectrpc/connect';
import {
  ValidationError,
  isTextWithin,
  nulTextMessage,
  textLimitMessage,
  topics,
  type Clock,
  type Ids,
  type Logger,
  type Metrics,
} from '@tend/platform';
import type { ResiliencePolicy } from '@tend/platform';
import { AnswerMode, type Caller } from '@tend/proto/tend/common/v1/common';
import {
  ProcessConversationResponseSchema,
  ReplySchema,
  type ProcessConversationRequest,
  type ProcessConversationResponse,
} from '@tend/proto/tend/conversation/v1/conversation';
import type { HealthPublicService } from '@tend/proto/tend/health/v1/health_public_service';
import type { AnswerCache } from '../brain/answer-cache.js';
import { contextWindow } from '../brain/context-window.js';
import type { EmbeddedBrain } from '../brain/embedded-brain.js';
import type { FairQueue } from '../brain/fair-queue.js';
import type { LlmBrain } from '../brain/llm-brain.js';
import type { RollingSummaries } from '../brain/rolling-summaries.js';
import type { BrainReply, TurnInput } from '../brain/turn.js';
import { understand } from '../understanding/understand.js';
import { noRecentMessages, type ConversationHistory } from '../store/conversation-history.js';
import { personOf } from './person-of.js';

const maxTextLength = 4000;
/** Tools that change the person's record: after one, their cached answers are stale. */
const writingTools = new Set([
  'record_vital',
  'log_dose',
  'set_reminder',
  'add_medication',
  'stop_reminders',
  'snooze_reminder',
  'stop_medication',
]);

/** The language model, with what keeps it from taking the service down with it. */
export interface TurnModel {
  brain: LlmBrain;
  /** Timeout and breaker: 5 failures in a row open it for 30 s, and the model is not asked. */
  policy: ResiliencePolicy;
  /** Model calls at once, the rest queued fairly per person. */
  queue: FairQueue;
  summaries: RollingSummaries;
}

export interface TurnOrchestratorDeps {
  health: Client<typeof HealthPublicService>;
  history: ConversationHistory;
  brain: EmbeddedBrain;
  /** @default none: the embedded brain answers everything */
  model?: TurnModel;
  answers: AnswerCache;
  logger: Logger;
  metrics: Metrics;
  clock: Clock;
  ids: Ids;
}

/**
 * One turn of a conversation, from the person's words to the stored reply: checks the request,
 * finds the person and their conversation, lets the model or the embedded brain answer (with the
 * fallback and the answer cache), stores both messages with a `conversation_events` event that
 * carries what happened but never what was said, and keeps the conversation's summary going.
 */
export class TurnOrchestrator {
  constructor(private readonly deps: TurnOrchestratorDeps) {}

  async take(
    request: ProcessConversationRequest,
    onToken?: (text: string) => void,
  ): Promise<ProcessConversationResponse> {
    const { deps } = this;
    const began = performance.now();
    const text = request.text.trim();
    if (text === '') throw ValidationError.field('text', 'is required');
    if (!isTextWithin(text, 0, maxTextLength)) throw ValidationError.field('text', textLimitMessage(0, maxTextLength));
    if (text.includes('\u0000')) throw ValidationError.field('text', nulTextMessage);
    if (request.locale !== '' && request.locale !== 'en' && request.locale !== 'zh') {
      throw ValidationError.field('locale', 'must be "en" or "zh"');
    }
    const { caller, person } = await personOf(deps.health, request.caller);
    const { id: conversationId, meta } = await deps.history.open(person.id, request.conversationId, text);
    // Only a model reads the conversation so far: the embedded brain answers each turn alone.
    const [{ medications }, recent] = await Promise.all([
      deps.health.listMedications({ caller, active: true }),
      !deps.model
        ? ('unread' as const)
        : request.conversationId
          ? deps.history.recent(conversationId)
          : noRecentMessages,
    ]);
    const locale = request.locale === '' ? undefined : request.locale;
    const context = contextWindow(recent === 'unread' ? [] : recent.past, undefined, meta.summary);
    const answered = await this.#answer(
      { text, caller, person, medications, now: deps.clock.now(), locale, context },
      onToken,
    );
    const now = deps.clock.now();
    const messageId = deps.ids.uuid();
    await deps.history.recordTurn(
      {
        conversationId,
        userId: person.id,
        at: now,
        messages: [
          { id: deps.ids.uuid(), role: 'user', text, mode: null, intent: null, at: now },
          // The reply a millisecond after what it answers, so the two always list in that order.
          {
            id: messageId,
            role: 'assistant',
            text: answered.text,
            mode: answered.mode,
            intent: answered.intent,
            at: new Date(now.getTime() + 1),
          },
        ],
        // What happened, never what was said: the text can hold health data.
        event: {
          topic: topics.conversationEvents.name,
          type: 'tend.conversation.turn.completed',
          source: '/tend/conversation',
          subject: conversationId,
          partitionKey: person.id,
          data: {
            conversationId,
            mode: answered.mode,
            intent: answered.intent,
            tools: answered.actions,
            latencyMs: Math.round(performance.now() - began),
          },
        },
      },
      recent,
    );
    deps.model?.summaries.consider(
      { id: conversationId, personId: person.id, locale: locale ?? person.locale, summary: meta.summary },
      context.unsummarized,
    );
    return create(ProcessConversationResponseSchema, {
      conversationId,
      reply: create(ReplySchema, {
        text: answered.text,
        mode: answered.mode === 'llm' ? AnswerMode.LLM : AnswerMode.BASIC,
        actions: answered.actions,
        intent: answered.intent,
        messageId,
      }),
    });
  }

  /** The person a caller names, as the health service knows them. */
  person(caller: Caller | undefined) {
    return personOf(this.deps.health, caller);
  }

  /**
   * The model answers when there is one and it is working; on any failure — an error, a stall
   * before the first token, a stream broken halfway — the embedded brain answers the same turn.
   * An emergency never waits for a model.
   */
  async #answer(turn: TurnInput, onToken?: (text: string) => void): Promise<BrainReply & { mode: 'llm' | 'basic' }> {
    const { model, answers, metrics, logger, brain } = this.deps;
    const urgent = understand(turn.text, { medicationNames: [] }).intent === 'emergency';
    if (model && !urgent) {
      try {
        const reply = await model.queue.run(turn.person.id, () =>
          model.policy.executeOnce((signal) => model.brain.answer(turn, signal, onToken)),
        );
        metrics.llmCalls.inc({ provider: 'openai-compatible', outcome: 'ok' });
        return { ...reply, mode: 'llm' };
      } catch (error) {
        metrics.llmCalls.inc({ provider: 'openai-compatible', outcome: 'fallback' });
        logger.warn({ err: error }, 'language model failed; the embedded brain answers');
      }
    }
    const locale = turn.locale ?? turn.person.locale;
    const cached = await answers.get(turn.person.id, locale, turn.text);
    if (cached) return { ...cached, actions: [], locale, mode: 'basic' };
    const reply = await brain.answer(turn);
    if (reply.actions.some((a) => a.ok && writingTools.has(a.tool))) await answers.forget(turn.person.id);
    else await answers.set(turn.person.id, reply.locale, turn.text, { text: reply.text, intent: reply.intent });
    return { ...reply, mode: 'basic' };
  }
}
