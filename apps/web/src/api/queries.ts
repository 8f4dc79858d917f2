import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { useApi } from '../app/api-context.js';
import type { VitalKind } from '../domain/units.js';
import { unwrap } from './problem.js';
import type { paths } from './schema.gen.js';
import type {
  Adherence,
  CaregiverGrant,
  CaregiverInvitation,
  Medication,
  ScheduledDose,
  Vital,
  VitalDay,
} from './types.js';

// The screens' reads and writes, each named by what it means; the cache keys live here too, so a
// write refreshes exactly the reads it changes.

const dayMs = 24 * 3600_000;

/** How far back a chart looks. */
export type ChartRange = 'week' | 'month' | 'year';
export const rangeDays: Readonly<Record<ChartRange, number>> = { week: 7, month: 30, year: 365 };

/** The most pages of 100 readings a chart reads; a year of dense readings is summarised instead. */
const maxPages = 20;

/** Readings of one kind over a period, newest first (all pages up to 2,000 readings). */
export function useVitals(kind: VitalKind, range: ChartRange, patientId?: string) {
  const { client } = useApi();
  return useQuery({
    queryKey: ['vitals', patientId ?? 'me', kind, range],
    queryFn: async () => {
      const from = new Date(Date.now() - rangeDays[range] * dayMs).toISOString();
      const items: Vital[] = [];
      let cursor: string | undefined;
      for (let page = 0; page < maxPages; page++) {
        const query = { kind, from, limit: 100, ...(cursor && { cursor }) };
        const result = patientId
          ? await unwrap(client.GET('/api/v1/patients/{id}/vitals', { params: { path: { id: patientId }, query } }))
          : await unwrap(client.GET('/api/v1/vitals', { params: { query } }));
        items.push(...(result.items as unknown as Vital[]));
        if (!result.nextCursor) break;
        cursor = result.nextCursor;
      }
      return items;
    },
  });
}

/** The newest readings of every kind, for Today. */
export function useLatestVitals() {
  const { client } = useApi();
  return useQuery({
    queryKey: ['vitals', 'me', 'latest'],
    queryFn: async () => {
      const result = await unwrap(client.GET('/api/v1/vitals', { params: { query: { limit: 50 } } }));
      return result.items as unknown as Vital[];
    },
  });
}

/**
 * A year of one kind as 365-odd days (count, lowest, highest, average per local day), read from
 * the health service's hourly rollups: the answer is the same size for two readings a day or one
 * every five minutes, where listing the readings would be hundreds of pages.
 */
export function useVitalDays(kind: VitalKind) {
  const { client } = useApi();
  return useQuery({
    queryKey: ['vitals', 'me', kind, 'days'],
    queryFn: async () => {
      const from = new Date(Date.now() - rangeDays.year * dayMs).toISOString();
      const query = { kind, from, bucketSize: 'day' as const };
      const summary = await unwrap(client.GET('/api/v1/vitals/summary', { params: { query } }));
      return ((summary as { buckets?: VitalDay[] }).buckets ?? []).filter((day) => day.count > 0);
    },
  });
}

/** The weekly summary of one kind. */
export function useVitalSummary(kind: VitalKind) {
  const { client } = useApi();
  return useQuery({
    queryKey: ['vitals', 'me', kind, 'summary'],
    queryFn: async () =>
      (await unwrap(client.GET('/api/v1/vitals/summary', { params: { query: { kind } } }))) as Record<string, unknown>,
  });
}

/** A reading as the API takes it (blood pressure: systolic and diastolic; other kinds: a value). */
type NewReading = paths['/api/v1/vitals']['post']['requestBody']['content']['application/json'];

/** Records a reading; every view of readings is refreshed. */
export function useRecordVital() {
  const { client } = useApi();
  const queries = useQueryClient();
  return useMutation({
    mutationFn: async (body: {
      kind: VitalKind;
      value?: number;
      systolic?: number;
      diastolic?: number;
      unit?: string;
    }) =>
      // The API's body is a oneOf on `kind`; the form fills the fields of the kind it shows.
      (await unwrap(client.POST('/api/v1/vitals', { body: body as NewReading }))) as unknown as Vital,
    onSuccess: () => queries.invalidateQueries({ queryKey: ['vitals'] }),
  });
}

