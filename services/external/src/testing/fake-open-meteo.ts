import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

/** A place the fake geocoder knows, with the zone Open-Meteo reports for it. */
export interface FakePlace {
  name: string;
  /** Other names it answers to, e.g. "柏林". */
  aliases?: string[];
  latitude: number;
  longitude: number;
  country: string;
  countryCode: string;
  admin1?: string;
  timezone: string;
}

/** The weather the fake reports at every point, per day index (0 = today). */
export interface FakeDay {
  weatherCode: number;
  maxC: number;
  minC: number;
  precipitationMm: number;
  /** 0–100 */
  precipitationProbability: number;
  windKmh: number;
}

/** Air quality the fake reports at every point. */
export interface FakeAir {
  europeanAqi: number;
  usAqi: number;
  pm2_5: number;
  pm10: number;
  ozone: number;
  nitrogenDioxide: number;
}

/** How one API misbehaves: answer normally, 500, hang past any timeout, or cut its JSON. */
export type FakeFault = 'none' | 'http-500' | 'hang' | 'truncated';
export type FakeApi = 'forecast' | 'geocoding' | 'air-quality';

export const fakePlaces: FakePlace[] = [
  {
    name: 'Berlin',
    aliases: ['柏林'],
    latitude: 52.52437,
    longitude: 13.41053,
    country: 'Germany',
    countryCode: 'DE',
    admin1: 'Land Berlin',
    timezone: 'Europe/Berlin',
  },
  {
    name: 'Beijing',
    aliases: ['北京'],
    latitude: 39.9075,
    longitude: 116.39723,
    country: 'China',
    countryCode: 'CN',
    admin1: 'Beijing',
    timezone: 'Asia/Shanghai',
  },
  {
    name: 'Phoenix',
    latitude: 33.44838,
    longitude: -112.07404,
    country: 'United States',
    countryCode: 'US',
    admin1: 'Arizona',
    timezone: 'America/Phoenix',
  },
];

const defaultDay: FakeDay = {
  weatherCode: 3,
  maxC: 8,
  minC: 2,
  precipitationMm: 0.4,
  precipitationProbability: 35,
  windKmh: 14,
};
const defaultAir: FakeAir = { europeanAqi: 22, usAqi: 30, pm2_5: 6.1, pm10: 11.2, ozone: 48, nitrogenDioxide: 14.5 };

/**
 * A loopback server speaking Open-Meteo's documented HTTP API — `/v1/forecast`, `/v1/search`
 * and `/v1/air-quality` with their real query parameters (`latitude`, `longitude`, `daily`,
 * `hourly`, `current`, `timezone`, `forecast_days`, `name`, `count`, `language`, `format`) and
 * response shapes (`daily` / `daily_units`, `hourly` / `hourly_units`, `current` /
 * `current_units`, `results`, and `{"error": true, "reason"}` on a bad request) — so the
 * service is tested offline against the protocol, not against a mock of our own adapter. Each
 * API can be made to fail (500, hang, truncated JSON) to test the breaker and stale answers.
 */
export class FakeOpenMeteo {
  /** Requests received, by API, for assertions on caching. */
  readonly requests: Record<FakeApi, number> = { forecast: 0, geocoding: 0, 'air-quality': 0 };
  /** The query strings received, newest last. */
  readonly queries: URLSearchParams[] = [];
  readonly faults: Record<FakeApi, FakeFault> = { forecast: 'none', geocoding: 'none', 'air-quality': 'none' };
  /** Day 0 is today in the place's zone; days beyond the list repeat the last one. */
  days: FakeDay[] = [defaultDay];
  /** Hourly precipitation probability by local hour (0–23); the day's value when absent. */
  hourlyRain: Record<number, number> = {};
  air: FakeAir = defaultAir;
  #server: Server | undefined;
  readonly #hanging = new Set<ServerResponse>();

  constructor(private readonly now: () => Date = () => new Date()) {}

  /** `http://127.0.0.1:<port>`, the base URL of all three APIs. */
  url = '';

