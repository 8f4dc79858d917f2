import { create } from '@bufbuild/protobuf';
import type { Client } from '@connectrpc/connect';
import type { CloudEvent } from '@tend/events';
import type { Clock, Ids, Logger } from '@tend/core';
import { CallerSchema, Role } from '@tend/proto/tend/common/v1/common';
import { CaregiverScope, type CaregiverLink } from '@tend/proto/tend/health/v1/caregivers';
import type { HealthPublicService } from '@tend/proto/tend/health/v1/health_public_service';
import type { Transaction } from 'kysely';
import { LRUCache } from 'lru-cache';
import { z } from 'zod';
import type { EmailSender } from '../channels/email-sender.js';
import type { SmsSender } from '../channels/sms-sender.js';
import type { NotificationTables } from '../db/tables.js';
import { writeNotifications, type NotificationDraft } from '../inbox/notification-writer.js';
import { deliveryPlanFor, type ChannelName, type KindName } from '../preferences/preference-rules.js';
import type { PreferenceStore } from '../preferences/preference-store.js';
import { alertText, readingText } from './alert-messages.js';

const alertData = z.object({
  reason: z.string().optional(),
  systolic: z.number().optional(),
  diastolic: z.number().optional(),
  value: z.number().optional(),
  unit: z.string().optional(),
  vitalId: z.string().optional(),
});
const turnData = z.object({ intent: z.string().nullable().optional(), conversationId: z.string().optional() });

/**
 * How long one read of a person's record and caregivers serves their next alerts. A backlog (the
 * alerts written while Kafka was away) holds many alerts of one person back to back, each of
 * which would otherwise cost the health service two calls; handled that late, an alert already
 * sees the links as they are when it is handled, not when it was raised, so a second more is no
 * weaker a promise.
 */
const recipientsReuseMs = 1_000;

/** Most people whose lookups are kept for reuse at once. */
const recipientsReuseMax = 10_000;

interface Person {
  displayName: string;
  locale: 'en' | 'zh';
  emergencyContact: { phone: string; email: string } | undefined;
}

/** A notification decided on, before its recipient's preferences say how it goes. */
interface Addressed {
  userId: string;
  kind: KindName;
  text: Record<'en' | 'zh', { title: string; body: string }>;
  /** Its idempotency key: derived from the event, so a redelivery notifies no one twice. */
  key: string;
  fallbackLanguage: 'en' | 'zh';
  event: CloudEvent;
}

/** Who an alert about a person goes to: the person's record and their caregiver links. */
interface Recipients {
  person: Person;
  caregivers: CaregiverLink[];
}

export interface AlertConsumerDeps {
  health: Client<typeof HealthPublicService>;
  preferences: PreferenceStore;
  enabledChannels: ReadonlySet<ChannelName>;
  schema: string;
  clock: Clock;
  ids: Ids;
  logger: Logger;
  email?: EmailSender;
  sms?: SmsSender;
  /** The delivery worker's wake (`WriterContext`). */
  deliveriesQueued?: () => void;
}

/**
 * Alerts that do not come from a schedule: an urgent reading (`tend.health.alert.raised` on
 * `notification_queue`) goes to the person and to caregivers allowed to read their vitals; an
 * emergency said to Tend (a conversation turn understood as one) goes at once to every caregiver
 * and to the person's emergency contact, on every channel each allows, quiet hours or not. Runs
 * inside the idempotent consumer's transaction, and each notification's key is derived from the
 * event, so a redelivered event notifies no one twice.
 */
export class AlertConsumer {
  /** Lookups of the last `recipientsReuseMs`, by person, expiring by the injected clock. */
  readonly #recipients: LRUCache<string, Promise<Recipients>>;

