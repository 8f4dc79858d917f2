import { Code, ConnectError, type Client } from '@connectrpc/connect';
import { create } from '@bufbuild/protobuf';
import { timestampDate, timestampFromDate } from '@bufbuild/protobuf/wkt';
import { ValidationError, fieldViolationsOf } from '@tend/core';
import { PageRequestSchema, type PageResponse } from '@tend/proto/tend/common/v1/common';
import { FhirImportIssueSchema, type FhirImportIssue } from '@tend/proto/tend/health/v1/fhir';
import type { HealthService } from '@tend/proto/tend/health/v1/health_service';
import type { Vital, VitalInput } from '@tend/proto/tend/health/v1/vitals';
import { actorOf } from '../access/access-control.js';
import type { HealthContext } from '../context.js';
import type { HealthHandlers } from '../handlers.js';
import {
  doseToStatement,
  medicationToRequest,
  observationToVitalInput,
  userToPatient,
  vitalToObservation,
  type FhirResource,
} from './fhir-mapping.js';

/** Largest batch the vitals API takes in one all-or-nothing call. */
const importBatchSize = 1000;
/** Export period when none is given: the last year. */
const defaultExportDays = 366;

/**
 * FHIR R4 export and import, built on the service's own contract: `self` is a client of the
 * other health methods, called with the requester's caller, so FHIR obeys exactly the access
 * rules, validation and unit conversion of the rest of the API.
 */
export function fhirHandlers(
  context: HealthContext,
  self: Client<typeof HealthService>,
): HealthHandlers<'exportFhir' | 'importFhir'> {
  return {
    async exportFhir(req) {
      const actor = actorOf(req.caller);
      const userId = req.userId || (actor.kind === 'service' ? '' : actor.userId);
      if (!userId) throw ValidationError.field('user_id', 'is required for a service caller');
      // The whole record at once is for its owner (or an admin); caregivers use the scoped reads.
      await context.access.authorize(actor, { ownerId: userId, action: 'read', resource: 'fhir-export' });
      const to = req.to ? timestampDate(req.to) : context.clock.now();
      const from = req.from ? timestampDate(req.from) : new Date(to.getTime() - defaultExportDays * 86_400_000);
      const maxDays = context.limits.fhirExportMaxDays;
      if (!(from < to)) throw ValidationError.field('from', 'must be before to');
      if (to.getTime() - from.getTime() > maxDays * 86_400_000) {
        throw ValidationError.field('from', `the export period must be at most ${maxDays} days`);
      }
      // The period as resolved, defaults included: reads below never run open-ended.
      const period = { from: timestampFromDate(from), to: timestampFromDate(to) };
      const caller = req.caller;
      const { user } = await self.getUser({ caller, userId });
      const medications = await allPages(
        (page) => self.listMedications({ caller, userId, page }),
        (r) => r.medications,
      );
      const vitals = await allPages(
        (page) => self.listVitals({ caller, userId, ...period, page }),
        (r) => r.vitals,
      );
      const doses = await allPages(
        (page) => self.listDoseLog({ caller, userId, ...period, page }),
        (r) => r.entries,
      );
      const resources: FhirResource[] = [
        ...(user ? [userToPatient(user)] : []),
        ...medications.map(medicationToRequest),
        ...doses.map(doseToStatement),
        ...vitals.map(vitalToObservation),
      ];
      const bundle = {
        resourceType: 'Bundle',
        type: 'collection',
        timestamp: context.clock.now().toISOString(),
        meta: { tag: [{ system: 'urn:tend', code: 'export', display: `${from.toISOString()}/${to.toISOString()}` }] },
        entry: resources.map((resource) => ({ fullUrl: `urn:uuid:${String(resource.id)}`, resource })),
      };
      return { bundleJson: JSON.stringify(bundle), resourceCount: resources.length };
    },

    async importFhir(req) {
      const actor = actorOf(req.caller);
      const userId = req.userId || (actor.kind === 'service' ? '' : actor.userId);
      if (!userId) throw ValidationError.field('user_id', 'is required for a service caller');
      const entries = parseBundle(req.bundleJson);
      const issues: FhirImportIssue[] = [];
      const candidates: { index: number; input: VitalInput }[] = [];
      entries.forEach((entry, index) => {
        const type = typeof entry?.resourceType === 'string' ? entry.resourceType : 'unknown';
        if (type !== 'Observation') {
          // Patient, MedicationRequest and MedicationStatement are exported for other systems;
          // importing them would change the account or the schedule, which the person does by hand.
          issues.push(issue(index, type, 'unsupported', 'only Observation resources are imported'));
          return;
        }
        try {
          candidates.push({ index, input: observationToVitalInput(entry) });
        } catch (error) {
          if (!(error instanceof ValidationError)) throw error;
          issues.push(issue(index, type, 'invalid', error.message));
        }
      });
      const fresh = await withoutDuplicates(self, req.caller, userId, candidates, issues);
      const imported = req.dryRun ? fresh.length : await recordAll(self, req.caller, userId, fresh, issues);
      issues.sort((a, b) => a.entryIndex - b.entryIndex);
      return { imported, skipped: issues.length, issues };
    },
  };
}

