import { fileURLToPath } from 'node:url';
import { createClient, type Transport } from '@connectrpc/connect';
import { OutboxRelay, type EventBus } from '@tend/events';
import { TaskService, randomIds, systemClock, type Clock, type Ids, type Logger, type Metrics } from '@tend/core';
import { loadMigrations, type Database } from '@tend/db';
import { type Cache } from '@tend/cache';
import { type GrpcServiceModule } from '@tend/rpc';
import { ExternalService } from '@tend/proto/tend/external/v1/external';
import { HealthPublicService } from '@tend/proto/tend/health/v1/health_public_service';
import { NotificationService } from '@tend/proto/tend/notification/v1/notification';
import { advisoryHandlers } from './advisories/advisory-handlers.js';
import { AdvisoryNotices } from './advisories/advisory-notices.js';
import { appointmentHandlers } from './appointments/appointment-handlers.js';
import { AppointmentStore } from './appointments/appointment-store.js';
import { AppointmentReminders } from './appointments/appointment-reminders.js';
import type { NotesCipher } from './appointments/notes-cipher.js';
import { bindSealedValues } from './appointments/sealed-values.js';
import { calendarFeedHandlers } from './calendar/calendar-feeds.js';
import { CalendarConnections } from './calendar-sync/calendar-connections.js';
import { CalendarSync } from './calendar-sync/calendar-sync.js';
import { calendarSyncHandlers } from './calendar-sync/calendar-sync-handlers.js';
import { CalendarSyncSchedule } from './calendar-sync/calendar-sync-schedule.js';
import type { ExternalTables } from './db/tables.js';
import { Locator } from './places/locator.js';
import { placeHandlers } from './places/place-handlers.js';
import { PlaceStore } from './places/place-store.js';
import { OpenMeteoProvider, type OpenMeteoOptions } from './weather/open-meteo.js';
import { weatherHandlers } from './weather/weather-handlers.js';
import type { WeatherProvider } from './weather/weather-provider.js';
import { WeatherSource, type WeatherSourceOptions } from './weather/weather-source.js';

/** The external service's PostgreSQL schema. */
export const externalSchema = 'external';

const migrationsDir = fileURLToPath(new URL('../migrations', import.meta.url));

/** Where the weather comes from and how it is protected; every field has a default. */
export interface ExternalSettings
  extends
    Pick<OpenMeteoOptions, 'weatherBaseUrl' | 'geocodingBaseUrl' | 'airQualityBaseUrl'>,
    Omit<WeatherSourceOptions, 'provider' | 'cache' | 'metrics' | 'logger' | 'clock'> {
  /** How often each connected CalDAV calendar is synced. @default 900_000 */
  calendarSyncEveryMs?: number;
}

export interface ExternalServiceDeps {
  database: Database;
  bus: EventBus;
  cache: Cache;
  logger: Logger;
  metrics: Metrics;
  /** @default {} (Open-Meteo's public hosts, the seed's cache and breaker numbers) */
  settings?: ExternalSettings;
  /** The health service (conditions and medications for advisories), through its contract. */
  health: Transport;
  /** The notification service, for appointment reminders; without it none are sent. @default none */
  notification?: Transport;
  /** How often due appointment reminders are looked for. @default 60_000 */
  reminderEveryMs?: number;
  /** How often each person's health advisories are looked for, to notify them. @default 900_000 */
  advisoryEveryMs?: number;
  /**
   * Seals appointment notes and calendar passwords, each bound to its row and person. The binary
   * passes the process's field cipher (the health record's keys and rotation).
   */
  cipher: NotesCipher;
  /** Another provider than Open-Meteo, e.g. in tests. @default an OpenMeteoProvider from settings */
  provider?: WeatherProvider;
  /** Tests give each suite its own schema. @default 'external' */
  schema?: string;
  /** @default systemClock */
  clock?: Clock;
  /** @default randomIds */
  ids?: Ids;
}

/**
 * The external service as the binary hosts it: its schema migrated before the port opens, the
 * weather provider behind the cache and breakers, and the person's place, appointments and
 * calendar feed in its own tables.
 */
export function createExternalService(deps: ExternalServiceDeps): GrpcServiceModule & {
  source: WeatherSource;
  reminders: AppointmentReminders | undefined;
  advisoryNotices: AdvisoryNotices | undefined;
  calendarSync: CalendarSync;
  calendarSchedule: CalendarSyncSchedule;
} {
  const schema = deps.schema ?? externalSchema;
  const clock = deps.clock ?? systemClock;
  const settings = deps.settings ?? {};
  const db = deps.database.schema<ExternalTables>(schema);
  const logger = deps.logger.child({ component: 'external' });
  const provider =
    deps.provider ??
    new OpenMeteoProvider({
      weatherBaseUrl: settings.weatherBaseUrl,
      geocodingBaseUrl: settings.geocodingBaseUrl,
      airQualityBaseUrl: settings.airQualityBaseUrl,
      now: () => clock.now().getTime(),
    });
  const source = new WeatherSource({
    ...settings,
    provider,
    cache: deps.cache,
    metrics: deps.metrics,
    logger,
    clock,
  });
  const places = new PlaceStore(db, clock);
  const locator = new Locator(source, places, clock);
  const appointments = new AppointmentStore(db, deps.cipher, deps.ids ?? randomIds, clock);
  const connections = new CalendarConnections(db, deps.cipher, clock);
  const calendarSync = new CalendarSync({ db, appointments, connections, clock, logger });
  const calendarSchedule = new CalendarSyncSchedule({
    sync: calendarSync,
    connections,
    clock,
    logger,
    everyMs: settings.calendarSyncEveryMs,
  });
  const migrate = new TaskService(`${schema}-migrations`, async () => {
    await db.migrate(await loadMigrations(migrationsDir));
    // Notes and passwords sealed before they were bound to their row, before the port opens.
    await bindSealedValues(db, deps.cipher, logger);
  });
  const relay = new OutboxRelay({
    schema,
    connection: deps.database.primaryUrl,
    bus: deps.bus,
    logger: deps.logger,
    metrics: deps.metrics,
  });
  const notification = deps.notification && createClient(NotificationService, deps.notification);
  const reminders =
    notification && new AppointmentReminders({ db, notification, clock, logger, everyMs: deps.reminderEveryMs });
  const advisories = { source, locator, health: createClient(HealthPublicService, deps.health), clock };
  const advisoryNotices =
    notification && new AdvisoryNotices({ db, advisories, notification, clock, logger, everyMs: deps.advisoryEveryMs });
  return {
    name: 'external',
    serviceNames: [ExternalService.typeName],
    source,
    routes: (router) =>
      router.service(ExternalService, {
        ...weatherHandlers({ source, locator, clock }),
        ...placeHandlers({ places, locator }),
        ...advisoryHandlers(advisories),
        ...appointmentHandlers(appointments),
        ...calendarFeedHandlers({ db, appointments, clock }),
        ...calendarSyncHandlers({ db, appointments, connections, sync: calendarSync }),
      }),
    reminders,
    advisoryNotices,
    calendarSync,
    calendarSchedule,
    parts: [
      migrate,
      relay,
      calendarSchedule,
      ...(reminders ? [reminders] : []),
      ...(advisoryNotices ? [advisoryNotices] : []),
    ],
  };
}
