import { createClient, type Transport } from '@connectrpc/connect';
import {
  CacheAside,
  OutboxRelay,
  RetentionTask,
  createResiliencePolicy,
  TaskService,
  randomIds,
  systemClock,
  topics,
  type Cache,
  type Clock,
  type Database,
  type EventBus,
  type FieldCipher,
  type GrpcServiceModule,
  type Ids,
  type Logger,
  type Metrics,
  type Subscription,
} from '@tend/platform';
import { ConversationService } from '@tend/proto/tend/conversation/v1/conversation';
import { ExternalService } from '@tend/proto/tend/external/v1/external';
import { HealthPublicService } from '@tend/proto/tend/health/v1/health_public_service';
import { NotificationService } from '@tend/proto/tend/notification/v1/notification';
import { EmbeddedBrain } from './brain/embedded-brain.js';
import { AnswerCache } from './brain/answer-cache.js';
import { RollingSummaries } from './brain/rolling-summaries.js';
import { FairQueue } from './brain/fair-queue.js';
import { LlmBrain, type LlmSettings } from './brain/llm-brain.js';
import type { ConversationTables } from './db/tables.js';
import { ParaphraseMatcher, corpusTrainingSentences } from './understanding/paraphrase-matcher.js';
import { eraseConversationsOf } from './account-erasure.js';
import { ConversationStore } from './store/conversation-store.js';
import { ChatSeal, sealPlaintextHistory } from './store/chat-seal.js';
import { ConversationHistory } from './store/conversation-history.js';
import { TurnOrchestrator, type TurnModel } from './turns/turn-orchestrator.js';
import { conversationRoutes } from './handlers/conversation-handlers.js';

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
  /** Keeps each conversation's recent messages (1 h), its owner and title (24 h) and common answers (30 min), all sealed. */
  cache: Cache;
  /** Seals message text, titles, summaries and cached answers (the field cipher the health service uses). */
  cipher: FieldCipher;
  /**
   * Days a message is kept (`CONVERSATION_RETENTION_DAYS`); a conversation goes when it has had
   * no message for as long.
   * @default 365
   */
  retentionDays?: number;
  /** How often expired messages are deleted. @default 3_600_000 (1 h) */
  retentionEveryMs?: number;
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

const dayMs = 24 * 3_600_000;

/**
 * The conversation service: each turn is understood and acted on by the embedded brain (the
 * default, and what answers whenever no language model is configured), stored sealed with its
 * reply in the person's conversation, and reported as a `conversation_events` event without its
 * text. This wires the parts: the store (SQL), the history (sealing and cache), the turn
 * orchestrator (which brain answers) and the handlers.
 */
export function createConversationService(deps: ConversationServiceDeps): GrpcServiceModule {
  const clock = deps.clock ?? systemClock;
  const ids = deps.ids ?? randomIds;
  const schema = deps.schema ?? 'conversation';
  const { logger, metrics } = deps;
  const store = new ConversationStore(deps.database.schema<ConversationTables>(schema), clock, ids);
  const seal = new ChatSeal(deps.cipher);
  // Every conversation cache shares one breaker: an unreachable Redis is skipped by all of them.
  const cachePolicy = createResiliencePolicy({
    name: 'cache:conversation',
    timeoutMs: 250,
    breakerThreshold: 5,
    breakerHalfOpenAfterMs: 30_000,
    logger,
    metrics,
  });
  const cacheAside = (name: string) =>
    new CacheAside({ cache: deps.cache, metrics, logger, name, policy: cachePolicy, clock });
  const history = new ConversationHistory({ store, seal, cache: cacheAside('conversation'), clock, ids });
  const answers = new AnswerCache({
    answers: cacheAside('conversation-answers'),
    sharedAnswers: cacheAside('conversation-shared-answers'),
    generations: cacheAside('conversation-answer-generations'),
    seal,
  });

  const health = createClient(HealthPublicService, deps.health);
  const external = deps.external && createClient(ExternalService, deps.external);
  const notification = deps.notification && createClient(NotificationService, deps.notification);
  const brain = new EmbeddedBrain(health, new ParaphraseMatcher(corpusTrainingSentences()), external, notification);
  const model = deps.llm && languageModel(deps.llm, deps, health, external, notification, history);
  const turns = new TurnOrchestrator({ health, history, brain, model, answers, logger, metrics, clock, ids });

  const keepSummaries = new TaskService(
    `${schema}-summaries`,
    async () => {},
    async () => model?.summaries.drain(),
  );

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

  // A deleted account's conversations go with it, cached copies included. One group for all
  // replicas: the erasure is in the database and the shared cache, so one replica doing it is enough.
  let erasure: Subscription | undefined;
  const eraseDeletedAccounts = new TaskService(
    `${schema}-account-erasure`,
    async () => {
      erasure = await deps.bus.subscribe({
        topic: topics.analyticsEvents.name,
        group: `${schema}-account-erasure`,
        handler: async (event) => {
          if (event.type !== 'tend.health.user.deleted') return;
          await eraseConversationsOf(history, event.data);
          await answers.forget(event.partitionkey);
        },
      });
    },
    async () => erasure?.close(),
  );

  // Plaintext rows from before sealing are sealed before the first turn is served.
  const migrate = new TaskService(`${schema}-migrations`, async () => {
    await store.migrate();
    await sealPlaintextHistory(store, seal, logger);
  });
  const keepMs = (deps.retentionDays ?? 365) * dayMs;
  const retention = new RetentionTask({
    db: store.db,
    rules: [
      { table: 'chat_messages', timeColumn: 'created_at', keepMs },
      { table: 'conversations', timeColumn: 'updated_at', keepMs },
    ],
    logger,
    everyMs: deps.retentionEveryMs,
  });
  const relay = new OutboxRelay({ schema, connection: deps.database.primaryUrl, bus: deps.bus, logger, metrics });

  return {
    name: 'conversation',
    serviceNames: [ConversationService.typeName],
    parts: [migrate, relay, listenForChanges, eraseDeletedAccounts, keepSummaries, retention],
    routes: conversationRoutes(turns, history),
  };
}

/** The language model with its breaker, fair queue and rolling summaries. */
function languageModel(
  settings: LlmSettings,
  deps: ConversationServiceDeps,
  ...[health, external, notification, history]: [
    ConstructorParameters<typeof LlmBrain>[1],
    ConstructorParameters<typeof LlmBrain>[2],
    ConstructorParameters<typeof LlmBrain>[3],
    ConversationHistory,
  ]
): TurnModel {
  const brain = new LlmBrain(settings, health, external, notification, deps.metrics);
  const policy = createResiliencePolicy({
    name: 'llm',
    timeoutMs: settings.totalTimeoutMs ?? 15_000,
    breakerThreshold: 5,
    breakerHalfOpenAfterMs: 30_000,
    logger: deps.logger,
    metrics: deps.metrics,
  });
  const queue = new FairQueue(deps.llmConcurrency ?? 8, 100);
  const summaries = new RollingSummaries({
    llm: brain,
    run: (personId, work) => queue.run(personId, () => policy.executeOnce(work)),
    save: (conversation, summary) => history.saveSummary(conversation.id, conversation.personId, summary),
    logger: deps.logger,
  });
  return { brain, policy, queue, summaries };
}
