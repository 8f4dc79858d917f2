import { fileURLToPath } from 'node:url';
import { create } from '@bufbuild/protobuf';
import { timestampFromDate } from '@bufbuild/protobuf/wkt';
import { createClient, type Transport } from '@connectrpc/connect';
import {
  MonthlyPartitions,
  NotFoundError,
  OutboxRelay,
  createResiliencePolicy,
  TaskService,
  UnauthenticatedError,
  ValidationError,
  codePointLength,
  nulTextMessage,
  loadMigrations,
  randomIds,
  systemClock,
  topics,
  writeWithEvents,
  type Cache,
  type Clock,
  type Database,
  type EventBus,
  type GrpcServiceModule,
  type Ids,
  type Logger,
  type Metrics,
  type Subscription,
} from '@tend/platform';
import { AnswerMode, type Caller } from '@tend/proto/tend/common/v1/common';
import {
  ConversationSchema,
  ConversationService,
  MessageRole,
  MessageSchema,
  ProcessConversationResponseSchema,
  ReplySchema,
  type ProcessConversationRequest,
  type ProcessConversationResponse,
} from '@tend/proto/tend/conversation/v1/conversation';
import { ExternalService } from '@tend/proto/tend/external/v1/external';
import { HealthService } from '@tend/proto/tend/health/v1/health_service';
import { NotificationService } from '@tend/proto/tend/notification/v1/notification';
import { EmbeddedBrain, type BrainReply, type Person, type TurnInput } from './brain/embedded-brain.js';
import { AnswerCache } from './brain/answer-cache.js';
import { contextWindow, type ConversationSummary, type PastMessage } from './brain/context-window.js';
import { RollingSummaries } from './brain/rolling-summaries.js';
import { FairQueue } from './brain/fair-queue.js';
import { LlmBrain, type LlmSettings } from './brain/llm-brain.js';
import { understand } from './understanding/understand.js';
import type { ConversationTables } from './db/tables.js';
import { ParaphraseMatcher, corpusTrainingSentences } from './understanding/paraphrase-matcher.js';
import { newestFirstPage, olderThan } from './pages.js';
import { eraseConversationsOf } from './account-erasure.js';

export interface ConversationServiceDeps {
  database: Database;
  bus: EventBus;
  /** How the health service is reached (its tools act on the person's record). */
  health: Transport;
  /** How the external service is reached (weather, the person's place, appointments). @default none: those questions get "not yet" */
  external?: Transport;
  /** How the notification service is reached (snoozing and listing reminders). @default none: those requests get "not yet" */
  notification?: Transport;
  /** A language model to answer with; without one the embedded brain answers everything. */
  llm?: LlmSettings;
  /** Keeps each conversation's recent messages (1 h), and its owner and title (24 h). */
  cache: Cache;
  /** Language-model calls at once; more wait in a per-person fair queue (100 at most). @default 8 */
  llmConcurrency?: number;
  logger: Logger;
  metrics: Metrics;
  /** @default the system clock */
  clock?: Clock;
  /** @default random UUIDs */
  ids?: Ids;
  /** The database schema it keeps conversations in (suites use one of their own). @default 'conversation' */
  schema?: string;
}

const migrationsDir = fileURLToPath(new URL('../migrations', import.meta.url));
const maxTextLength = 4000;
/** Recent messages kept per conversation for the model's context, and for how long. */
const recentLimit = 40;
const recentTtlMs = 3_600_000;
const recentKey = (conversationId: string) => `conversation:recent:${conversationId}`;
/** Who a conversation belongs to, its title and the model's summary of it, cached a day. */
interface ConversationMeta {
  userId: string;
  title: string;
  summary?: ConversationSummary;
}
const conversationTtlMs = 24 * 3_600_000;
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
const conversationKey = (conversationId: string) => `conversation:meta:${conversationId}`;
const uuidPattern = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/**
 * The conversation service: each turn is understood and acted on by the embedded brain (the
 * default, and what answers whenever no language model is configured), stored with its reply in
 * the person's conversation, and reported as a `conversation_events` event without its text.
 */
