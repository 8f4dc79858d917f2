import { create } from '@bufbuild/protobuf';
import { timestampDate, timestampFromDate, type Timestamp } from '@bufbuild/protobuf/wkt';
import { Code, ConnectError } from '@connectrpc/connect';
import { NotFoundError, ValidationError } from '@tend/core';
import { decodeCursor, pageLimitOf, pageResponse } from '@tend/rpc';
import {
  AdherenceReportSchema,
  AdherenceStatsSchema,
  DeleteDoseLogEntryResponseSchema,
  DoseSource,
  DoseStatus,
  GetAdherenceResponseSchema,
  ListDoseLogResponseSchema,
  ListScheduledDosesResponseSchema,
  LogDoseResponseSchema,
  MedicationAdherenceSchema,
  type AdherenceStats,
} from '@tend/proto/tend/health/v1/doses';
import type { Kysely } from 'kysely';
import { actorOf, type Actor } from '../access/access-control.js';
import type { HealthContext } from '../context.js';
import type { HealthTables } from '../db/tables.js';
import type { HealthHandlers } from '../handlers.js';
import {
  adherenceOf,
  defaultDoseRules,
  doseState,
  nearestUnloggedDose,
  sumAdherence,
  type AdherenceCounts,
  type DoseState,
} from './dose-rules.js';
import {
  doseStatusOf,
  loggedStatusOf,
  sourceNameOf,
  toDoseLogEntry,
  toScheduledDose,
  type DoseLogRow,
} from './dose-view.js';
import { Violations, checkFreeText, checkIdempotencyKey } from './medication-input.js';
import {
  authorizeRecord,
  authorizedPerson,
  instructionsOf,
  isUuid,
  loadMedications,
  personMedications,
  timeZoneOf,
  type MedicationRecord,
} from './medication-store.js';
import { expandSchedule, isScheduledDose, type DoseInstant } from './schedule-expansion.js';
import { DoseLogRepository } from './dose-log-repository.js';
import { sealedAt } from '../crypto/sealed-columns.js';

const day = 24 * 60 * 60 * 1000;
const idempotencyWindowMs = day;
/** Clock skew allowed between a device and the service for "not in the future". */
const futureSkewMs = 60 * 1000;

/** A half-open period from a request: absent `to` is now, absent `from` is 7 days before `to`. */
export function periodOf(from: Timestamp | undefined, to: Timestamp | undefined, nowMs: number, maxDays: number) {
  const toMs = to ? timestampDate(to).getTime() : nowMs;
  const fromMs = from ? timestampDate(from).getTime() : toMs - 7 * day;
  if (toMs <= fromMs) throw ValidationError.field('to', 'must be after from');
  if (toMs - fromMs > maxDays * day) throw ValidationError.field('to', `period must be at most ${maxDays} days`);
  return { fromMs, toMs };
}

/** A scheduled dose of one medication with its log entry, if any. */
interface DoseWithEntry {
  medication: MedicationRecord;
  dose: DoseInstant;
  entry: DoseLogRow | undefined;
}

/**
 * Expands the medications' schedules over [fromMs, toMs) and attaches their log entries. A period
 * holding more than `maxDoses` doses (`SCHEDULED_DOSES_PER_READ_MAX`) is refused (naming `to`) as soon as expansion passes
 * the limit, before the rest is built.
 */
