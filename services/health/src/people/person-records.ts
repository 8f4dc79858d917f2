import { create } from '@bufbuild/protobuf';
import { timestampFromDate } from '@bufbuild/protobuf/wkt';
import { NotFoundError, ValidationError } from '@tend/core';
import { Role } from '@tend/proto/tend/common/v1/common';
import {
  EmergencyContactSchema,
  OidcIdentitySchema,
  ProfileSchema,
  Sex,
  UserSchema,
  type EmergencyContact,
  type User,
} from '@tend/proto/tend/health/v1/people';
import { sql, type Kysely } from 'kysely';
import { cacheTtlMs, type HealthContext } from '../context.js';
import type { FieldCipher, SealContext } from '../crypto/field-cipher.js';
import { sealedAt } from '../crypto/sealed-columns.js';
import type { HealthTables, UsersTable } from '../db/tables.js';

/** A stored role name. */
export type RoleName = UsersTable['role'];
/** A stored sex. */
export type SexName = NonNullable<UsersTable['sex']>;

/**
 * A person as the profile cache holds them: the row with its fields still sealed, so neither
 * Redis nor a memory dump of the cache holds health data in plaintext, and dates as ISO strings
 * (the cache keeps JSON). The password hash is never part of it.
 */
export interface PersonRecord {
  id: string;
  emailEncrypted: string;
  /** Missing in records cached before e-mail verification existed: unverified. */
  emailVerified?: boolean;
  hasPassword: boolean;
  displayName: string;
  role: RoleName;
  locale: 'en' | 'zh';
  timeZone: string;
  birthDate: string | null;
  sex: SexName | null;
  conditionsEncrypted: string | null;
  allergiesEncrypted: string | null;
  emergencyContactEncrypted: string | null;
  profileUpdatedAt: string | null;
  createdAt: string;
  updatedAt: string;
  oidcIdentities: { issuer: string; subject: string }[];
}

/** The cache key of a person's profile; every write to the person invalidates it. */
export function profileKey(userId: string): string {
  return `profile:${userId}`;
}

const uuidPattern = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** Throws a ValidationError naming `field` unless `id` is a UUID (every person id is one). */
export function checkUserId(field: string, id: string): string {
  if (!uuidPattern.test(id)) throw ValidationError.field(field, 'must be a UUID');
  return id.toLowerCase();
}

/** Reads a person from the database (no cache), or undefined. */
export async function loadPersonRecord(db: Kysely<HealthTables>, userId: string): Promise<PersonRecord | undefined> {
  const row = await db
    .selectFrom('users')
    .select([
      'id',
      'email_encrypted',
      'email_verified_at',
      'password_hash',
      'display_name',
      'role',
      'locale',
      'time_zone',
      sql<string | null>`to_char(birth_date, 'YYYY-MM-DD')`.as('birth_date'),
      'sex',
      'conditions_encrypted',
      'allergies_encrypted',
      'emergency_contact_encrypted',
      'profile_updated_at',
      'created_at',
      'updated_at',
    ])
    .where('id', '=', userId)
    .executeTakeFirst();
  if (!row) return undefined;
  const identities = await db
    .selectFrom('oidc_identities')
    .select(['issuer', 'subject'])
    .where('user_id', '=', userId)
    .orderBy('created_at')
    .execute();
  return {
    id: row.id,
    emailEncrypted: row.email_encrypted,
    emailVerified: row.email_verified_at !== null,
    hasPassword: row.password_hash !== null,
    displayName: row.display_name,
    role: row.role,
    locale: row.locale,
    timeZone: row.time_zone,
    birthDate: row.birth_date,
    sex: row.sex,
    conditionsEncrypted: row.conditions_encrypted,
    allergiesEncrypted: row.allergies_encrypted,
    emergencyContactEncrypted: row.emergency_contact_encrypted,
    profileUpdatedAt: row.profile_updated_at ? new Date(row.profile_updated_at).toISOString() : null,
    createdAt: new Date(row.created_at).toISOString(),
    updatedAt: new Date(row.updated_at).toISOString(),
    oidcIdentities: identities,
  };
}

