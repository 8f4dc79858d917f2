import type { ServiceImpl } from '@connectrpc/connect';
import { ValidationError, type FieldViolation } from '@tend/core';
import { type SchemaDatabase } from '@tend/db';
import type { ExternalService } from '@tend/proto/tend/external/v1/external';
import { subjectOf } from '../access.js';
import type { AppointmentStore } from '../appointments/appointment-store.js';
import type { ExternalTables } from '../db/tables.js';
import { isKnownTimeZone } from '../local-dates.js';
import { CalDavCalendar, CalendarServerError, type CalDavCredentials } from './caldav-calendar.js';
import type { CalendarConnections } from './calendar-connections.js';
import type { CalendarSync } from './calendar-sync.js';
import { MalformedCalendarError, parseCalendar } from './ics-events.js';
import { importEvents } from './ics-import.js';

/** Checks a connection's fields all at once, so a form hears of every problem. */
export function checkCredentials(req: CalDavCredentials): CalDavCredentials {
  const violations: FieldViolation[] = [];
  const url = req.url.trim();
  let parsed: URL | undefined;
  try {
    parsed = new URL(url);
  } catch {
    violations.push({ field: 'url', message: 'must be an http(s) URL' });
  }
  if (parsed && parsed.protocol !== 'http:' && parsed.protocol !== 'https:') {
    violations.push({ field: 'url', message: 'must be an http(s) URL' });
  }
  if (parsed && (parsed.username !== '' || parsed.password !== '')) {
    violations.push({ field: 'url', message: 'must not carry credentials; give username and password instead' });
  }
  if (req.username.trim() === '') violations.push({ field: 'username', message: 'is required' });
  if (violations.length > 0) throw new ValidationError(violations);
  return { url, username: req.username.trim(), password: req.password };
}

/** The CalDAV connection methods and the .ics import. */
export function calendarSyncHandlers(deps: {
  db: SchemaDatabase<ExternalTables>;
  appointments: AppointmentStore;
  connections: CalendarConnections;
  sync: CalendarSync;
  /** Finds the calendar for credentials. @default CalDavCalendar.discover */
  discover?: (credentials: CalDavCredentials) => Promise<CalDavCalendar>;
}): Pick<
  ServiceImpl<typeof ExternalService>,
  'connectCalendar' | 'syncCalendar' | 'getCalendarSync' | 'disconnectCalendar' | 'importAppointments'
> {
  const discover = deps.discover ?? ((credentials) => CalDavCalendar.discover(credentials));
  return {
    async connectCalendar(req) {
      const userId = subjectOf(req.caller, req.userId);
      const credentials = checkCredentials(req);
      let calendar: CalDavCalendar;
      try {
        calendar = await discover(credentials);
      } catch (error) {
        if (error instanceof CalendarServerError) throw ValidationError.field('url', error.message);
        throw error;
      }
      return {
        sync: await deps.connections.connect(userId, calendar.url, credentials.username, credentials.password),
      };
    },
    async syncCalendar(req) {
      const userId = subjectOf(req.caller, req.userId);
      const counts = await deps.sync.sync(userId);
      return { counts, sync: await deps.connections.status(userId) };
    },
    async getCalendarSync(req) {
      return { sync: await deps.connections.status(subjectOf(req.caller, req.userId)) };
    },
    async disconnectCalendar(req) {
      await deps.connections.disconnect(subjectOf(req.caller, req.userId));
      return {};
    },
    async importAppointments(req) {
      const userId = subjectOf(req.caller, req.userId);
      const zone = req.timeZone === '' ? 'UTC' : req.timeZone;
      if (!isKnownTimeZone(zone))
        throw ValidationError.field('time_zone', `"${req.timeZone}" is not an IANA time zone`);
      if (req.ics.trim() === '') throw ValidationError.field('ics', 'is empty');
      let parsed;
      try {
        parsed = parseCalendar(req.ics, zone);
      } catch (error) {
        if (error instanceof MalformedCalendarError) throw error.toValidation('ics');
        throw error;
      }
      if (parsed.events.length === 0) throw ValidationError.field('ics', 'has no events');
      const written = await deps.db.transaction((trx) => importEvents(trx, deps.appointments, userId, parsed.events), {
        consistencyKey: userId,
      });
      return {
        appointments: [...written.created, ...written.updated],
        skipped: parsed.skipped,
        created: written.created.length,
        updated: written.updated.length,
        unchanged: written.unchanged,
      };
    },
  };
}