async function dosesWithEntries(
  repository: DoseLogRepository,
  db: Kysely<HealthTables>,
  medications: MedicationRecord[],
  zone: string,
  fromMs: number,
  toMs: number,
  maxDoses: number,
): Promise<DoseWithEntry[]> {
  if (medications.length === 0 || toMs <= fromMs) return [];
  const entries = await repository.entriesForDoses(
    db,
    medications.map((m) => m.id),
    new Date(fromMs),
    new Date(toMs),
  );
  const entryOf = new Map(entries.map((e) => [`${e.medication_id}|${new Date(e.scheduled_at ?? 0).getTime()}`, e]));
  const doses: DoseWithEntry[] = [];
  for (const medication of medications) {
    for (const dose of expandSchedule(medication.versions, zone, fromMs, toMs)) {
      doses.push({ medication, dose, entry: entryOf.get(`${medication.id}|${dose.scheduledAtMs}`) });
    }
    if (doses.length > maxDoses) {
      throw ValidationError.field(
        'to',
        `the period holds more than ${maxDoses} scheduled doses; ask for a shorter one`,
      );
    }
  }
  return doses.sort(
    (a, b) => a.dose.scheduledAtMs - b.dose.scheduledAtMs || a.medication.name.localeCompare(b.medication.name),
  );
}

function statsOf(counts: AdherenceCounts): AdherenceStats {
  return create(AdherenceStatsSchema, {
    scheduled: counts.scheduled,
    taken: counts.taken,
    skipped: counts.skipped,
    missed: counts.missed,
    pending: counts.pending,
    rate: counts.rate,
    unscheduledTaken: counts.unscheduledTaken,
  });
}