function issue(entryIndex: number, resourceType: string, reason: string, detail: string): FhirImportIssue {
  return create(FhirImportIssueSchema, { entryIndex, resourceType, reason, detail });
}

function parseBundle(json: string): ({ resourceType?: unknown } | undefined)[] {
  let bundle: unknown;
  try {
    bundle = JSON.parse(json);
  } catch {
    throw ValidationError.field('bundle_json', 'is not valid JSON');
  }
  const value = bundle as { resourceType?: unknown; entry?: unknown };
  if (typeof bundle !== 'object' || bundle === null || value.resourceType !== 'Bundle') {
    throw ValidationError.field('bundle_json', 'must be a FHIR Bundle');
  }
  if (value.entry !== undefined && !Array.isArray(value.entry))
    throw ValidationError.field('bundle_json.entry', 'must be an array');
  return ((value.entry as { resource?: { resourceType?: unknown } }[] | undefined) ?? []).map((e) => e?.resource);
}

/** The same reading (kind, instant, values) already on file is not stored twice. */
async function withoutDuplicates(
  self: Client<typeof HealthService>,
  caller: Parameters<Client<typeof HealthService>['listVitals']>[0]['caller'],
  userId: string,
  candidates: { index: number; input: VitalInput }[],
  issues: FhirImportIssue[],
): Promise<{ index: number; input: VitalInput }[]> {
  if (candidates.length === 0) return [];
  const instants = candidates.map((c) => timestampDate(c.input.measuredAt!).getTime());
  const from = new Date(Math.min(...instants));
  const to = new Date(Math.max(...instants) + 1);
  const existing = await allPages(
    (page) =>
      self.listVitals({
        caller,
        userId,
        from: { seconds: BigInt(Math.floor(from.getTime() / 1000)), nanos: (from.getTime() % 1000) * 1e6 },
        to: { seconds: BigInt(Math.floor(to.getTime() / 1000)), nanos: (to.getTime() % 1000) * 1e6 },
        page,
      }),
    (r) => r.vitals,
  );
  const seen = new Set(existing.map(readingKey));
  return candidates.filter((candidate) => {
    const key = readingKey(candidate.input);
    if (seen.has(key)) {
      issues.push(issue(candidate.index, 'Observation', 'duplicate', 'the same reading is already recorded'));
      return false;
    }
    seen.add(key);
    return true;
  });
}

function readingKey(reading: Pick<Vital, 'kind' | 'value' | 'systolic' | 'diastolic' | 'measuredAt'>): string {
  const round = (n: number | undefined) => (n === undefined ? '' : n.toFixed(3));
  return [
    reading.kind,
    reading.measuredAt ? timestampDate(reading.measuredAt).getTime() : '',
    round(reading.value),
    round(reading.systolic),
    round(reading.diastolic),
  ].join('|');
}

/**
 * Records the readings in all-or-nothing batches. A reading the vitals rules reject (a value
 * out of range, a unit they do not know) is set aside with the reason and the batch retried.
 */
async function recordAll(
  self: Client<typeof HealthService>,
  caller: Parameters<Client<typeof HealthService>['batchRecordVitals']>[0]['caller'],
  userId: string,
  readings: { index: number; input: VitalInput }[],
  issues: FhirImportIssue[],
): Promise<number> {
  let imported = 0;
  for (let start = 0; start < readings.length; start += importBatchSize) {
    let batch = readings.slice(start, start + importBatchSize);
    while (batch.length > 0) {
      try {
        await self.batchRecordVitals({ caller, userId, vitals: batch.map((r) => r.input) });
        imported += batch.length;
        break;
      } catch (error) {
        const rejected = rejectedReading(error);
        if (rejected === undefined || !batch[rejected.position]) throw error;
        issues.push(issue(batch[rejected.position]!.index, 'Observation', 'invalid', rejected.message));
        batch = batch.filter((_, i) => i !== rejected.position);
      }
    }
  }
  return imported;
}

/** Which reading of a batch an InvalidArgument names, from its field path `vitals[3]...`. */
function rejectedReading(error: unknown): { position: number; message: string } | undefined {
  if (!(error instanceof ConnectError) || error.code !== Code.InvalidArgument) return undefined;
  for (const violation of fieldViolationsOf(error)) {
    const match = /^(?:vitals|readings)\[(\d+)\]/.exec(violation.field);
    if (match) return { position: Number(match[1]), message: `${violation.field}: ${violation.message}` };
  }
  const match = /(?:vitals|readings)\[(\d+)\]/.exec(error.rawMessage);
  return match ? { position: Number(match[1]), message: error.rawMessage } : undefined;
}

/** Every item of a cursor-paginated list, 100 at a time. */
async function allPages<R extends { page?: PageResponse }, T>(
  fetch: (page: ReturnType<typeof create<typeof PageRequestSchema>>) => Promise<R>,
  items: (response: R) => T[],
): Promise<T[]> {
  const all: T[] = [];
  let cursor = '';
  do {
    const response = await fetch(create(PageRequestSchema, { limit: 100, cursor }));
    all.push(...items(response));
    cursor = response.page?.nextCursor ?? '';
  } while (cursor);
  return all;
}
