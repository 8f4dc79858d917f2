import type { ColumnType } from 'kysely';

type Timestamp = ColumnType<Date, Date | string | undefined, Date | string>;

/** `health.users` (migration 0001). */
export interface UsersTable {
  id: string;
  email_hash: Buffer;
  email_encrypted: string;
  password_hash: string | null;
  display_name: string;
  role: 'user' | 'caregiver' | 'admin';
  locale: 'en' | 'zh';
  time_zone: string;
  birth_date: ColumnType<string | null, string | null | undefined, string | null>;
  sex: 'female' | 'male' | 'other' | 'unknown' | null;
  conditions_encrypted: string | null;
  allergies_encrypted: string | null;
  emergency_contact_encrypted: string | null;
  profile_updated_at: Timestamp | null;
  created_at: Timestamp;
  updated_at: Timestamp;
  /** Migration 0005: when the person proved the address; null while unproven. */
  email_verified_at: ColumnType<Date | null, Date | string | null | undefined, Date | string | null>;
}

/** `health.email_verifications` (migration 0005): verification messages and their hashed codes. */
export interface EmailVerificationsTable {
  id: string;
  user_id: string;
  email_hash: Buffer;
  code_hash: Buffer;
  message_encrypted: string;
  attempts: ColumnType<number, number | undefined, number>;
  created_at: Timestamp;
  expires_at: Timestamp;
  sent_at: ColumnType<Date | null, Date | string | null | undefined, Date | string | null>;
  used_at: ColumnType<Date | null, Date | string | null | undefined, Date | string | null>;
}

export interface OidcIdentitiesTable {
  issuer: string;
  subject: string;
  user_id: string;
  created_at: Timestamp;
}

export interface CaregiverLinksTable {
  id: string;
  patient_id: string;
  caregiver_id: string;
  scopes: string[];
  created_at: Timestamp;
  updated_at: Timestamp;
  revoked_at: Timestamp | null;
}

/** `health.caregiver_invitations` (migration 0010): offers of caregiver access, by address. */
export interface CaregiverInvitationsTable {
  id: string;
  patient_id: string;
  email_hash: Buffer;
  email_encrypted: string;
  scopes: string[];
  status: ColumnType<
    'pending' | 'accepted' | 'declined' | 'withdrawn',
    'pending' | 'accepted' | 'declined' | 'withdrawn' | undefined,
    'pending' | 'accepted' | 'declined' | 'withdrawn'
  >;
  created_at: Timestamp;
  updated_at: Timestamp;
  expires_at: Timestamp;
  answered_at: ColumnType<Date | null, Date | string | null | undefined, Date | string | null>;
  link_id: ColumnType<string | null, string | null | undefined, string | null>;
}

export interface AuditEventsTable {
  id: string;
  subject_user_id: string;
  actor_user_id: string | null;
  actor_role: string;
  /** Migration 0006: the service, when an internal service acted on its own. */
  actor_service: ColumnType<string | null, string | null | undefined, string | null>;
  /** Migration 0011: the reason an admin gave for a break-glass access. */
  break_glass_reason: ColumnType<string | null, string | null | undefined, string | null>;
  action: string;
  resource: string;
  resource_id: string | null;
  trace_id: string | null;
  allowed: ColumnType<boolean, boolean | undefined, boolean>;
  at: Timestamp;
  /** Write order (migration 0004), to order entries of the same instant; bigint as a string. */
  seq: ColumnType<string, never, never>;
  /** Migration 0009: refused attempts this row stands for (1 for an allowed access). */
  attempts: ColumnType<number, number | undefined, number>;
  /** Migration 0009: the hour a refused row aggregates; null for an allowed access. */
  window_start: ColumnType<Date | null, Date | null | undefined, Date | null>;
  /** Migration 0009: the latest refused attempt the row counts. */
  last_at: ColumnType<Date | null, Date | null | undefined, Date | null>;
}