/** Scheduled doses, the dose log and adherence. */
export function doseHandlers(
  context: HealthContext,
  rules = defaultDoseRules,
): HealthHandlers<'listScheduledDoses' | 'logDose' | 'listDoseLog' | 'deleteDoseLogEntry' | 'getAdherence'> {
  const doseLog = new DoseLogRepository(context);

  /** The person's medications, or only `medicationId` among them (NotFound when it is not theirs). */
  async function medicationsOf(personId: string, medicationId: string): Promise<MedicationRecord[]> {
    const all = await personMedications(context, personId);
    if (!medicationId) return all;
    const one = all.filter((m) => m.id === medicationId);
    if (one.length === 0) throw new NotFoundError('medication', medicationId);
    return one;
  }

  /** Who logs, as stored: the caregiver source is forced for a caregiver of the person. */
  function loggerOf(actor: Actor, ownerId: string, requested: DoseSource) {
    const other = actor.kind !== 'service' && actor.userId !== ownerId;
    if (other && actor.kind === 'person') return { source: 'caregiver' as const, recordedBy: actor.userId };
    const fallback = actor.kind === 'service' ? ('system' as const) : ('app' as const);
    const source = requested === DoseSource.UNSPECIFIED ? fallback : sourceNameOf(requested);
    if (!source || source === 'caregiver') throw ValidationError.field('source', 'must be voice, app or system');
    return { source, recordedBy: other ? actor.userId : null };
  }

  return {
    async listScheduledDoses(request) {
      const actor = actorOf(request.caller);
      const nowMs = context.clock.now().getTime();
      const { fromMs, toMs } = periodOf(request.from, request.to, nowMs, 93);
      const wanted = new Set<DoseStatus>(request.statuses);
      request.statuses.forEach((status, index) => {
        if (status === DoseStatus.UNSPECIFIED || DoseStatus[status] === undefined) {
          throw ValidationError.field(`statuses[${index}]`, 'is not a dose status');
        }
      });
      const personId = await authorizedPerson(context, actor, request.userId, 'read', 'read_medications');
      const reader = context.db.reader(personId);
      const [medications, zone] = await Promise.all([
        medicationsOf(personId, request.medicationId),
        timeZoneOf(reader, personId),
      ]);
      const doses = (
        await dosesWithEntries(doseLog, reader, medications, zone, fromMs, toMs, context.limits.scheduledDosesPerRead)
      )
        .map((d) => ({ ...d, state: doseState(d.dose.scheduledAtMs, d.entry?.status, nowMs, rules) }))
        .filter((d) => wanted.size === 0 || wanted.has(doseStatusOf(d.state)));
      const instructions = new Map(medications.map((m) => [m.id, instructionsOf(context, m)]));
      return create(ListScheduledDosesResponseSchema, {
        doses: doses.map((d) =>
          toScheduledDose(context, d.medication, d.dose, d.state, d.entry, instructions.get(d.medication.id)),
        ),
      });
    },

    async logDose(request) {
      const actor = actorOf(request.caller);
      const [medication] = isUuid(request.medicationId)
        ? await loadMedications(context.db.primary, undefined, [request.medicationId])
        : [];
      if (!medication) throw new NotFoundError('medication', request.medicationId);
      await authorizeRecord(
        context,
        actor,
        { ownerId: medication.userId, entity: 'medication', id: medication.id },
        'write',
        'log_doses',
      );
      const now = context.clock.now();
      const violations = new Violations();
      const status = loggedStatusOf(request.status);
      if (!status) violations.add('status', 'must be TAKEN, SKIPPED or MISSED');
      const occurredAt = request.occurredAt ? timestampDate(request.occurredAt) : now;
      if (occurredAt.getTime() > now.getTime() + futureSkewMs)
        violations.add('occurred_at', 'must not be in the future');
      checkFreeText(request.note, violations, 'note');
      checkIdempotencyKey(request.idempotencyKey, violations);
      violations.throwIfAny();
      const { source, recordedBy } = loggerOf(actor, medication.userId, request.source);
      const personId = medication.userId;
      const zone = await timeZoneOf(context.db.primary, personId);
      const key = request.idempotencyKey || null;

      const row = await doseLog.logUnderLock(medication.id, personId, async (write) => {
        if (key) {
          const previous = await write.byIdempotencyKey(personId, key);
          if (previous && now.getTime() - new Date(previous.created_at).getTime() < idempotencyWindowMs)
            return previous;
          if (previous) await write.releaseKey(previous.id);
        }
        let scheduledAtMs: number | undefined;
        if (request.scheduledAt) {
          scheduledAtMs = timestampDate(request.scheduledAt).getTime();
          if (!isScheduledDose(medication.versions, zone, scheduledAtMs)) {
            throw ValidationError.field('scheduled_at', 'this medication has no dose scheduled then');
          }
        } else {
          const at = occurredAt.getTime();
          const candidates = expandSchedule(
            medication.versions,
            zone,
            at - rules.matchWindowMs,
            at + rules.matchWindowMs + 1,
          );
          const logged = await write.loggedScheduledTimes(
            medication.id,
            new Date(at - rules.matchWindowMs),
            new Date(at + rules.matchWindowMs),
          );
          scheduledAtMs = nearestUnloggedDose(
            candidates.map((c) => c.scheduledAtMs),
            new Set(logged),
            at,
            rules,
          );
          if (scheduledAtMs === undefined && status !== 'taken') {
            throw new ConnectError('no unlogged scheduled dose near occurred_at to mark', Code.FailedPrecondition);
          }
        }
        const scheduledAt = scheduledAtMs === undefined ? null : new Date(scheduledAtMs);
        // A scheduled dose has one entry: logging it again replaces the previous one.
        if (scheduledAt) await write.clearScheduled(medication.id, scheduledAt);
        const entryId = context.ids.uuid();
        const loggedStatus = status ?? 'taken';
        const at = status === 'missed' && scheduledAt ? scheduledAt : occurredAt;
        return write.insert(
          {
            id: entryId,
            user_id: personId,
            medication_id: medication.id,
            status: loggedStatus,
            scheduled_at: scheduledAt,
            occurred_at: at,
            source,
            recorded_by_user_id: recordedBy,
            note_encrypted: request.note
              ? context.cipher.encrypt(request.note, sealedAt.doseNote(entryId, personId))
              : null,
            idempotency_key: key,
            created_at: now,
          },
          {
            entryId,
            medicationId: medication.id,
            status: loggedStatus,
            scheduledAt: scheduledAt?.toISOString() ?? null,
            occurredAt: at.toISOString(),
            source,
          },
        );
      });
      let scheduledDose;
      if (row.scheduled_at) {
        const atMs = new Date(row.scheduled_at).getTime();
        const [dose] = expandSchedule(medication.versions, zone, atMs, atMs + 1);
        if (dose) scheduledDose = toScheduledDose(context, medication, dose, row.status, row);
      }
      return create(LogDoseResponseSchema, { entry: toDoseLogEntry(context, row, medication.name), scheduledDose });
    },

    async listDoseLog(request) {
      const actor = actorOf(request.caller);
      const limit = pageLimitOf(request.page);
      const after = decodeCursor<{ o: number; i: string }>(request.page, 'dose-log');
      const personId = await authorizedPerson(context, actor, request.userId, 'read', 'read_medications');
      if (request.medicationId && !isUuid(request.medicationId)) {
        throw new NotFoundError('medication', request.medicationId);
      }
      const rows = await doseLog.page({
        personId,
        limit,
        ...(request.from && { from: timestampDate(request.from) }),
        ...(request.to && { to: timestampDate(request.to) }),
        ...(request.medicationId && { medicationId: request.medicationId }),
        ...(after && { after: { at: new Date(after.o), id: after.i } }),
      });
      const page = rows.slice(0, limit);
      const last = rows.length > limit ? page[page.length - 1] : undefined;
      return create(ListDoseLogResponseSchema, {
        entries: page.map((row) => toDoseLogEntry(context, row, row.medication_name)),
        page: pageResponse('dose-log', last && { o: new Date(last.occurred_at).getTime(), i: last.id }),
      });
    },

    async deleteDoseLogEntry(request) {
      const actor = actorOf(request.caller);
      const entry = isUuid(request.entryId) ? await doseLog.find(request.entryId) : undefined;
      if (!entry) throw new NotFoundError('dose log entry', request.entryId);
      await authorizeRecord(
        context,
        actor,
        { ownerId: entry.user_id, entity: 'dose log entry', id: entry.id },
        'write',
        'log_doses',
      );
      await doseLog.delete(entry);
      return create(DeleteDoseLogEntryResponseSchema, {});
    },

    async getAdherence(request) {
      const actor = actorOf(request.caller);
      const nowMs = context.clock.now().getTime();
      const { fromMs, toMs } = periodOf(request.from, request.to, nowMs, 366);
      const personId = await authorizedPerson(context, actor, request.userId, 'read', 'read_medications');
      const reader = context.db.reader(personId);
      const [medications, zone] = await Promise.all([
        medicationsOf(personId, request.medicationId),
        timeZoneOf(reader, personId),
      ]);
      const dueTo = Math.min(toMs, nowMs);
      const doses = await dosesWithEntries(
        doseLog,
        reader,
        medications,
        zone,
        fromMs,
        dueTo,
        context.limits.scheduledDosesPerRead,
      );
      const extras = await doseLog.unscheduledTaken(
        reader,
        medications.map((m) => m.id),
        new Date(fromMs),
        new Date(toMs),
      );
      const byMedication = medications
        .map((medication) => {
          const states: DoseState[] = doses
            .filter((d) => d.medication.id === medication.id)
            .map((d) => doseState(d.dose.scheduledAtMs, d.entry?.status, nowMs, rules));
          const unscheduled = extras.filter((id) => id === medication.id).length;
          return { medication, counts: adherenceOf(states, unscheduled), seen: states.length + unscheduled };
        })
        .filter((m) => m.seen > 0);
      return create(GetAdherenceResponseSchema, {
        report: create(AdherenceReportSchema, {
          from: timestampFromDate(new Date(fromMs)),
          to: timestampFromDate(new Date(toMs)),
          overall: statsOf(sumAdherence(byMedication.map((m) => m.counts))),
          byMedication: byMedication.map((m) =>
            create(MedicationAdherenceSchema, {
              medicationId: m.medication.id,
              medicationName: m.medication.name,
              stats: statsOf(m.counts),
            }),
          ),
        }),
      });
    },
  };
}
