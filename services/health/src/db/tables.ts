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
  revoked_at: Timestamp | null;
}

export interface AuditEventsTable {
  id: string;
  subject_user_id: string;
  actor_user_id: string | null;
  actor_role: string;
  action: string;
  resource: string;
  resource_id: string | null;
  trace_id: string | null;
  at: Timestamp;
}

/**
 * The health schema as Kysely sees it. Each migration adds its tables here; the column types
 * mirror the SQL in `services/health/migrations/`.
 */
export interface HealthTables {
  users: UsersTable;
  oidc_identities: OidcIdentitiesTable;
  caregiver_links: CaregiverLinksTable;
  audit_events: AuditEventsTable;
}
