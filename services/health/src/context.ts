import type { CacheAside } from '@tend/cache';
import type { Clock, HealthLimits, Ids, Logger, Metrics } from '@tend/core';
import type { SchemaDatabase } from '@tend/db';
import type { AccessControl } from './access/access-control.js';
import type { FieldCipher } from './crypto/field-cipher.js';
import type { HealthTables } from './db/tables.js';
import type { HealthEvents } from './events.js';
import type { PasswordHasher } from './people/password-hashing.js';

/** Cache TTLs from the seed: profile 2 h, medications 1 h, reminders 30 min. */
export const cacheTtlMs = {
  profile: 2 * 60 * 60 * 1000,
  medications: 60 * 60 * 1000,
  reminders: 30 * 60 * 1000,
} as const;

/** The per-person caps when configuration names none (the defaults of the configuration table). */
export const defaultHealthLimits: HealthLimits = {
  vitalHistoryDays: 3660,
  medicationsPerPerson: 200,
  scheduleVersionsPerMedication: 100,
  scheduledDosesPerRead: 50_000,
  fhirExportMaxDays: 3660,
};

/** Everything the health service's handlers share. Built once in `createHealthService`. */
export interface HealthContext {
  db: SchemaDatabase<HealthTables>;
  access: AccessControl;
  cache: CacheAside;
  cipher: FieldCipher;
  events: HealthEvents;
  ids: Ids;
  clock: Clock;
  logger: Logger;
  metrics: Metrics;
  /** Password hashing at the configured scrypt cost. */
  passwords: PasswordHasher;
  /** What one person may store or ask the service to compute. */
  limits: HealthLimits;
}