  constructor(private readonly deps: AlertConsumerDeps) {
    this.#recipients = new LRUCache({
      // More people than one second of a backlog names; past it the oldest is simply asked again.
      max: recipientsReuseMax,
      ttl: recipientsReuseMs,
      // Read the clock on every look-up, so a test that moves it sees the expiry at once.
      ttlResolution: 0,
      perf: { now: () => deps.clock.now().getTime() },
    });
  }

  async handle(event: CloudEvent, trx: Transaction<NotificationTables>, topic: string): Promise<void> {
    if (event.type === 'tend.health.alert.raised' && topic === 'notification_queue') {
      await this.handleUrgentReadings([event], trx);
    } else if (event.type === 'tend.conversation.turn.completed') {
      const data = turnData.safeParse(event.data);
      if (data.success && data.data.intent === 'emergency') await this.#emergency(event, trx);
    }
  }

  /**
   * Urgent readings (`tend.health.alert.raised` on `notification_queue`) in one transaction, as a
   * backlog's batch comes: each person's recipients looked up once, everyone's preferences in one
   * read, every notification in one write.
   */
  async handleUrgentReadings(events: readonly CloudEvent[], trx: Transaction<NotificationTables>): Promise<void> {
    const addressed = (await Promise.all(events.map((event) => this.#urgentReading(event)))).flat();
    await writeNotifications(trx, await this.#drafts(addressed), this.#context());
  }

  async #urgentReading(event: CloudEvent): Promise<Addressed[]> {
    const parsed = alertData.safeParse(event.data);
    if (!parsed.success) return [];
    const personId = event.partitionkey;
    const reading = readingText(parsed.data);
    const { person, caregivers } = await this.#recipientsOf(personId);
    const key = `alert:${event.subject ?? event.id}:${parsed.data.reason ?? ''}`;
    return [
      {
        userId: personId,
        kind: 'urgent_reading',
        text: alertText.urgentToPerson(reading),
        key,
        fallbackLanguage: person.locale,
        event,
      },
      ...caregivers
        .filter((link) => link.scopes.includes(CaregiverScope.READ_VITALS))
        .map((link): Addressed => ({
          userId: link.caregiverUserId,
          kind: 'caregiver_alert',
          text: alertText.urgentToCaregiver(person.displayName, reading),
          key,
          fallbackLanguage: 'en',
          event,
        })),
    ];
  }

  async #emergency(event: CloudEvent, trx: Transaction<NotificationTables>): Promise<void> {
    const personId = event.partitionkey;
    const { person, caregivers } = await this.#recipientsOf(personId);
    const text = alertText.emergency(person.displayName);
    const key = `emergency:${event.id}`;
    const drafts = await this.#drafts(
      caregivers.map((link) => ({
        userId: link.caregiverUserId,
        kind: 'emergency' as const,
        text,
        key,
        fallbackLanguage: 'en' as const,
        event,
      })),
    );
    await writeNotifications(trx, drafts, this.#context());
    // The emergency contact has no account: they are told straight away, by text and e-mail.
    const contact = person.emergencyContact;
    const words = text[person.locale];
    const sends: Promise<unknown>[] = [];
    if (contact?.phone && this.deps.sms)
      sends.push(this.deps.sms.sendText(contact.phone, `${words.title}: ${words.body}`));
    if (contact?.email && this.deps.email) {
      sends.push(
        this.deps.email.send(
          { kind: 'email', address: contact.email },
          {
            deliveryId: this.deps.ids.uuid(),
            notificationId: event.id,
            kind: 'emergency',
            language: person.locale,
            data: {},
            actions: [],
            ...words,
          },
        ),
      );
    }
    const results = await Promise.allSettled(sends);
    for (const result of results) {
      if (result.status === 'rejected') {
        this.deps.logger.error({ err: result.reason, personId }, 'the emergency contact could not be reached');
      }
    }
  }

  /** The notifications as each recipient's preferences have them go (one read for all of them). */
  async #drafts(addressed: readonly Addressed[]): Promise<NotificationDraft[]> {
    if (addressed.length === 0) return [];
    const preferences = await this.deps.preferences.getMany(addressed.map((a) => a.userId));
    const now = this.deps.clock.now();
    return addressed.map((a) => {
      const prefs = preferences.get(a.userId)!;
      const language = prefs.language || a.fallbackLanguage;
      const plan = deliveryPlanFor(a.kind, prefs, now, prefs.timeZone);
      return {
        userId: a.userId,
        kind: a.kind,
        ...a.text[language],
        data: { source: a.event.type, subject: a.event.subject ?? '', patientUserId: a.event.partitionkey, language },
        idempotencyKey: a.key,
        channels: plan.channels.filter((c) => this.deps.enabledChannels.has(c)),
        holdUntil: plan.holdUntil,
      };
    });
  }

  /** The person's record and caregivers, both asked at once, or a lookup made in the last `recipientsReuseMs`. */
  #recipientsOf(personId: string): Promise<Recipients> {
    const recent = this.#recipients.get(personId);
    if (recent) return recent;
    const lookup = Promise.all([this.#person(personId), this.#caregivers(personId)]).then(([person, caregivers]) => ({
      person,
      caregivers,
    }));
    this.#recipients.set(personId, lookup);
    // A failed lookup is not reused: the event is retried, and so is the lookup.
    lookup.catch(() => {
      if (this.#recipients.peek(personId) === lookup) this.#recipients.delete(personId);
    });
    return lookup;
  }

  async #person(personId: string): Promise<Person> {
    const { user } = await this.deps.health.getUser({ caller: this.#as(personId) });
    return {
      displayName: user?.displayName ?? '',
      locale: user?.locale === 'zh' ? 'zh' : 'en',
      emergencyContact: user?.profile?.emergencyContact,
    };
  }

  async #caregivers(personId: string): Promise<CaregiverLink[]> {
    const { links } = await this.deps.health.listCaregivers({ caller: this.#as(personId), page: { limit: 100 } });
    return links;
  }

  /** The person the event is about: the service acts for them to read their own record. */
  #as(personId: string) {
    return create(CallerSchema, { userId: personId, role: Role.USER });
  }

  #context() {
    const { schema, clock, ids, deliveriesQueued } = this.deps;
    return { schema, clock, ids, deliveriesQueued };
  }
}