/**
 * A person through the profile cache (2 h). The load reads with the person's consistency key, so
 * a fill right after their write sees it even when replicas lag.
 */
export async function cachedPersonRecord(context: HealthContext, userId: string): Promise<PersonRecord> {
  const record = await context.cache.get<PersonRecord | null>({
    key: profileKey(userId),
    ttlMs: cacheTtlMs.profile,
    load: async () => (await loadPersonRecord(context.db.reader(userId), userId)) ?? null,
  });
  if (!record) throw new NotFoundError('user', userId);
  return record;
}

const roleByName: Record<RoleName, Role> = { user: Role.USER, caregiver: Role.CAREGIVER, admin: Role.ADMIN };

/** The proto role of a stored role name. */
export function roleOf(name: RoleName): Role {
  return roleByName[name];
}

/** The stored role name of a proto role a person may hold, or undefined (unspecified, service). */
export function roleNameOf(role: Role): RoleName | undefined {
  switch (role) {
    case Role.USER:
      return 'user';
    case Role.CAREGIVER:
      return 'caregiver';
    case Role.ADMIN:
      return 'admin';
    case Role.UNSPECIFIED:
    case Role.SERVICE:
      return undefined;
  }
}

const sexByName: Record<SexName, Sex> = {
  female: Sex.FEMALE,
  male: Sex.MALE,
  other: Sex.OTHER,
  unknown: Sex.UNKNOWN,
};

/** The stored sex of a proto value; undefined for SEX_UNSPECIFIED (which clears it). */
export function sexNameOf(sex: Sex): SexName | undefined {
  return (Object.keys(sexByName) as SexName[]).find((name) => sexByName[name] === sex);
}

/** A sealed JSON string list, or an empty list for none. */
export function openList(cipher: FieldCipher, sealed: string | null, at: SealContext): string[] {
  return sealed ? (JSON.parse(cipher.decrypt(sealed, at)) as string[]) : [];
}

/** The stored emergency contact as its message. */
function openContact(cipher: FieldCipher, sealed: string | null, at: SealContext): EmergencyContact | undefined {
  if (!sealed) return undefined;
  return create(
    EmergencyContactSchema,
    JSON.parse(cipher.decrypt(sealed, at)) as Record<'name' | 'relationship' | 'phone' | 'email', string>,
  );
}

/**
 * The `User` message for a stored person. The profile (conditions, allergies, contact) is only
 * opened and included when `withProfile` is set: callers decide that from who is asking.
 */
export function userOf(record: PersonRecord, cipher: FieldCipher, withProfile: boolean): User {
  return create(UserSchema, {
    id: record.id,
    email: cipher.decrypt(record.emailEncrypted, sealedAt.userEmail(record.id)),
    displayName: record.displayName,
    role: roleOf(record.role),
    locale: record.locale,
    timeZone: record.timeZone,
    hasPassword: record.hasPassword,
    emailVerified: record.emailVerified === true,
    oidcIdentities: record.oidcIdentities.map((identity) => create(OidcIdentitySchema, identity)),
    createdAt: timestampFromDate(new Date(record.createdAt)),
    updatedAt: timestampFromDate(new Date(record.updatedAt)),
    profile: withProfile
      ? create(ProfileSchema, {
          birthDate: record.birthDate ?? '',
          sex: record.sex ? sexByName[record.sex] : Sex.UNSPECIFIED,
          conditions: openList(cipher, record.conditionsEncrypted, sealedAt.userConditions(record.id)),
          allergies: openList(cipher, record.allergiesEncrypted, sealedAt.userAllergies(record.id)),
          emergencyContact: openContact(
            cipher,
            record.emergencyContactEncrypted,
            sealedAt.userEmergencyContact(record.id),
          ),
          updatedAt: record.profileUpdatedAt ? timestampFromDate(new Date(record.profileUpdatedAt)) : undefined,
        })
      : undefined,
  });
}
