import type { ColumnType } from 'kysely';
import type { PreparedNotification } from '../reminders/prepared-reminders.js';

type Timestamp = ColumnType<Date, Date, Date>;
type NullableTimestamp = ColumnType<Date | null, Date | null | undefined, Date | null>;

/** What a reminder's message is written from, as the health service described it. */
export interface ReminderPayload {
  patientDisplayName: string;
  medicationName: string;
  dose: number;
  doseUnit: string;
  instructions: string;
  /** "HH:MM" in the patient's zone. */
  localTime: string;
  timeZone: string;
  /** The recipient's account language, "en" or "zh". */
  locale: string;
}

/** Where a reminder is in its life. */
export type ReminderStateName = 'pending' | 'fired' | 'missed' | 'cancelled';

/** `notification.reminders` (migration 0001): each reminder's occurrence and whether it fired. */
export interface RemindersTable {
  id: string;
  kind: string;
  recipient_user_id: string;
  patient_user_id: string;
  subject_id: string;
  parent_id: string | null;
  fire_at: Timestamp;
  scheduled_at: Timestamp;
  payload: ColumnType<ReminderPayload, string, string>;
  state: ColumnType<ReminderStateName, ReminderStateName | undefined, ReminderStateName>;
  fired_at: NullableTimestamp;
  late: ColumnType<boolean, boolean | undefined, boolean>;
  notification_id: ColumnType<string | null, string | null | undefined, string | null>;
  updated_at: Timestamp;
  /** Its notification rendered ahead of its time (migration 0004); null until then. */
  prepared: ColumnType<PreparedNotification | null, string | null | undefined, string | null>;
}

/** `notification.notifications` (migration 0001): one message to one person. */
export interface NotificationsTable {
  id: string;
  user_id: string;
  kind: string;
  title: string;
  body: string;
  data: ColumnType<Record<string, string>, string | undefined, string>;
  idempotency_key: string;
  in_app: boolean;
  created_at: Timestamp;
  read_at: NullableTimestamp;
}

/** A channel's delivery state. */
export type DeliveryStatusName = 'queued' | 'sent' | 'delivered' | 'failed';

/** `notification.deliveries` (migration 0001): one channel's delivery of a notification. */
export interface DeliveriesTable {
  id: string;
  notification_id: string;
  channel: string;
  status: DeliveryStatusName;
  attempts: ColumnType<number, number | undefined, number>;
  next_attempt_at: NullableTimestamp;
  last_error: ColumnType<string | null, string | null | undefined, string | null>;
  updated_at: Timestamp;
  claimed_until: NullableTimestamp;
  dead_letter: ColumnType<boolean, boolean | undefined, boolean>;
  provider_ref: ColumnType<string | null, string | null | undefined, string | null>;
}

/** What a device is. */
export type DeviceKind = 'push' | 'phone' | 'email';

/** `notification.devices` (migration 0002): where a person can be reached. */
export interface DevicesTable {
  id: string;
  user_id: string;
  kind: DeviceKind;
  address: string;
  push_keys: ColumnType<{ p256dh: string; auth: string } | null, string | null | undefined, string | null>;
  verified_at: NullableTimestamp;
  code_hash: ColumnType<string | null, string | null | undefined, string | null>;
  code_expires_at: NullableTimestamp;
  code_attempts: ColumnType<number, number | undefined, number>;
  created_at: Timestamp;
}

/** `notification.used_action_tokens` (migration 0002). */
export interface UsedActionTokensTable {
  token_id: string;
  used_at: Timestamp;
}

/** `notification.preferences` (migration 0001). */
export interface PreferencesTable {
  user_id: string;
  channels: ColumnType<Record<string, string[]>, string, string>;
  quiet_start: string | null;
  quiet_end: string | null;
  language: string;
  time_zone: string;
  follow_up_minutes: number;
  updated_at: Timestamp;
}

/** The notification service's schema. */
/**
 * `notification.reminder_listings` (migration 0006): whose reminders were last written from which
 * listing ('all', or a person's id).
 */
export interface ReminderListingsTable {
  scope: string;
  listed_seq: ColumnType<string, string | number, string | number>;
}

/** `notification.reminder_changes` (migration 0006): people whose schedules changed, not reconciled yet. */
export interface ReminderChangesTable {
  user_id: string;
  changed_seq: ColumnType<string, string | number, string | number>;
  claimed_until: NullableTimestamp;
}

export interface NotificationTables {
  reminders: RemindersTable;
  reminder_listings: ReminderListingsTable;
  reminder_changes: ReminderChangesTable;
  notifications: NotificationsTable;
  deliveries: DeliveriesTable;
  preferences: PreferencesTable;
  devices: DevicesTable;
  used_action_tokens: UsedActionTokensTable;
}
