import { create } from '@bufbuild/protobuf';
import { timestampDate, timestampFromDate } from '@bufbuild/protobuf/wkt';
import { Code, ConnectError } from '@connectrpc/connect';
import { ForbiddenError, NotFoundError, ValidationError, parseLocalDate } from '@tend/core';
import { decodeCursor, pageLimitOf, pageResponse } from '@tend/rpc';
import { BucketSize, WeeklySummarySchema } from '@tend/proto/tend/health/v1/analytics';
import { GetAdherenceRequestSchema, GetAdherenceResponseSchema } from '@tend/proto/tend/health/v1/doses';
import { WatchVitalsResponseSchema, type WatchVitalsResponse } from '@tend/proto/tend/health/v1/vitals';
import { actorOf, type Actor } from '../access/access-control.js';
import { doseHandlers } from '../medications/dose-handlers.js';
import type { HealthContext } from '../context.js';
import type { HealthHandlers } from '../handlers.js';
import { addDays, defaultBucketSize, isoWeekStart, localDate, localMidnight } from './analytics.js';
import { VitalFeed, type VitalChange } from './vital-feed.js';
import { normalizeVitalInput } from './vital-input.js';
import { reportUnit, specOf, vitalKinds } from './vital-kinds.js';
import { VitalPartitions } from './vital-partitions.js';
import { vitalOfRow, type VitalRow } from './vital-rows.js';
import { noReadings, sortFlagsNewestFirst, summaryOfParts } from './vital-summary.js';
import { VitalRepository } from './vital-repository.js';
import { storeVitals, type VitalWriteDeps } from './vital-writes.js';

/** Longest summary period. */
export const maxSummaryDays = 366;
/** Changes a WatchVitals stream buffers for a slow client before it is ended. */
export const watchQueueLimit = 256;
/** Open WatchVitals streams per watched person in this process; more are refused. */
export const maxWatchersPerPerson = 32;
/** How often a caregiver's stream re-checks that its link still grants read_vitals. */
export const watchRecheckMs = 15_000;

const dayMs = 86_400_000;
const uuidPattern = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

type VitalMethods =
  | 'recordVital'
  | 'batchRecordVitals'
  | 'getVital'
  | 'listVitals'
  | 'deleteVital'
  | 'watchVitals'
  | 'getVitalSummary'
  | 'getWeeklySummary';

/**
 * Vitals: recording (single and all-or-nothing batches, idempotent), reads, deletion, a live
 * feed, and the analytics built on them. Every call checks the caller against the person's
 * record; a reading of someone the caller may not see is NotFound, not Forbidden, so ids do not
 * leak whose they are. Writes go to the primary keyed by the person, reads to a replica that has
 * seen that person's writes.
 */