  async start(): Promise<this> {
    const server = createServer((req, res) => this.#handle(req, res));
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    this.#server = server;
    this.url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    return this;
  }

  async stop(): Promise<void> {
    for (const res of this.#hanging) res.destroy();
    this.#hanging.clear();
    const server = this.#server;
    if (!server) return;
    server.closeAllConnections();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  }

  /** Makes every API answer normally again. */
  heal(): void {
    for (const api of Object.keys(this.faults) as FakeApi[]) this.faults[api] = 'none';
  }

  #handle(req: IncomingMessage, res: ServerResponse): void {
    const url = new URL(req.url ?? '/', 'http://fake');
    const api: FakeApi | undefined =
      url.pathname === '/v1/forecast'
        ? 'forecast'
        : url.pathname === '/v1/search'
          ? 'geocoding'
          : url.pathname === '/v1/air-quality'
            ? 'air-quality'
            : undefined;
    if (req.method !== 'GET' || !api) return send(res, 404, { error: true, reason: 'Not Found' });
    this.requests[api] += 1;
    this.queries.push(url.searchParams);
    const fault = this.faults[api];
    if (fault === 'hang') {
      this.#hanging.add(res);
      res.on('close', () => this.#hanging.delete(res));
      return;
    }
    if (fault === 'http-500') return send(res, 500, { error: true, reason: 'Internal Server Error' });
    let body: { status: number; json: unknown };
    try {
      body =
        api === 'geocoding'
          ? this.#search(url.searchParams)
          : api === 'forecast'
            ? this.#forecast(url.searchParams)
            : this.#airQuality(url.searchParams);
    } catch (error) {
      body = { status: 400, json: { error: true, reason: (error as Error).message } };
    }
    if (fault === 'truncated') {
      const text = JSON.stringify(body.json);
      res.writeHead(200, { 'content-type': 'application/json; charset=utf-8' });
      res.end(text.slice(0, Math.floor(text.length / 2)));
      return;
    }
    send(res, body.status, body.json);
  }

  #search(q: URLSearchParams): { status: number; json: unknown } {
    const name = (q.get('name') ?? '').trim().toLowerCase();
    const count = Number(q.get('count') ?? '10');
    if (q.get('format') !== null && q.get('format') !== 'json')
      throw new Error('Parameter format must be json or protobuf');
    if (name.length < 2) return { status: 200, json: { generationtime_ms: 0.1 } };
    const matches = fakePlaces.filter(
      (p) => p.name.toLowerCase().startsWith(name) || (p.aliases ?? []).some((a) => a.toLowerCase() === name),
    );
    if (matches.length === 0) return { status: 200, json: { generationtime_ms: 0.1 } };
    return {
      status: 200,
      json: {
        results: matches.slice(0, count).map((p, i) => ({
          id: 2950159 + i,
          name: p.name,
          latitude: p.latitude,
          longitude: p.longitude,
          elevation: 74,
          feature_code: 'PPLC',
          country_code: p.countryCode,
          timezone: p.timezone,
          population: 3426354,
          country: p.country,
          admin1: p.admin1,
        })),
        generationtime_ms: 0.6,
      },
    };
  }

  #point(q: URLSearchParams): { latitude: number; longitude: number; timezone: string } {
    const latitude = Number(q.get('latitude'));
    const longitude = Number(q.get('longitude'));
    if (q.get('latitude') === null || !(latitude >= -90 && latitude <= 90)) {
      throw new Error(`Latitude must be in range of -90 to 90°. Given: ${q.get('latitude')}.`);
    }
    if (q.get('longitude') === null || !(longitude >= -180 && longitude <= 180)) {
      throw new Error(`Longitude must be in range of -180 to 180°. Given: ${q.get('longitude')}.`);
    }
    const asked = q.get('timezone') ?? 'GMT';
    const nearest = fakePlaces.find(
      (p) => Math.abs(p.latitude - latitude) < 1 && Math.abs(p.longitude - longitude) < 1,
    );
    const timezone = asked === 'auto' ? (nearest?.timezone ?? 'GMT') : asked;
    return { latitude: Math.round(latitude * 100) / 100, longitude: Math.round(longitude * 100) / 100, timezone };
  }

