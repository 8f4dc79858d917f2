export { topics, type CloudEvent, type TopicName } from './cloud-event.js';
export type {
  EventBus,
  OutgoingEvent,
  EventHandler,
  EventBatchHandler,
  SubscribeOptions,
  Subscription,
} from './event-bus.js';
export { createEventBus, type CreateEventBusOptions } from './create-event-bus.js';
export { seedTopics, parseCloudEvent, InvalidEventError, type TopicSpec } from './cloud-event.js';
export { enqueueEvent, outboxChannel, writeWithEvents, type OutboxEventInput, type OutboxContext } from './outbox.js';
export { OutboxRelay, type OutboxRelayOptions, type RelayRole } from './outbox-relay.js';
export {
  idempotentHandler,
  idempotentBatchHandler,
  type IdempotencyDatabase,
  type TransactionalEventHandler,
  type TransactionalBatchHandler,
} from './idempotent-consumer.js';
export { currentTraceparent } from './trace-context.js';
export { MemoryEventBus, type MemoryEventBusOptions } from './memory-event-bus.js';
export { KafkaEventBus, parseKafkaBrokers, type KafkaEventBusOptions } from './kafka-event-bus.js';
export { idleBackoff, type RetryBackoff } from './backoff.js';
