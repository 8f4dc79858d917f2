import { UnavailableError } from '@tend/core';
import { BaseService } from '@tend/core';
import type { Logger } from '@tend/core';
import type { Metrics } from '@tend/core';
import { backoffDelay, checkBackoff, type RetryBackoff } from './backoff.js';
import type { CloudEvent } from './cloud-event.js';
import { deliveryCounter, watchConsumerLag, type DeliveryCounter } from './event-bus-metrics.js';
import { withEventTrace } from './trace-context.js';
import type { EventBus, EventHandler, OutgoingEvent, SubscribeOptions, Subscription } from './event-bus.js';

export interface MemoryEventBusOptions {
  logger: Logger;
  /** Counts deliveries (`tend_events_delivered_total`). @default none */
  metrics?: Metrics;
  /**
   * When `publish` resolves, and so when the outbox relay marks events published.
   * `'handled'`: once every subscribed group has handled them. Memory is not durable, so this
   * keeps the outbox row unpublished until its effects are committed: a crash or a stop loses
   * nothing (the relay publishes the row again after the restart), at the cost of a relay that
   * waits for consumers (a handler failing for a long time holds back its schema's outbox).
   * `'accepted'`: as soon as the events are queued, like a broker; faster, but events queued at
   * a crash are lost.
   * @default 'handled'
   */
  acknowledge?: 'handled' | 'accepted';
  /**
   * Most events waiting for one consumer group of one topic. When a group with members is this
   * far behind, `publish` rejects and the events wait in the outbox instead of in memory.
   * @default 10_000
   */
  maxPendingPerGroup?: number;
  /**
   * Recent events kept per topic for groups that subscribe later (Kafka keeps them for the
   * topic's retention; a new group starts at the earliest). Covers start-up order in one process.
   * @default 1000
   */
  replayPerTopic?: number;
  /** Handler calls of one group running at once, across partition keys. @default 16 */
  concurrencyPerGroup?: number;
  /** Wait between deliveries of an event whose handler threw. @default { initialDelayMs: 100, maxDelayMs: 30_000 } */
  retry?: RetryBackoff;
  /** How long `stop` waits for running handlers to finish. @default 10_000 */
  stopTimeoutMs?: number;
}

/** One `publish` call waiting for its deliveries (acknowledge: 'handled'). */
interface PendingPublish {
  remaining: number;
  resolve: () => void;
  reject: (error: Error) => void;
}

interface Entry {
  /** JSON of the event: every delivery parses a fresh copy, as a broker would. */
  json: string;
  /** The publish waiting for this delivery, if any. */
  publish?: PendingPublish;
}

/** One partition key's events for one group, delivered one at a time, in order. */
interface Lane {
  key: string;
  queue: Entry[];
  attempts: number;
  timer?: NodeJS.Timeout;
}

interface Member {
  handler: EventHandler;
  open: boolean;
  inFlight: number;
  idle?: () => void;
}

interface Group {
  topic: string;
  name: string;
  lanes: Map<string, Lane>;
  /** Lanes with an event ready and no delivery running or scheduled. */
  ready: Lane[];
  members: Member[];
  nextMember: number;
  running: number;
  pending: number;
  dropping: boolean;
}

/**
 * The in-process event bus of all-in-one mode, with the same contract as Kafka: each consumer
 * group sees every event; in a group, events of one partition key are handled one at a time in
 * publish order while other keys proceed in parallel; a handler that throws gets the same event
 * again after a backoff, holding back only its own key. Queues are bounded: past the bound
 * `publish` rejects, so the outbox (which retries) holds the surplus, never the heap.
 */
export class MemoryEventBus extends BaseService implements EventBus {
  readonly kind = 'memory' as const;
  readonly #logger: Logger;
  readonly #acknowledge: 'handled' | 'accepted';
  readonly #maxPending: number;
  readonly #replayPerTopic: number;
  readonly #concurrency: number;
  readonly #retry: Required<RetryBackoff>;
  readonly #stopTimeoutMs: number;
  readonly #delivered: DeliveryCounter;
  readonly #metrics: MemoryEventBusOptions['metrics'];
  readonly #unwatch: (() => void)[] = [];
  readonly #groups = new Map<string, Map<string, Group>>();
  readonly #replay = new Map<string, string[]>();
  readonly #waiting = new Set<PendingPublish>();
  #closed = false;

