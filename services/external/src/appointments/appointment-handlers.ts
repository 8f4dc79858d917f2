import { create } from '@bufbuild/protobuf';
import { timestampDate } from '@bufbuild/protobuf/wkt';
import type { ServiceImpl } from '@connectrpc/connect';
import { ValidationError, pageLimitOf, pageSizes } from '@tend/platform';
import { Role, type Caller } from '@tend/proto/tend/common/v1/common';
import { CalendarEventSchema, type ExternalService } from '@tend/proto/tend/external/v1/external';
import { isUuid, requireCaller, subjectOf } from '../access.js';
import { withoutOccurrence } from '../calendar/recurrence.js';
import { checkAppointment } from './appointment-input.js';
import type { AppointmentStore } from './appointment-store.js';

/** Largest page of a list. */
const maxPage = pageSizes.max;

/** The owner a call on one appointment is limited to: the caller, or anyone for a service or admin. */
function ownerOf(caller: Caller | undefined): string | undefined {
  requireCaller(caller);
  if (caller!.role === Role.SERVICE || caller!.role === Role.ADMIN) return undefined;
  return subjectOf(caller, '');
}

function checkId(id: string): string {
  if (!isUuid(id)) throw ValidationError.field('appointment_id', 'must be a UUID');
  return id;
}

/** The page size asked for, by the platform's rule for every list (0 means 50, at most 100). */
function pageLimit(limit: number): number {
  return pageLimitOf({ limit });
}

/** The appointment methods and ListCalendarEvents (the same appointments, as calendar events). */
export function appointmentHandlers(
  store: AppointmentStore,
): Pick<
  ServiceImpl<typeof ExternalService>,
  | 'createAppointment'
  | 'getAppointment'
  | 'listAppointments'
  | 'updateAppointment'
  | 'deleteAppointment'
  | 'listCalendarEvents'
> {
  return {
    async createAppointment(req) {
      const userId = subjectOf(req.caller, req.userId);
      return { appointment: await store.create(userId, checkAppointment(req)) };
    },
    async getAppointment(req) {
      return { appointment: await store.get(checkId(req.appointmentId), ownerOf(req.caller)) };
    },
    async listAppointments(req) {
      const userId = subjectOf(req.caller, req.userId);
      const window = { from: req.from && timestampDate(req.from), to: req.to && timestampDate(req.to) };
      if (window.from && window.to && window.to <= window.from) throw ValidationError.field('to', 'must be after from');
      const page = await store.list(userId, window, pageLimit(req.page?.limit ?? 0), req.page?.cursor ?? '');
      return { appointments: page.appointments, page: { nextCursor: page.nextCursor } };
    },
    async updateAppointment(req) {
      const id = checkId(req.appointmentId);
      const appointment = await store.update(id, ownerOf(req.caller), (current) =>
        checkAppointment({
          title: req.title ?? current.title,
          clinician: req.clinician ?? current.clinician,
          location: req.location ?? current.location,
          // A new zone alone keeps the wall times (the visit is at 15:00 wherever it is).
          localStart: req.localStart ?? current.localStart,
          localEnd: req.localEnd ?? (req.localStart === undefined ? current.localEnd : ''),
          timeZone: req.timeZone ?? current.timeZone,
          notes: req.notes ?? current.notes,
        }),
      );
      return { appointment };
    },
    async deleteAppointment(req) {
      const id = checkId(req.appointmentId);
      if (!req.occurrenceStart) {
        await store.delete(id, ownerOf(req.caller));
        return {};
      }
      const startsAt = timestampDate(req.occurrenceStart);
      await store.update(id, ownerOf(req.caller), (current, recurrence) => {
        if (!recurrence) throw ValidationError.field('occurrence_start', 'is only for a recurring appointment');
        const series = {
          startsAt: timestampDate(current.startsAt!),
          endsAt: timestampDate(current.endsAt!),
          timeZone: current.timeZone,
          recurrence,
        };
        const rest = withoutOccurrence(series, startsAt);
        if (!rest) throw ValidationError.field('occurrence_start', 'is not the start of one of its visits');
        return {
          ...series,
          title: current.title,
          clinician: current.clinician,
          location: current.location,
          notes: current.notes,
          recurrence: rest,
        };
      });
      return {};
    },
    async listCalendarEvents(req) {
      const userId = subjectOf(req.caller, req.userId);
      const window = { from: req.from && timestampDate(req.from), to: req.to && timestampDate(req.to) };
      const events = [];
      let cursor = '';
      do {
        const page = await store.list(userId, window, maxPage, cursor);
        for (const a of page.appointments) {
          events.push(
            create(CalendarEventSchema, {
              id: a.id,
              title: a.clinician ? `${a.title} (${a.clinician})` : a.title,
              startsAt: a.startsAt,
              endsAt: a.endsAt,
              location: a.location,
            }),
          );
        }
        cursor = page.nextCursor;
      } while (cursor !== '' && events.length < 1000);
      return { events };
    },
  };
}