export function vitalHandlers(context: HealthContext): HealthHandlers<VitalMethods> {
  const repository = new VitalRepository(context);
  const deps: VitalWriteDeps = {
    context,
    partitions: new VitalPartitions(context.db, context.clock, context.limits.vitalHistoryDays),
    feed: new VitalFeed(),
    repository,
  };
  const { access, cipher } = context;
  // The weekly summary's adherence comes from the medications area's own method, so it follows
  // that area's rules and access checks (CAREGIVER_SCOPE_READ_MEDICATIONS) exactly.
  const { getAdherence } = doseHandlers(context);

  const ownerOf = (requested: string, actor: Actor): string => {
    const userId = requested || (actor.kind === 'service' ? '' : actor.userId);
    if (!userId) throw ValidationError.field('user_id', 'is required for a service caller');
    if (!uuidPattern.test(userId)) throw ValidationError.field('user_id', 'must be a UUID');
    return userId;
  };

  /** A reading by id, only when the caller may `action` it; NotFound otherwise. */
  const findVital = async (actor: Actor, vitalId: string, action: 'read' | 'write'): Promise<VitalRow> => {
    if (!uuidPattern.test(vitalId)) throw new NotFoundError('vital', vitalId);
    const row = await repository.find(vitalId, actor.kind === 'service' ? undefined : actor.userId, action === 'write');
    if (!row) throw new NotFoundError('vital', vitalId);
    try {
      await access.authorize(actor, {
        ownerId: row.user_id,
        action,
        // Deleting is for the person or an admin; no caregiver scope allows it.
        ...(action === 'read' && { scope: 'read_vitals' as const }),
        resource: 'vitals',
        resourceId: vitalId,
      });
    } catch (error) {
      if (error instanceof ForbiddenError) throw new NotFoundError('vital', vitalId, { cause: error });
      throw error;
    }
    return row;
  };

  return {
    async recordVital(req) {
      const actor = actorOf(req.caller);
      const userId = ownerOf(req.userId, actor);
      await access.authorize(actor, { ownerId: userId, action: 'write', scope: 'record_vitals', resource: 'vitals' });
      const reading = normalizeVitalInput(req.vital, context.clock.now(), '', context.limits.vitalHistoryDays);
      const [vital] = await storeVitals(deps, actor, userId, [reading], req.idempotencyKey);
      return { vital };
    },

    async batchRecordVitals(req) {
      const actor = actorOf(req.caller);
      const userId = ownerOf(req.userId, actor);
      await access.authorize(actor, { ownerId: userId, action: 'write', scope: 'record_vitals', resource: 'vitals' });
      const now = context.clock.now();
      const readings = req.vitals.map((input, i) =>
        normalizeVitalInput(input, now, `vitals[${i}].`, context.limits.vitalHistoryDays),
      );
      return { vitals: await storeVitals(deps, actor, userId, readings, req.idempotencyKey) };
    },

    async getVital(req) {
      const actor = actorOf(req.caller);
      return { vital: vitalOfRow(await findVital(actor, req.vitalId, 'read'), cipher) };
    },

    async listVitals(req) {
      const actor = actorOf(req.caller);
      const userId = ownerOf(req.userId, actor);
      const limit = pageLimitOf(req.page);
      const cursor = decodeCursor<{ at: number; id: string }>(req.page, 'vitals');
      await access.authorize(actor, { ownerId: userId, action: 'read', scope: 'read_vitals', resource: 'vitals' });
      const rows = await repository.page({
        userId,
        limit,
        ...(specOf(req.kind) && { kind: specOf(req.kind)!.name }),
        ...(req.from && { from: timestampDate(req.from) }),
        ...(req.to && { to: timestampDate(req.to) }),
        ...(cursor && { after: cursor }),
      });
      const page = rows.slice(0, limit);
      const last = page.at(-1);
      return {
        vitals: page.map((row) => vitalOfRow(row, cipher)),
        page: pageResponse(
          'vitals',
          rows.length > limit && last ? { at: new Date(last.measured_at).getTime(), id: last.id } : undefined,
        ),
      };
    },

    async deleteVital(req) {
      const actor = actorOf(req.caller);
      const row = await findVital(actor, req.vitalId, 'write');
      await repository.delete(row);
      deps.feed.publish(row.user_id, [{ type: 'deleted', vitalId: row.id }]);
      return {};
    },

    async *watchVitals(req, ctx) {
      const actor = actorOf(req.caller);
      const userId = ownerOf(req.userId, actor);
      await access.authorize(actor, { ownerId: userId, action: 'read', scope: 'read_vitals', resource: 'vitals' });
      if (deps.feed.watchers(userId) >= maxWatchersPerPerson) {
        throw new ConnectError('too many streams watch this person; close one first', Code.ResourceExhausted);
      }
      const kinds = new Set(req.kinds);
      const queue: VitalChange[] = [];
      let overflow = false;
      let wake: (() => void) | undefined;
      const unsubscribe = deps.feed.subscribe(userId, (change) => {
        if (change.type === 'recorded' && kinds.size > 0 && !kinds.has(change.vital.kind)) return;
        if (queue.length >= watchQueueLimit) overflow = true;
        else queue.push(change);
        wake?.();
      });
      const caregiverId = actor.kind === 'person' && actor.userId !== userId ? actor.userId : undefined;
      const onAbort = () => wake?.();
      ctx.signal.addEventListener('abort', onAbort);
      const recheck = caregiverId === undefined ? undefined : setInterval(() => wake?.(), watchRecheckMs);
      let checkedAt = Date.now();
      try {
        while (!ctx.signal.aborted) {
          if (caregiverId !== undefined && Date.now() - checkedAt >= watchRecheckMs) {
            // A revoked link ends the stream: the caregiver must not see the next reading.
            if (!(await access.hasScope(userId, caregiverId, 'read_vitals'))) return;
            checkedAt = Date.now();
          }
          if (overflow) throw new ConnectError('the watcher fell too far behind; reconnect', Code.ResourceExhausted);
          const change = queue.shift();
          if (!change) {
            await new Promise<void>((resolve) => (wake = resolve));
            wake = undefined;
            continue;
          }
          if (caregiverId !== undefined && !(await access.hasScope(userId, caregiverId, 'read_vitals'))) return;
          yield watchResponse(change);
        }
      } finally {
        unsubscribe();
        if (recheck) clearInterval(recheck);
        ctx.signal.removeEventListener('abort', onAbort);
      }
    },

    async getVitalSummary(req) {
      const actor = actorOf(req.caller);
      const userId = ownerOf(req.userId, actor);
      const spec = specOf(req.kind);
      if (!spec) throw ValidationError.field('kind', 'is required and must be a known vital kind');
      reportUnit(spec, req.unit);
      const to = req.to ? timestampDate(req.to) : context.clock.now();
      const from = req.from ? timestampDate(req.from) : new Date(to.getTime() - 7 * dayMs);
      if (!(from < to)) throw ValidationError.field('from', 'must be before to');
      // Local calendar days are four-digit years; no reading can be older than that anyway.
      if (from.getUTCFullYear() < 1900)
        throw ValidationError.field(req.from ? 'from' : 'to', 'must be in 1900 or later');
      if (to.getTime() - from.getTime() > maxSummaryDays * dayMs) {
        throw ValidationError.field('from', `the period must be at most ${maxSummaryDays} days`);
      }
      await access.authorize(actor, { ownerId: userId, action: 'read', scope: 'read_vitals', resource: 'vitals' });
      const timeZone = await repository.timeZoneOf(userId);
      const bucketSize =
        req.bucketSize === BucketSize.DAY || req.bucketSize === BucketSize.WEEK
          ? req.bucketSize
          : defaultBucketSize(from, to);
      const parts = await repository.summaryParts({ userId, from, to, kinds: [spec], bucketSize, timeZone });
      const request = { spec, from, to, bucketSize, unit: req.unit, timeZone };
      return { summary: summaryOfParts(request, parts.get(spec.name) ?? noReadings(request)) };
    },

    async getWeeklySummary(req, ctx) {
      const actor = actorOf(req.caller);
      const userId = ownerOf(req.userId, actor);
      if (req.startDate !== '' && !parseLocalDate(req.startDate)) {
        throw ValidationError.field('start_date', 'must be a date, YYYY-MM-DD');
      }
      let readsVitals = true;
      try {
        await access.authorize(actor, { ownerId: userId, action: 'read', scope: 'read_vitals', resource: 'vitals' });
      } catch (error) {
        // A caregiver with only the medications scope gets the parts it allows (none of the vitals).
        if (!(error instanceof ForbiddenError) || actor.kind !== 'person') throw error;
        await access.authorize(actor, {
          ownerId: userId,
          action: 'read',
          scope: 'read_medications',
          resource: 'weekly-summary',
        });
        readsVitals = false;
      }
      const timeZone = await repository.timeZoneOf(userId);
      const startDate = req.startDate || addDays(isoWeekStart(localDate(context.clock.now(), timeZone)), -7);
      const endDate = addDays(startDate, 6);
      const from = localMidnight(startDate, timeZone);
      const to = localMidnight(addDays(startDate, 7), timeZone);
      const summary = create(WeeklySummarySchema, { userId, startDate, endDate, timeZone });
      try {
        const period = { from: timestampFromDate(from), to: timestampFromDate(to) };
        const request = create(GetAdherenceRequestSchema, { caller: req.caller, userId, ...period });
        summary.adherence = create(GetAdherenceResponseSchema, await getAdherence(request, ctx)).report;
      } catch (error) {
        // A caregiver without the medications scope gets the summary without adherence.
        if (!(error instanceof ForbiddenError)) throw error;
      }
      if (!readsVitals) return { summary };
      const kinds = Object.values(vitalKinds);
      const parts = await repository.summaryParts({ userId, from, to, kinds, bucketSize: BucketSize.DAY, timeZone });
      for (const spec of kinds) {
        const ofKind = parts.get(spec.name);
        if (!ofKind) continue;
        const request = { spec, from, to, bucketSize: BucketSize.DAY, unit: '', timeZone } as const;
        summary.vitals.push(summaryOfParts(request, ofKind));
      }
      summary.flags = sortFlagsNewestFirst(summary.vitals.flatMap((v) => v.flags));
      return { summary };
    },
  };
}

function watchResponse(change: VitalChange): WatchVitalsResponse {
  return create(WatchVitalsResponseSchema, {
    event:
      change.type === 'recorded'
        ? { case: 'recorded', value: change.vital }
        : { case: 'deletedVitalId', value: change.vitalId },
  });
}