export function createConversationService(deps: ConversationServiceDeps): GrpcServiceModule {
  const clock = deps.clock ?? systemClock;
  const ids = deps.ids ?? randomIds;
  const schema = deps.schema ?? 'conversation';
  const db = deps.database.schema<ConversationTables>(schema);
  const partitions = new MonthlyPartitions(db, 'chat_messages', clock);
  const health = createClient(HealthService, deps.health);
  const paraphrases = new ParaphraseMatcher(corpusTrainingSentences());
  const external = deps.external && createClient(ExternalService, deps.external);
  const notification = deps.notification && createClient(NotificationService, deps.notification);
  const brain = new EmbeddedBrain(health, paraphrases, external, notification);
  const llm = deps.llm && new LlmBrain(deps.llm, health, external, notification, deps.metrics);
  // 5 failures in a row open it for 30 s: the model is not asked while it is failing.
  const llmPolicy = createResiliencePolicy({
    name: 'llm',
    timeoutMs: deps.llm?.totalTimeoutMs ?? 15_000,
    breakerThreshold: 5,
    breakerHalfOpenAfterMs: 30_000,
    logger: deps.logger,
    metrics: deps.metrics,
  });

  const llmQueue = new FairQueue(deps.llmConcurrency ?? 8, 100);
  const summaries =
    llm &&
    new RollingSummaries({
      llm,
      run: (personId, work) => llmQueue.run(personId, () => llmPolicy.executeOnce(work)),
      save: async (conversationId, summary) => {
        const through = new Date(summary.through);
        const saved = await db.primary
          .updateTable('conversations')
          .set({ summary: summary.text, summary_through: through })
          .where('id', '=', conversationId)
          // Folds finishing out of order must not put an older summary back.
          .where((eb) => eb.or([eb('summary_through', 'is', null), eb('summary_through', '<', through)]))
          .returning(['user_id', 'title'])
          .executeTakeFirst();
        if (saved) await rememberConversation(conversationId, { userId: saved.user_id, title: saved.title, summary });
      },
      logger: deps.logger,
    });
  const keepSummaries = new TaskService(
    `${schema}-summaries`,
    async () => {},
    async () => summaries?.drain(),
  );
  const answers = new AnswerCache(deps.cache, deps.metrics);
  // Any change to a person's record drops their cached answers. Each instance listens in a group
  // of its own: every replica must hear every change.
  let answerInvalidation: Subscription | undefined;
  const listenForChanges = new TaskService(
    `${schema}-answer-invalidation`,
    async () => {
      answerInvalidation = await deps.bus.subscribe({
        topic: topics.analyticsEvents.name,
        group: `conversation-answers-${ids.uuid()}`,
        handler: async (event) => {
          if (event.type.startsWith('tend.health.')) await answers.forget(event.partitionkey);
        },
      });
    },
    async () => answerInvalidation?.close(),
  );

  // A deleted account's conversations go with it. One group for all replicas: the erasure is
  // in the database (and the shared cache), so one replica doing it is enough.
  let erasure: Subscription | undefined;
  const eraseDeletedAccounts = new TaskService(
    `${schema}-account-erasure`,
    async () => {
      erasure = await deps.bus.subscribe({
        topic: topics.analyticsEvents.name,
        group: `${schema}-account-erasure`,
        handler: async (event) => {
          if (event.type !== 'tend.health.user.deleted') return;
          await eraseConversationsOf(db, deps.cache, event.data, recentKey);
          await answers.forget(event.partitionkey);
        },
      });
    },
    async () => erasure?.close(),
  );

  /** A conversation's recent messages, newest first: from the cache, else the database. */
  const recentMessages = async (conversationId: string): Promise<PastMessage[]> => {
    const cached = await deps.cache.get(recentKey(conversationId)).catch(() => undefined);
    if (cached !== undefined) return JSON.parse(cached) as PastMessage[];
    const rows = await db.primary
      .selectFrom('chat_messages')
      .select(['role', 'text', 'created_at'])
      .where('conversation_id', '=', conversationId)
      .orderBy('created_at', 'desc')
      .limit(recentLimit)
      .execute();
    return rows.map((row) => ({ role: row.role, text: row.text, at: new Date(row.created_at).toISOString() }));
  };

  /**
   * The model answers when there is one and it is working; on any failure — an error, a stall
   * before the first token, a stream broken halfway — the embedded brain answers the same turn.
   * An emergency never waits for a model.
   */
  const answer = async (
    turn: TurnInput,
    onToken?: (text: string) => void,
  ): Promise<BrainReply & { mode: 'llm' | 'basic' }> => {
    const urgent = understand(turn.text, { medicationNames: [] }).intent === 'emergency';
    if (llm && !urgent) {
      try {
        const reply = await llmQueue.run(turn.person.id, () =>
          llmPolicy.executeOnce((signal) => llm.answer(turn, signal, onToken)),
        );
        deps.metrics.llmCalls.inc({ provider: 'openai-compatible', outcome: 'ok' });
        return { ...reply, mode: 'llm' };
      } catch (error) {
        deps.metrics.llmCalls.inc({ provider: 'openai-compatible', outcome: 'fallback' });
        deps.logger.warn({ err: error }, 'language model failed; the embedded brain answers');
      }
    }
    const cached = await answers.get(turn.person.id, turn.locale ?? turn.person.locale, turn.text);
    if (cached) return { ...cached, actions: [], locale: turn.locale ?? turn.person.locale, mode: 'basic' };
    const reply = await brain.answer(turn);
    if (reply.actions.some((a) => a.ok && writingTools.has(a.tool))) await answers.forget(turn.person.id);
    else await answers.set(turn.person.id, reply.locale, turn.text, { text: reply.text, intent: reply.intent });
    return { ...reply, mode: 'basic' };
  };

  const personOf = async (caller: Caller | undefined): Promise<{ caller: Caller; person: Person }> => {
    if (!caller?.userId) throw new UnauthenticatedError('a conversation needs the person it is with (caller.user_id)');
    const { user } = await health.getUser({ caller });
    return {
      caller,
      person: {
        id: user!.id,
        displayName: user!.displayName,
        locale: user!.locale === 'zh' ? 'zh' : 'en',
        timeZone: user!.timeZone || 'UTC',
      },
    };
  };

  /** Remembers who a conversation belongs to, its title and summary (24 h): asked on every turn. */
  const rememberConversation = (id: string, meta: ConversationMeta) =>
    deps.cache.set(conversationKey(id), JSON.stringify(meta), conversationTtlMs).catch(() => undefined);

  /** Throws unless `id` names one of the person's conversations. */
  const ownConversation = async (userId: string, id: string): Promise<ConversationMeta> => {
    if (!uuidPattern.test(id)) throw ValidationError.field('conversation_id', 'must be a conversation id (UUID)');
    const cached = await deps.cache.get(conversationKey(id)).catch(() => undefined);
    let meta = cached === undefined ? undefined : (JSON.parse(cached) as ConversationMeta);
    if (!meta) {
      const row = await db.primary
        .selectFrom('conversations')
        .select(['user_id', 'title', 'summary', 'summary_through'])
        .where('id', '=', id)
        .executeTakeFirst();
      if (row) {
        meta = {
          userId: row.user_id,
          title: row.title,
          ...(row.summary_through && {
            summary: { text: row.summary, through: new Date(row.summary_through).toISOString() },
          }),
        };
        await rememberConversation(id, meta);
      }
    }
    // Someone else's conversation is "not found" too: its existence is not shown.
    if (meta?.userId !== userId) throw new NotFoundError('conversation', id);
    return meta;
  };

  const openConversation = async (
    userId: string,
    id: string,
    firstText: string,
  ): Promise<{ id: string; meta: ConversationMeta }> => {
    if (id) return { id, meta: await ownConversation(userId, id) };
    const now = clock.now();
    const created = ids.uuid();
    const title = titleOf(firstText);
    await db.primary
      .insertInto('conversations')
      .values({ id: created, user_id: userId, title, created_at: now, updated_at: now })
      .execute();
    const meta = { userId, title };
    await rememberConversation(created, meta);
    return { id: created, meta };
  };

  const processTurn = async (
    request: ProcessConversationRequest,
    onToken?: (text: string) => void,
  ): Promise<ProcessConversationResponse> => {
    const began = performance.now();
    const text = request.text.trim();
    if (text === '') throw ValidationError.field('text', 'is required');
    if (codePointLength(text) > maxTextLength)
      throw ValidationError.field('text', `must be at most ${maxTextLength} characters`);
    if (text.includes('\u0000')) throw ValidationError.field('text', nulTextMessage);
    if (request.locale !== '' && request.locale !== 'en' && request.locale !== 'zh') {
      throw ValidationError.field('locale', 'must be "en" or "zh"');
    }
    const { caller, person } = await personOf(request.caller);
    const { id: conversationId, meta } = await openConversation(person.id, request.conversationId, text);
    const [{ medications }, past] = await Promise.all([
      health.listMedications({ caller, active: true }),
      request.conversationId ? recentMessages(conversationId) : Promise.resolve([]),
    ]);
    const locale = request.locale === '' ? undefined : request.locale;
    const context = contextWindow(past, undefined, meta.summary);
    const answered = await answer({ text, caller, person, medications, now: clock.now(), locale, context }, onToken);
    const now = clock.now();
    // The reply a millisecond after what it answers, so the two always list in that order.
    const repliedAt = new Date(now.getTime() + 1);
    const messageId = ids.uuid();
    await partitions.ensureFor([now]);
    // One statement: both messages, the conversation's activity time and the event, atomic
    // without a transaction's extra round trips.
    await db.writeStatement(async (primary) => {
      await writeWithEvents(
        primary,
        [
          primary.insertInto('chat_messages').values([
            {
              id: ids.uuid(),
              conversation_id: conversationId,
              user_id: person.id,
              role: 'user',
              text,
              mode: null,
              intent: null,
              created_at: now,
            },
            {
              id: messageId,
              conversation_id: conversationId,
              user_id: person.id,
              role: 'assistant',
              text: answered.text,
              mode: answered.mode,
              intent: answered.intent,
              created_at: repliedAt,
            },
          ]),
          primary.updateTable('conversations').set({ updated_at: now }).where('id', '=', conversationId),
        ],
        [
          // What happened, never what was said: the text can hold health data.
          {
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
        ],
        { schema, ids, clock },
      );
    });
    const turnMessages: PastMessage[] = [
      { role: 'assistant', text: answered.text, at: repliedAt.toISOString() },
      { role: 'user', text, at: now.toISOString() },
    ];
    const updated = [...turnMessages, ...past].slice(0, recentLimit);
    await deps.cache.set(recentKey(conversationId), JSON.stringify(updated), recentTtlMs).catch(() => undefined);
    const summarized = {
      id: conversationId,
      personId: person.id,
      locale: locale ?? person.locale,
      summary: meta.summary,
    };
    summaries?.consider(summarized, context.unsummarized);
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
  };

  const migrate = new TaskService(`${schema}-migrations`, async () => {
    await db.migrate(await loadMigrations(migrationsDir));
    await partitions.ensureFor([]);
  });
  const relay = new OutboxRelay({
    schema,
    connection: deps.database.primaryUrl,
    bus: deps.bus,
    logger: deps.logger,
    metrics: deps.metrics,
  });

  return {
    name: 'conversation',
    serviceNames: [ConversationService.typeName],
    parts: [migrate, relay, listenForChanges, eraseDeletedAccounts, keepSummaries],
    routes: (router) =>
      router.service(ConversationService, {
        processConversation: (request) => processTurn(request),

        async *streamConversation(requests) {
          for await (const request of requests) {
            const turn = request.turn;
            if (!turn) throw ValidationError.field('turn', 'is required');
            // A model's tokens go out as they arrive; if it then fails, the embedded brain's
            // reply follows, and the final `reply` event is the answer that counts.
            const tokens: string[] = [];
            let wake: (() => void) | undefined;
            let finished = false;
            const turnDone = processTurn(turn, (token) => {
              tokens.push(token);
              wake?.();
            }).finally(() => {
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
              results.push({ result: { case: 'response' as const, value: await processTurn(turn) } });
            } catch (error) {
              results.push({ result: { case: 'error' as const, value: (error as Error).message } });
            }
          }
          return { results };
        },

        async createConversation(request) {
          const { person } = await personOf(request.caller);
          const now = clock.now();
          const id = ids.uuid();
          // PostgreSQL's text cannot hold NUL: refused here rather than failing the insert.
          if (request.title.includes('\u0000')) throw ValidationError.field('title', nulTextMessage);
          const title = request.title.trim().slice(0, 120) || 'New conversation';
          await db.primary
            .insertInto('conversations')
            .values({ id, user_id: person.id, title, created_at: now, updated_at: now })
            .execute();
          await rememberConversation(id, { userId: person.id, title });
          return {
            conversation: create(ConversationSchema, {
              id,
              title,
              createdAt: timestampFromDate(now),
              updatedAt: timestampFromDate(now),
            }),
          };
        },

        async listConversations(request) {
          const { person } = await personOf(request.caller);
          const { items, nextCursor } = await newestFirstPage(
            request.page,
            (after, take) => {
              let query = db.primary.selectFrom('conversations').selectAll().where('user_id', '=', person.id);
              if (after) query = query.where(olderThan('updated_at', after));
              return query.orderBy('updated_at', 'desc').orderBy('id', 'desc').limit(take).execute();
            },
            (row) => row.updated_at,
          );
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
          const { person } = await personOf(request.caller);
          await ownConversation(person.id, request.conversationId);
          const { items, nextCursor } = await newestFirstPage(
            request.page,
            (after, take) => {
              let query = db.primary
                .selectFrom('chat_messages')
                .selectAll()
                .where('conversation_id', '=', request.conversationId)
                .where('user_id', '=', person.id);
              if (after) query = query.where(olderThan('created_at', after));
              return query.orderBy('created_at', 'desc').orderBy('id', 'desc').limit(take).execute();
            },
            (row) => row.created_at,
          );
          return {
            messages: items.map((row) =>
              create(MessageSchema, {
                id: row.id,
                conversationId: row.conversation_id,
                role: row.role === 'user' ? MessageRole.USER : MessageRole.ASSISTANT,
                text: row.text,
                createdAt: timestampFromDate(row.created_at),
                mode:
                  row.mode === 'basic'
                    ? AnswerMode.BASIC
                    : row.mode === 'llm'
                      ? AnswerMode.LLM
                      : AnswerMode.UNSPECIFIED,
              }),
            ),
            page: { nextCursor },
          };
        },
      }),
  };
}

/** A conversation's title from its first turn: the first words, at most 60 characters. */
function titleOf(text: string): string {
  const title = text.replace(/\s+/g, ' ').trim();
  return title.length <= 60 ? title || 'New conversation' : `${title.slice(0, 57).trimEnd()}…`;
}