/** `health.vitals` (migration 0003), partitioned by month of `measured_at`. */
export interface VitalsTable {
  id: string;
  user_id: string;
  kind: string;
  value: number | null;
  systolic: number | null;
  diastolic: number | null;
  unit: string;
  loinc: string;
  measured_at: Timestamp;
  period_start: Timestamp | null;
  source: string;
  note_encrypted: string | null;
  recorded_by_user_id: string | null;
  created_at: Timestamp;
}

/** `health.vital_idempotency_keys` (migration 0003). */
export interface VitalIdempotencyKeysTable {
  user_id: string;
  idempotency_key: string;
  vital_ids: string[];
  created_at: Timestamp;
}

/** `health.medications` (migration 0002): the current state; schedule history is in versions. */
export interface MedicationsTable {
  id: string;
  user_id: string;
  name: string;
  rxnorm_code: string;
  dose: number;
  dose_unit: string;
  form: number;
  instructions_encrypted: string | null;
  start_date: ColumnType<string, string, string>;
  end_date: ColumnType<string | null, string | null | undefined, string | null>;
  active: boolean;
  times: string[];
  days: number[];
  as_needed: boolean;
  /** Migration 0007: false when the person asked not to be reminded of it. */
  reminders_enabled: ColumnType<boolean, boolean | undefined, boolean>;
  idempotency_key: string | null;
  created_at: Timestamp;
  updated_at: Timestamp;
}

/** `health.medication_schedule_versions` (migration 0002). */
export interface MedicationScheduleVersionsTable {
  medication_id: string;
  effective_from: Timestamp;
  times: string[];
  days: number[];
  as_needed: boolean;
  active: boolean;
  start_date: ColumnType<string, string, string>;
  end_date: ColumnType<string | null, string | null | undefined, string | null>;
}

/** `health.dose_log` (migration 0002). */
export interface DoseLogTable {
  id: string;
  user_id: string;
  medication_id: string;
  status: 'taken' | 'skipped' | 'missed';
  scheduled_at: Timestamp | null;
  occurred_at: Timestamp;
  source: 'voice' | 'app' | 'caregiver' | 'system';
  recorded_by_user_id: string | null;
  note_encrypted: string | null;
  idempotency_key: string | null;
  created_at: Timestamp;
}

/**
 * The health schema as Kysely sees it. Each migration adds its tables here; the column types
 * mirror the SQL in `services/health/migrations/`.
 */
/**
 * `health.vital_rollups` (migration 0011): exact sums of one person's readings of a kind in one
 * UTC hour. Numeric sums are read as text (the driver's default for numeric) and parsed exactly.
 */
export interface VitalRollupsTable {
  user_id: string;
  kind: string;
  hour_start: Timestamp;
  readings: number;
  first_ms: ColumnType<string, number, number>;
  last_ms: ColumnType<string, number, number>;
  sum_t: string;
  sum_tt: string;
  value_sum: string | null;
  value_min: number | null;
  value_max: number | null;
  value_sum_ty: string | null;
  systolic_sum: string | null;
  systolic_min: number | null;
  systolic_max: number | null;
  systolic_sum_ty: string | null;
  diastolic_sum: string | null;
  diastolic_min: number | null;
  diastolic_max: number | null;
  diastolic_sum_ty: string | null;
}

/** `health.vital_attention` (migration 0011): the readings with a single-reading flag, values copied. */
export interface VitalAttentionTable {
  user_id: string;
  kind: string;
  measured_at: Timestamp;
  vital_id: string;
  value: number | null;
  systolic: number | null;
  diastolic: number | null;
}

export interface HealthTables {
  users: UsersTable;
  oidc_identities: OidcIdentitiesTable;
  email_verifications: EmailVerificationsTable;
  caregiver_links: CaregiverLinksTable;
  caregiver_invitations: CaregiverInvitationsTable;
  audit_events: AuditEventsTable;
  medications: MedicationsTable;
  medication_schedule_versions: MedicationScheduleVersionsTable;
  dose_log: DoseLogTable;
  vitals: VitalsTable;
  vital_idempotency_keys: VitalIdempotencyKeysTable;
  vital_rollups: VitalRollupsTable;
  vital_attention: VitalAttentionTable;
}
