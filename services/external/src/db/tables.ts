import type { ColumnType, Generated } from 'kysely';

/** The external service's tables (schema `external`), as Kysely sees them. */
export interface ExternalTables {
  places: PlaceRow;
  appointments: AppointmentRow;
  calendar_feeds: CalendarFeedRow;
  retired_calendar_feeds: RetiredCalendarFeedRow;
  appointment_reminders: AppointmentReminderRow;
  calendar_connections: CalendarConnectionRow;
  calendar_links: CalendarLinkRow;
  advisory_notices: AdvisoryNoticeRow;
}

/** A health advisory a person was notified of: one per kind and local day. */
export interface AdvisoryNoticeRow {
  user_id: string;
  kind: string;
  /** `YYYY-MM-DD` in the place's zone. */
  local_date: string;
  level: string;
  sent_at: ColumnType<Date, Date | undefined, never>;
}

/** A person's CalDAV calendar; the password is a field-cipher envelope. */
export interface CalendarConnectionRow {
  user_id: string;
  calendar_url: string;
  username: string;
  password_encrypted: string;
  /** The password is sealed for this row (migration 0008); false until the start-up re-seal. */
  password_bound: ColumnType<boolean, boolean | undefined, boolean>;
  connected_at: Date;
  last_synced_at: Date | null;
  last_error: ColumnType<string, string | undefined, string>;
  /** The instance syncing it now, and until when its lease holds (migration 0007). */
  sync_owner: ColumnType<string | null, string | null | undefined, string | null>;
  sync_lease_until: ColumnType<Date | null, Date | null | undefined, Date | null>;
}

/** Which calendar object an appointment is, and both sides' versions at the last sync. */
export interface CalendarLinkRow {
  user_id: string;
  appointment_id: string;
  href: string;
  etag: string;
  sequence: number;
}

export interface AppointmentReminderRow {
  appointment_id: string;
  sequence: number;
  offset_minutes: number;
  /** The occurrence reminded of (a series); the epoch for a single visit. */
  occurrence_start: ColumnType<Date, Date | undefined, never>;
  sent_at: ColumnType<Date, Date | undefined, never>;
}

export interface PlaceRow {
  user_id: string;
  name: string;
  latitude: number;
  longitude: number;
  country_code: string;
  time_zone: string;
  updated_at: ColumnType<Date, Date | undefined, Date>;
}

export interface AppointmentRow {
  id: string;
  user_id: string;
  title: string;
  clinician: string;
  location: string;
  starts_at: Date;
  ends_at: Date;
  time_zone: string;
  /** AES-256-GCM envelope, or null when there are no notes. */
  notes_encrypted: string | null;
  /** The notes are sealed for this row and person (migration 0008); false until the start-up re-seal. */
  notes_bound: ColumnType<boolean, boolean | undefined, boolean>;
  created_at: ColumnType<Date, Date | undefined, never>;
  updated_at: ColumnType<Date, Date | undefined, Date>;
  /** Bumped on every change; an iCalendar SEQUENCE. */
  sequence: Generated<number>;
  /** The UID of the calendar event it came from; null when made in Tend (migration 0007). */
  uid: string | null;
  /** SEQUENCE of the calendar event version it holds. */
  source_sequence: Generated<number>;
  /** LAST-MODIFIED of that version, when the event gave one. */
  source_modified_at: Date | null;
  /** A series' rule (see calendar/recurrence.ts), read as parsed JSON, written as JSON text. */
  recurrence: ColumnType<unknown, string | null, string | null>;
  /** End of the last occurrence; null for an endless series. */
  last_ends_at: Date | null;
}

export interface CalendarFeedRow {
  user_id: string;
  /** SHA-256 of the secret token, hex; the token itself is never stored. */
  token_hash: string;
  created_at: ColumnType<Date, Date | undefined, Date>;
}

/** A feed token replaced or revoked (migration 0005): its URL answers 410 Gone. */
export interface RetiredCalendarFeedRow {
  token_hash: string;
  user_id: string;
  retired_at: Date;
}
