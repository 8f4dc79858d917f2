import { ConflictError } from '@tend/core';
import { topics } from '@tend/events';
import {
  AttentionReason,
  AttentionSeverity,
  type VitalKind,
  VitalSource,
  type Vital,
} from '@tend/proto/tend/health/v1/vitals';
import type { Actor } from '../access/access-control.js';
import type { HealthContext } from '../context.js';
import { sealedAt } from '../crypto/sealed-columns.js';
import type { HealthEvent } from '../events.js';
import type { VitalFeed } from './vital-feed.js';
import type { NormalizedVital } from './vital-input.js';
import { sourceNames, vitalKinds } from './vital-kinds.js';
import type { VitalPartitions } from './vital-partitions.js';
import type { KeyedReadings, VitalRepository } from './vital-repository.js';
import { flagsOfRow, vitalOfRow, type VitalRow } from './vital-rows.js';

/** What the write path needs beyond the shared context. */
export interface VitalWriteDeps {
  context: HealthContext;
  partitions: VitalPartitions;
  feed: VitalFeed;
  repository: VitalRepository;
}

/**
 * Stores validated readings of one person in one transaction: the rows, one `vital.recorded`
 * event each, and an `alert.raised` event (notification queue and analytics) for every urgent
 * flag, so an alert exists exactly when its reading does. All or nothing. With an idempotency
 * key, a retry within 24 h returns the first call's readings and writes nothing; a key reused for
 * other readings, or whose readings were all deleted since, is a ConflictError (nothing to
 * return that would answer this request, and recording again would undo the deletion).
 */
export async function storeVitals(
  deps: VitalWriteDeps,
  actor: Actor,
  userId: string,
  readings: readonly NormalizedVital[],
  idempotencyKey: string,
): Promise<Vital[]> {
  const { context } = deps;
  await deps.partitions.ensureFor(readings.map((r) => r.measuredAt));
  const now = context.clock.now();
  const byOther = actor.kind !== 'service' && actor.userId !== userId;
  const byCaregiver = actor.kind === 'person' && byOther;
  const rows: VitalRow[] = readings.map((r) => {
    const id = context.ids.uuid();
    return {
      id,
      user_id: userId,
      kind: r.spec.name,
      value: r.value,
      systolic: r.systolic,
      diastolic: r.diastolic,
      unit: r.spec.unit,
      loinc: r.spec.loinc,
      measured_at: r.measuredAt,
      period_start: r.periodStart,
      // The contract: a caregiver's entry is marked as such whatever the request says.
      source: sourceNames[byCaregiver ? VitalSource.CAREGIVER : r.source],
      note_encrypted: r.note === '' ? null : context.cipher.encrypt(r.note, sealedAt.vitalNote(id, userId)),
      recorded_by_user_id: byOther ? actor.userId : null,
      created_at: now,
    };
  });
  const { rows: stored, replayed } = await deps.repository.insert(userId, rows, rows.flatMap(recordedEvents), {
    key: idempotencyKey,
    now,
    replay: (previous) => replayOf(previous, readings),
  });
  const vitals = stored.map((row) => vitalOfRow(row, context.cipher));
  if (!replayed)
    deps.feed.publish(
      userId,
      vitals.map((vital) => ({ type: 'recorded', vital })),
    );
  return vitals;
}

/**
 * The first call's readings, for a retry of it: the same number of readings, each still stored
 * one of the same kind and values (its time may have been "now" then). Readings deleted since
 * are left out and the rest keep the first call's order; when none is left, or the key recorded
 * other readings, there is nothing to replay.
 */
function replayOf(previous: KeyedReadings, readings: readonly NormalizedVital[]): VitalRow[] {
  const other = () => new ConflictError('idempotency key', 'was used for other readings');
  if (previous.ids.length !== readings.length) throw other();
  const rows: VitalRow[] = [];
  previous.ids.forEach((id, i) => {
    const row = previous.rows.get(id);
    if (!row) return;
    const reading = readings[i]!;
    const same =
      row.kind === reading.spec.name &&
      row.value === reading.value &&
      row.systolic === reading.systolic &&
      row.diastolic === reading.diastolic;
    if (!same) throw other();
    rows.push(row);
  });
  if (rows.length === 0) throw new ConflictError('idempotency key', 'its readings were deleted since');
  return rows;
}

/**
 * A reading's `vital.recorded` event, and an `alert.raised` pair for each urgent flag. Analytics
 * (kept 90 days, read by every service) learns what was measured and when, never the value; the
 * person's live feed gets the value on `live_events`, and the notification service the alert's
 * values on `notification_queue` (both kept a day), to say what was measured.
 */
function recordedEvents(row: VitalRow): HealthEvent[] {
  const measuredAt = new Date(row.measured_at).toISOString();
  // The note never leaves the table; values only where someone is told them.
  const values = {
    ...(row.value !== null && { value: row.value }),
    ...(row.systolic !== null && { systolic: row.systolic, diastolic: row.diastolic }),
  };
  const recorded = {
    vitalId: row.id,
    kind: row.kind,
    unit: row.unit,
    loinc: row.loinc,
    measuredAt,
    source: row.source,
  };
  const events: HealthEvent[] = [
    {
      type: 'tend.health.vital.recorded',
      personId: row.user_id,
      subject: row.id,
      data: recorded,
      live: { ...recorded, ...values },
    },
  ];
  for (const flag of flagsOfRow(row)) {
    if (flag.severity !== AttentionSeverity.URGENT) continue;
    const alert = {
      reason: AttentionReason[flag.reason].toLowerCase(),
      severity: 'urgent',
      kind: vitalKinds[flag.kind as Exclude<VitalKind, VitalKind.UNSPECIFIED>].name,
      vitalId: row.id,
      measuredAt,
    };
    const base = { type: 'tend.health.alert.raised', personId: row.user_id, subject: row.id } as const;
    events.push(
      { ...base, data: { ...alert, ...values, unit: row.unit }, topic: topics.notificationQueue.name },
      { ...base, data: alert, topic: topics.analyticsEvents.name },
    );
  }
  return events;
}