  #forecast(q: URLSearchParams): { status: number; json: unknown } {
    const point = this.#point(q);
    const days = Number(q.get('forecast_days') ?? '7');
    if (!Number.isInteger(days) || days < 0 || days > 16)
      throw new Error('Forecast days is invalid. Allowed range 0 to 16.');
    const daily = list(q.get('daily'));
    const hourly = list(q.get('hourly'));
    const dates = datesFrom(this.now(), point.timezone, days);
    const dayOf = (i: number) => this.days[Math.min(i, this.days.length - 1)] ?? defaultDay;
    const dailyValues: Record<string, (i: number) => number> = {
      weather_code: (i) => dayOf(i).weatherCode,
      temperature_2m_max: (i) => dayOf(i).maxC,
      temperature_2m_min: (i) => dayOf(i).minC,
      precipitation_sum: (i) => dayOf(i).precipitationMm,
      precipitation_probability_max: (i) => dayOf(i).precipitationProbability,
      wind_speed_10m_max: (i) => dayOf(i).windKmh,
    };
    const units: Record<string, string> = {
      time: 'iso8601',
      weather_code: 'wmo code',
      temperature_2m_max: '°C',
      temperature_2m_min: '°C',
      temperature_2m: '°C',
      precipitation_sum: 'mm',
      precipitation_probability_max: '%',
      precipitation_probability: '%',
      wind_speed_10m_max: 'km/h',
    };
    const hours = dates.flatMap((d) => Array.from({ length: 24 }, (_, h) => `${d}T${String(h).padStart(2, '0')}:00`));
    const hourlyValues: Record<string, (i: number) => number> = {
      temperature_2m: (i) => {
        const day = dayOf(Math.floor(i / 24));
        const h = i % 24;
        return (
          Math.round((day.minC + ((day.maxC - day.minC) * (1 - Math.cos(((h - 3) / 24) * 2 * Math.PI))) / 2) * 10) / 10
        );
      },
      precipitation_probability: (i) => this.hourlyRain[i % 24] ?? dayOf(Math.floor(i / 24)).precipitationProbability,
      weather_code: (i) => dayOf(Math.floor(i / 24)).weatherCode,
    };
    for (const name of [...daily, ...hourly]) {
      if (!(name in units)) throw new Error(`Cannot initialize WeatherVariable from invalid String value ${name}`);
    }
    const json: Record<string, unknown> = {
      ...point,
      generationtime_ms: 0.2,
      utc_offset_seconds: 0,
      timezone_abbreviation: point.timezone,
      elevation: 38,
    };
    if (daily.length > 0) {
      json.daily_units = record(['time', ...daily].map((n): [string, unknown] => [n, units[n]]));
      json.daily = record([
        ['time', dates],
        ...daily.map((n): [string, unknown] => [n, dates.map((_, i) => dailyValues[n]!(i))]),
      ]);
    }
    if (hourly.length > 0) {
      json.hourly_units = record(['time', ...hourly].map((n): [string, unknown] => [n, units[n]]));
      json.hourly = record([
        ['time', hours],
        ...hourly.map((n): [string, unknown] => [n, hours.map((_, i) => hourlyValues[n]!(i))]),
      ]);
    }
    return { status: 200, json };
  }

  #airQuality(q: URLSearchParams): { status: number; json: unknown } {
    const point = this.#point(q);
    const current = list(q.get('current'));
    const hourly = list(q.get('hourly'));
    const air = this.air;
    const values: Record<string, number> = {
      european_aqi: air.europeanAqi,
      us_aqi: air.usAqi,
      pm2_5: air.pm2_5,
      pm10: air.pm10,
      ozone: air.ozone,
      nitrogen_dioxide: air.nitrogenDioxide,
    };
    const units: Record<string, string> = {
      european_aqi: 'EAQI',
      us_aqi: 'USAQI',
      pm2_5: 'μg/m³',
      pm10: 'μg/m³',
      ozone: 'μg/m³',
      nitrogen_dioxide: 'μg/m³',
    };
    for (const name of [...current, ...hourly]) {
      if (!(name in values)) throw new Error(`Cannot initialize AirQualityVariable from invalid String value ${name}`);
    }
    const [today = ''] = datesFrom(this.now(), point.timezone, 1);
    const hours = Array.from({ length: 24 }, (_, h) => `${today}T${String(h).padStart(2, '0')}:00`);
    const nowLocal = localHour(this.now(), point.timezone);
    return {
      status: 200,
      json: {
        ...point,
        generationtime_ms: 0.3,
        utc_offset_seconds: 0,
        timezone_abbreviation: point.timezone,
        current_units: record([
          ['time', 'iso8601'],
          ['interval', 'seconds'],
          ...current.map((n): [string, unknown] => [n, units[n]]),
        ]),
        current: record([
          ['time', nowLocal],
          ['interval', 3600],
          ...current.map((n): [string, unknown] => [n, values[n]]),
        ]),
        hourly_units: record([['time', 'iso8601'], ...hourly.map((n): [string, unknown] => [n, units[n]])]),
        // The afternoon peak is 20 % worse than now, as ozone tends to be.
        hourly: record([
          ['time', hours],
          ...hourly.map((n): [string, unknown] => [
            n,
            hours.map((_, h) => (h >= 13 && h <= 17 ? Math.round(values[n]! * 12) / 10 : values[n]!)),
          ]),
        ]),
      },
    };
  }
}

function send(res: ServerResponse, status: number, json: unknown): void {
  res.writeHead(status, { 'content-type': 'application/json; charset=utf-8' });
  res.end(JSON.stringify(json));
}

function list(value: string | null): string[] {
  return (value ?? '').split(',').filter((v) => v !== '');
}

function datesFrom(now: Date, timeZone: string, days: number): string[] {
  const day = new Intl.DateTimeFormat('en-CA', { timeZone, year: 'numeric', month: '2-digit', day: '2-digit' }).format(
    now,
  );
  const start = Date.parse(`${day}T00:00:00Z`);
  return Array.from({ length: days }, (_, i) => new Date(start + i * 86_400_000).toISOString().slice(0, 10));
}

function localHour(now: Date, timeZone: string): string {
  const parts: Record<string, string> = Object.fromEntries(
    new Intl.DateTimeFormat('en-CA', {
      timeZone,
      hourCycle: 'h23',
      year: 'numeric',
      month: '2-digit',
      day: '2-digit',
      hour: '2-digit',
    })
      .formatToParts(now)
      .map((p): [string, string] => [p.type, p.value]),
  );
  return `${parts.year}-${parts.month}-${parts.day}T${parts.hour}:00`;
}

function record(pairs: Array<[string, unknown]>): Record<string, unknown> {
  return Object.fromEntries(pairs);
}
