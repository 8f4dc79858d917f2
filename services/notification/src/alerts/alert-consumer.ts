import { create } from '@bufbuild/protobuf';
import type { Client } from '@connectrpc/connect';
import type { CloudEvent } from '@tend/events';
import type { Clock, Ids, Logger } from '@tend/core';
import { CallerSchema, Role } from '@tend/proto/tend/common/v1/common';
import { CaregiverScope } from '@tend/proto/tend/health/v1/caregivers';
import type { HealthPublicService } from '@tend/proto/tend/health/v1/health_public_service';
import type { Transaction } from 'kysely';
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
  constructor(private readonly deps: AlertConsumerDeps) {}

  async handle(event: CloudEvent, trx: Transaction<NotificationTables>, topic: string): Promise<void> {
    if (event.type === 'tend.health.alert.raised' && topic === 'notification_queue') {
      await this.#urgentReading(event, trx);
    } else if (event.type === 'tend.conversation.turn.completed') {
      const data = turnData.safeParse(event.data);
      if (data.success && data.data.intent === 'emergency') await this.#emergency(event, trx);
    }
  }

  async #urgentReading(event: CloudEvent, trx: Transaction<NotificationTables>): Promise<void> {
    const parsed = alertData.safeParse(event.data);
    if (!parsed.success) return;
    const personId = event.partitionkey;
    const reading = readingText(parsed.data);
    const person = await this.#person(personId);
    const caregivers = (await this.#caregivers(personId)).filter((link) =>
      link.scopes.includes(CaregiverScope.READ_VITALS),
    );
    const key = `alert:${event.subject ?? event.id}:${parsed.data.reason ?? ''}`;
    const drafts = [
      await this.#draft(personId, 'urgent_reading', alertText.urgentToPerson(reading), key, person.locale, event),
      ...(await Promise.all(
        caregivers.map((link) =>
          this.#draft(
            link.caregiverUserId,
            'caregiver_alert',
            alertText.urgentToCaregiver(person.displayName, reading),
            key,
            'en',
            event,
          ),
        ),
      )),
    ];
    await writeNotifications(trx, drafts, this.#context());
  }

  async #emergency(event: CloudEvent, trx: Transaction<NotificationTables>): Promise<void> {
    const personId = event.partitionkey;
    const person = await this.#person(personId);
    const caregivers = await this.#caregivers(personId);
    const text = alertText.emergency(person.displayName);
    const key = `emergency:${event.id}`;
    const drafts = await Promise.all(
      caregivers.map((link) => this.#draft(link.caregiverUserId, 'emergency', text, key, 'en', event)),
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

  async #draft(
    userId: string,
    kind: KindName,
    text: Record<'en' | 'zh', { title: string; body: string }>,
    key: string,
    fallbackLanguage: 'en' | 'zh',
    event: CloudEvent,
  ): Promise<NotificationDraft> {
    const prefs = await this.deps.preferences.get(userId);
    const language = prefs.language || fallbackLanguage;
    const plan = deliveryPlanFor(kind, prefs, this.deps.clock.now(), prefs.timeZone);
    return {
      userId,
      kind,
      ...text[language],
      data: { source: event.type, subject: event.subject ?? '', patientUserId: event.partitionkey, language },
      idempotencyKey: key,
      channels: plan.channels.filter((c) => this.deps.enabledChannels.has(c)),
      holdUntil: plan.holdUntil,
    };
  }

  async #person(personId: string): Promise<{
    displayName: string;
    locale: 'en' | 'zh';
    emergencyContact: { phone: string; email: string } | undefined;
  }> {
    const { user } = await this.deps.health.getUser({ caller: this.#as(personId) });
    return {
      displayName: user?.displayName ?? '',
      locale: user?.locale === 'zh' ? 'zh' : 'en',
      emergencyContact: user?.profile?.emergencyContact,
    };
  }

  async #caregivers(personId: string) {
    const { links } = await this.deps.health.listCaregivers({ caller: this.#as(personId), page: { limit: 100 } });
    return links;
  }

  /** The person the event is about: the service acts for them to read their own record. */
  #as(personId: string) {
    return create(CallerSchema, { userId: personId, role: Role.USER });
  }

  #context() {
    return { schema: this.deps.schema, clock: this.deps.clock, ids: this.deps.ids };
  }
}