  constructor(options: MemoryEventBusOptions) {
    super('event-bus:memory');
    this.#logger = options.logger.child({ component: 'memory-event-bus' });
    this.#acknowledge = options.acknowledge ?? 'handled';
    this.#maxPending = options.maxPendingPerGroup ?? 10_000;
    this.#replayPerTopic = options.replayPerTopic ?? 1000;
    this.#concurrency = options.concurrencyPerGroup ?? 16;
    if (!(this.#maxPending >= 1) || !(this.#replayPerTopic >= 0) || !(this.#concurrency >= 1)) {
      throw new RangeError(
        'memory event bus: maxPendingPerGroup and concurrencyPerGroup must be >= 1, replayPerTopic >= 0',
      );
    }
    this.#retry = checkBackoff('memory event bus', options.retry);
    this.#stopTimeoutMs = options.stopTimeoutMs ?? 10_000;
    this.#delivered = deliveryCounter(options.metrics);
    this.#metrics = options.metrics;
  }

  protected async doStart(): Promise<void> {}

  /**
   * Stops deliveries, fails the publishes still waiting (those outbox rows stay unpublished for
   * the next start) and waits for running handlers, up to `stopTimeoutMs`.
   */
  protected async doStop(): Promise<void> {
    this.#closed = true;
    for (const unwatch of this.#unwatch.splice(0)) unwatch();
    for (const publish of this.#waiting) publish.reject(stoppedError());
    this.#waiting.clear();
    const closing: Promise<void>[] = [];
    for (const groups of this.#groups.values()) {
      for (const group of groups.values()) {
        for (const lane of group.lanes.values()) clearTimeout(lane.timer);
        for (const member of group.members) closing.push(this.#leave(group, member));
      }
    }
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<void>((resolve) => (timer = setTimeout(resolve, this.#stopTimeoutMs)));
    await Promise.race([Promise.all(closing), timeout]);
    clearTimeout(timer);
  }

  /**
   * Accepts the whole batch or none of it: when any group with members is full, it rejects with
   * `UnavailableError` and nothing is enqueued, so a retry cannot duplicate half a batch. With
   * `acknowledge: 'handled'` it then resolves once every group that had members has handled
   * every event, and rejects if the bus stops or such a group loses its last member first.
   */
  async publish(events: OutgoingEvent[]): Promise<void> {
    if (this.#closed) throw stoppedError();
    const perTopic = new Map<string, OutgoingEvent[]>();
    for (const outgoing of events) {
      if (!outgoing.topic) throw new TypeError('event without a topic');
      if (!outgoing.event.partitionkey) throw new TypeError(`event ${outgoing.event.id} without a partitionkey`);
      const list = perTopic.get(outgoing.topic) ?? [];
      list.push(outgoing);
      perTopic.set(outgoing.topic, list);
    }
    for (const [topic, list] of perTopic) {
      for (const group of this.#groups.get(topic)?.values() ?? []) {
        if (hasMembers(group) && group.pending + list.length > this.#maxPending) {
          throw new UnavailableError(
            'event-bus',
            `consumer group ${group.name} of ${topic} has ${group.pending} events waiting (limit ${this.#maxPending})`,
          );
        }
      }
    }
    let pending: PendingPublish | undefined;
    const handled = new Promise<void>((resolve, reject) => {
      pending = { remaining: 0, resolve, reject };
    });
    const waitFor = this.#acknowledge === 'handled' ? pending : undefined;
    for (const [topic, list] of perTopic) {
      const jsons = list.map(({ event }) => JSON.stringify(event));
      this.#remember(topic, jsons);
      for (const group of this.#groups.get(topic)?.values() ?? []) {
        const publish = hasMembers(group) ? waitFor : undefined;
        list.forEach(({ event }, i) => {
          if (this.#append(group, event.partitionkey, { json: jsons[i]!, publish }) && publish) publish.remaining += 1;
        });
        this.#pump(group);
      }
    }
    if (!waitFor || waitFor.remaining === 0) return;
    this.#waiting.add(waitFor);
    try {
      await handled;
    } finally {
      this.#waiting.delete(waitFor);
    }
  }

  async subscribe(options: SubscribeOptions): Promise<Subscription> {
    if (this.#closed) throw stoppedError();
    const groups = this.#groups.get(options.topic) ?? new Map<string, Group>();
    this.#groups.set(options.topic, groups);
    let group = groups.get(options.group);
    if (!group) {
      group = {
        topic: options.topic,
        name: options.group,
        lanes: new Map(),
        ready: [],
        members: [],
        nextMember: 0,
        running: 0,
        pending: 0,
        dropping: false,
      };
      groups.set(options.group, group);
      const watched = group;
      this.#unwatch.push(watchConsumerLag(this.#metrics, options.topic, options.group, () => watched.pending));
      for (const json of this.#replay.get(options.topic) ?? []) {
        this.#append(group, (JSON.parse(json) as CloudEvent).partitionkey, { json });
      }
    }
    const member: Member = { handler: options.handler, open: true, inFlight: 0 };
    group.members.push(member);
    this.#pump(group);
    const joined = group;
    return { close: () => this.#leave(joined, member) };
  }

  #remember(topic: string, jsons: string[]): void {
    if (this.#replayPerTopic === 0) return;
    const kept = this.#replay.get(topic) ?? [];
    kept.push(...jsons);
    if (kept.length > this.#replayPerTopic) kept.splice(0, kept.length - this.#replayPerTopic);
    this.#replay.set(topic, kept);
  }

  /** Queues an entry for a group; false when dropped (only for a full group without members). */
  #append(group: Group, key: string, entry: Entry): boolean {
    if (group.pending >= this.#maxPending) {
      if (!group.dropping) {
        this.#logger.warn(
          { topic: group.topic, group: group.name },
          'consumer group has no members and is full; dropping its events',
        );
      }
      group.dropping = true;
      return false;
    }
    group.dropping = false;
    let lane = group.lanes.get(key);
    if (!lane) {
      lane = { key, queue: [], attempts: 0 };
      group.lanes.set(key, lane);
      group.ready.push(lane);
    }
    lane.queue.push(entry);
    group.pending += 1;
    return true;
  }

  #pickMember(group: Group): Member | undefined {
    const open = group.members.filter((m) => m.open);
    if (open.length === 0) return undefined;
    group.nextMember = (group.nextMember + 1) % open.length;
    return open[group.nextMember];
  }

  #pump(group: Group): void {
    while (!this.#closed && group.running < this.#concurrency && group.ready.length > 0) {
      const member = this.#pickMember(group);
      if (!member) return;
      const lane = group.ready.shift()!;
      group.running += 1;
      member.inFlight += 1;
      void this.#deliver(group, lane, member);
    }
  }

  async #deliver(group: Group, lane: Lane, member: Member): Promise<void> {
    const entry = lane.queue[0]!;
    let failure: unknown;
    let handled = false;
    try {
      const event = JSON.parse(entry.json) as CloudEvent;
      await withEventTrace(event, { system: 'memory', topic: group.topic, group: group.name }, () =>
        member.handler(event, group.topic),
      );
      handled = true;
    } catch (error) {
      failure = error;
    } finally {
      group.running -= 1;
      member.inFlight -= 1;
      if (member.inFlight === 0) member.idle?.();
    }
    this.#delivered(group.topic, group.name, handled ? 'handled' : 'failed');
    if (handled) {
      lane.queue.shift();
      lane.attempts = 0;
      group.pending -= 1;
      const publish = entry.publish;
      if (publish && --publish.remaining === 0) publish.resolve();
      if (lane.queue.length > 0) group.ready.push(lane);
      else group.lanes.delete(lane.key);
    } else {
      lane.attempts += 1;
      const delay = backoffDelay(lane.attempts, this.#retry);
      const level = lane.attempts === 1 || lane.attempts % 10 === 0 ? 'warn' : 'debug';
      this.#logger[level](
        { err: failure, topic: group.topic, group: group.name, attempts: lane.attempts, retryInMs: Math.round(delay) },
        'event handler failed; the event will be delivered again',
      );
      lane.timer = setTimeout(() => {
        lane.timer = undefined;
        group.ready.push(lane);
        this.#pump(group);
      }, delay);
    }
    this.#pump(group);
  }

  /** Stops calls to this member's handler; resolves once its running calls have settled. */
  async #leave(group: Group, member: Member): Promise<void> {
    if (member.open) {
      member.open = false;
      group.members = group.members.filter((m) => m !== member);
      if (!hasMembers(group)) this.#abandonWaits(group);
    }
    if (member.inFlight === 0) return;
    await new Promise<void>((resolve) => {
      const previous = member.idle;
      member.idle = () => {
        previous?.();
        resolve();
      };
    });
  }

  /**
   * The group's last member left: publishes waiting on its queued events fail (the relay keeps
   * those outbox rows and publishes them again); the events stay queued for a later member.
   */
  #abandonWaits(group: Group): void {
    for (const lane of group.lanes.values()) {
      for (const entry of lane.queue) {
        entry.publish?.reject(new UnavailableError('event-bus', `consumer group ${group.name} has no members left`));
        entry.publish = undefined;
      }
    }
  }
}

function hasMembers(group: Group): boolean {
  return group.members.some((m) => m.open);
}

function stoppedError(): UnavailableError {
  return new UnavailableError('event-bus', 'the in-process event bus is stopped');
}
