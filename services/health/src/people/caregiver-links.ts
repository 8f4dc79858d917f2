import { create } from '@bufbuild/protobuf';
import { timestampFromDate } from '@bufbuild/protobuf/wkt';
import { ValidationError } from '@tend/core';
import { decodeCursor, pageLimitOf } from '@tend/rpc';
import type { PageRequest } from '@tend/proto/tend/common/v1/common';
import { CaregiverLinkSchema, CaregiverScope, type CaregiverLink } from '@tend/proto/tend/health/v1/caregivers';
import type { Kysely } from 'kysely';
import type { CaregiverScopeName } from '../access/access-control.js';
import type { FieldCipher } from '../crypto/field-cipher.js';
import { sealedAt } from '../crypto/sealed-columns.js';
import type { HealthTables } from '../db/tables.js';

/** Where a newest-first list stopped: the last item's time (epoch ms) and id, the tie-breaker. */
export interface PagePosition {
  at: number;
  id: string;
}

/** The page a request asks for: its size and, after the first page, where to continue. */
export function pageOf<P extends object = PagePosition>(
  page: PageRequest | undefined,
  list: string,
): { limit: number; after: P | undefined; list: string } {
  return { limit: pageLimitOf(page), after: decodeCursor<P>(page, list), list };
}
const scopeNames: Record<Exclude<CaregiverScope, CaregiverScope.UNSPECIFIED>, CaregiverScopeName> = {
  [CaregiverScope.READ_VITALS]: 'read_vitals',
  [CaregiverScope.READ_MEDICATIONS]: 'read_medications',
  [CaregiverScope.RECEIVE_MISSED_DOSE_ALERTS]: 'receive_missed_dose_alerts',
  [CaregiverScope.LOG_DOSES]: 'log_doses',
  [CaregiverScope.RECORD_VITALS]: 'record_vitals',
};

/**
 * The stored scope names of a grant, de-duplicated and in enum order. At least one known scope
 * is required; an unknown or unspecified one is rejected naming `scopes`.
 */
export function scopeNamesOf(scopes: readonly CaregiverScope[]): CaregiverScopeName[] {
  if (scopes.length === 0) throw ValidationError.field('scopes', 'at least one scope is required');
  const unique = [...new Set(scopes)].sort((a, b) => a - b);
  return unique.map((scope) => {
    const name = scopeNames[scope as keyof typeof scopeNames] as CaregiverScopeName | undefined;
    if (!name) throw ValidationError.field('scopes', `${scope} is not a caregiver scope`);
    return name;
  });
}

export function scopeOf(name: string): CaregiverScope {
  const entry = Object.entries(scopeNames).find(([, value]) => value === name);
  return entry ? Number(entry[0]) : CaregiverScope.UNSPECIFIED;
}

export function linksWithNames(db: Kysely<HealthTables>) {
  return db
    .selectFrom('caregiver_links as l')
    .innerJoin('users as p', 'p.id', 'l.patient_id')
    .innerJoin('users as c', 'c.id', 'l.caregiver_id')
    .select([
      'l.id',
      'l.patient_id',
      'l.caregiver_id',
      'l.scopes',
      'l.created_at',
      'l.updated_at',
      'l.revoked_at',
      'p.display_name as patient_name',
      'c.display_name as caregiver_name',
      'c.email_encrypted as caregiver_email',
    ]);
}

export type LinkRow = Awaited<ReturnType<ReturnType<typeof linksWithNames>['executeTakeFirstOrThrow']>>;

/** A link as the contract shows it, the caregiver's address unsealed. */
export function linkOfRow(cipher: FieldCipher, row: LinkRow): CaregiverLink {
  return create(CaregiverLinkSchema, {
    id: row.id,
    patientUserId: row.patient_id,
    patientDisplayName: row.patient_name,
    caregiverUserId: row.caregiver_id,
    caregiverDisplayName: row.caregiver_name,
    caregiverEmail: cipher.decrypt(row.caregiver_email, sealedAt.userEmail(row.caregiver_id)),
    scopes: row.scopes.map(scopeOf),
    createdAt: timestampFromDate(new Date(row.created_at)),
    updatedAt: timestampFromDate(new Date(row.updated_at)),
    revokedAt: row.revoked_at ? timestampFromDate(new Date(row.revoked_at)) : undefined,
  });
}