/** The scheduled doses between two instants, with their status. */
export function useDoses(from: Date, to: Date) {
  const { client } = useApi();
  return useQuery({
    queryKey: ['doses', from.toISOString(), to.toISOString()],
    queryFn: async () => {
      const result = await unwrap(
        client.GET('/api/v1/doses', { params: { query: { from: from.toISOString(), to: to.toISOString() } } }),
      );
      return result.items as unknown as ScheduledDose[];
    },
  });
}

/** Records a dose taken or skipped, for the time it was scheduled. */
export function useLogDose() {
  const { client } = useApi();
  const queries = useQueryClient();
  return useMutation({
    mutationFn: async (input: { medicationId: string; status: 'taken' | 'skipped'; scheduledAt?: string }) =>
      unwrap(
        client.POST('/api/v1/medications/{id}/doses', {
          params: { path: { id: input.medicationId } },
          body: { status: input.status, ...(input.scheduledAt && { scheduledAt: input.scheduledAt }) },
        }),
      ),
    onSuccess: async () => {
      await queries.invalidateQueries({ queryKey: ['doses'] });
      await queries.invalidateQueries({ queryKey: ['adherence'] });
    },
  });
}

/** The person's medicines (active and stopped), or a patient's. */
export function useMedications(patientId?: string) {
  const { client } = useApi();
  return useQuery({
    queryKey: ['medications', patientId ?? 'me'],
    queryFn: async () => {
      const result = patientId
        ? await unwrap(
            client.GET('/api/v1/patients/{id}/medications', { params: { path: { id: patientId }, query: {} } }),
          )
        : await unwrap(client.GET('/api/v1/medications', { params: { query: { limit: 100 } } }));
      return result.items as unknown as Medication[];
    },
  });
}

/**
 * Adherence over the last 7 days, overall and per medicine. The window ends at the end of today,
 * so a dose taken early (before its time) already counts.
 */
export function useAdherence(patientId?: string) {
  const { client } = useApi();
  return useQuery({
    queryKey: ['adherence', patientId ?? 'me'],
    queryFn: async () => {
      const from = new Date(Date.now() - 7 * dayMs).toISOString();
      const to = new Date(Date.now() + dayMs - (Date.now() % dayMs)).toISOString();
      const result = patientId
        ? await unwrap(
            client.GET('/api/v1/patients/{id}/adherence', { params: { path: { id: patientId }, query: { from, to } } }),
          )
        : await unwrap(client.GET('/api/v1/adherence', { params: { query: { from, to } } }));
      return result as unknown as Adherence;
    },
  });
}

/** The caregivers the person granted access to, or (for a caregiver) the people who granted it. */
export function useGrants(side: 'caregivers' | 'patients', enabled = true) {
  const { client } = useApi();
  return useQuery({
    queryKey: ['grants', side],
    enabled,
    queryFn: async () => {
      const result =
        side === 'caregivers'
          ? await unwrap(client.GET('/api/v1/caregivers', { params: { query: { limit: 100 } } }))
          : await unwrap(client.GET('/api/v1/patients', { params: { query: { limit: 100 } } }));
      return result.items as unknown as CaregiverGrant[];
    },
  });
}

/**
 * Caregiver invitations: the pending ones the person sent, or those sent to the person's own
 * (verified) address, which they may accept or decline.
 */
export function useInvitations(side: 'sent' | 'received') {
  const { client } = useApi();
  return useQuery({
    queryKey: ['invitations', side],
    retry: false,
    queryFn: async () => {
      const result =
        side === 'sent'
          ? await unwrap(client.GET('/api/v1/caregivers/invitations', { params: { query: { limit: 100 } } }))
          : await unwrap(client.GET('/api/v1/invitations'));
      return result.items as unknown as CaregiverInvitation[];
    },
  });
}
