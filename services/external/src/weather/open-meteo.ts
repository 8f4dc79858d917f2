import { z } from 'zod';
import {
  ProviderError,
  type AirQualityReading,
  type Coordinates,
  type GeocodedPlace,
  type ProviderAirQuality,
  type ProviderForecast,
  type WeatherProvider,
} from './weather-provider.js';

/** Where each Open-Meteo API lives: scheme and host, Tend appends the API's path. */
export interface OpenMeteoOptions {
  /** `WEATHER_BASE_URL`; `/v1/forecast` is appended. @default 'https://api.open-meteo.com' */
  weatherBaseUrl?: string;
  /** `GEOCODING_BASE_URL`; `/v1/search` is appended. @default 'https://geocoding-api.open-meteo.com' */
  geocodingBaseUrl?: string;
  /** `AIR_QUALITY_BASE_URL`; `/v1/air-quality` is appended. @default 'https://air-quality-api.open-meteo.com' */
  airQualityBaseUrl?: string;
  /** Days of forecast asked for (Open-Meteo allows up to 16). @default 7 */
  forecastDays?: number;
  /** @default globalThis.fetch */
  fetch?: typeof fetch;
  /** @default Date.now */
  now?: () => number;
}

/** The public hosts, used when no base URL is configured. */
export const openMeteoDefaults = {
  weatherBaseUrl: 'https://api.open-meteo.com',
  geocodingBaseUrl: 'https://geocoding-api.open-meteo.com',
  airQualityBaseUrl: 'https://air-quality-api.open-meteo.com',
} as const;

/** The daily and hourly variables Tend asks for, by their Open-Meteo names. */
export const forecastDailyVariables = [
  'weather_code',
  'temperature_2m_max',
  'temperature_2m_min',
  'precipitation_sum',
  'precipitation_probability_max',
  'wind_speed_10m_max',
] as const;
export const forecastHourlyVariables = ['temperature_2m', 'precipitation_probability', 'weather_code'] as const;
export const airQualityVariables = ['european_aqi', 'us_aqi', 'pm2_5', 'pm10', 'ozone', 'nitrogen_dioxide'] as const;

// Open-Meteo gives null for a value a model does not have at that step.
const values = z.array(z.number().nullable());
const forecastBody = z.object({
  latitude: z.number(),
  longitude: z.number(),
  timezone: z.string(),
  daily: z.object({
    time: z.array(z.string()),
    weather_code: values,
    temperature_2m_max: values,
    temperature_2m_min: values,
    precipitation_sum: values,
    precipitation_probability_max: values,
    wind_speed_10m_max: values,
  }),
  hourly: z.object({
    time: z.array(z.string()),
    temperature_2m: values,
    precipitation_probability: values,
    weather_code: values,
  }),
});
const geocodingBody = z.object({
  // Absent when nothing matches.
  results: z
    .array(
      z.object({
        name: z.string(),
        latitude: z.number(),
        longitude: z.number(),
        country_code: z.string().optional(),
        country: z.string().optional(),
        admin1: z.string().optional(),
        timezone: z.string().optional(),
      }),
    )
    .optional(),
});
const airNumber = z.number().nullable().optional();
const airQualityBody = z.object({
  timezone: z.string(),
  current: z.object({
    time: z.string(),
    european_aqi: airNumber,
    us_aqi: airNumber,
    pm2_5: airNumber,
    pm10: airNumber,
    ozone: airNumber,
    nitrogen_dioxide: airNumber,
  }),
  hourly: z.object({
    time: z.array(z.string()),
    european_aqi: values,
    us_aqi: values,
    pm2_5: values,
    pm10: values,
    ozone: values,
    nitrogen_dioxide: values,
  }),
});

/**
 * Open-Meteo's forecast, geocoding and air-quality APIs: free, keyless, documented at
 * open-meteo.com/en/docs. Each call is one GET; a non-2xx status or a body that is not the
 * documented JSON is a `ProviderError`, so the caller's breaker counts it.
 */
export class OpenMeteoProvider implements WeatherProvider {
  readonly name = 'open-meteo';
  readonly #options: Required<Omit<OpenMeteoOptions, 'fetch' | 'now'>>;
  readonly #fetch: typeof fetch;
  readonly #now: () => number;

  constructor(options: OpenMeteoOptions = {}) {
    this.#options = {
      weatherBaseUrl: trimSlash(options.weatherBaseUrl ?? openMeteoDefaults.weatherBaseUrl),
      geocodingBaseUrl: trimSlash(options.geocodingBaseUrl ?? openMeteoDefaults.geocodingBaseUrl),
      airQualityBaseUrl: trimSlash(options.airQualityBaseUrl ?? openMeteoDefaults.airQualityBaseUrl),
      forecastDays: options.forecastDays ?? 7,
    };
    this.#fetch = options.fetch ?? globalThis.fetch;
    this.#now = options.now ?? Date.now;
  }

  async forecast(at: Coordinates, signal: AbortSignal): Promise<ProviderForecast> {
    const url = new URL(`${this.#options.weatherBaseUrl}/v1/forecast`);
    url.search = new URLSearchParams({
      latitude: String(at.latitude),
      longitude: String(at.longitude),
      daily: forecastDailyVariables.join(','),
      hourly: forecastHourlyVariables.join(','),
      timezone: 'auto',
      forecast_days: String(this.#options.forecastDays),
    }).toString();
    const body = await this.#get('forecast', url, forecastBody, signal);
    const d = body.daily;
    const h = body.hourly;
    return {
      latitude: body.latitude,
      longitude: body.longitude,
      timeZone: body.timezone,
      days: d.time.map((date, i) => ({
        date,
        weatherCode: d.weather_code[i] ?? 0,
        temperatureMaxC: d.temperature_2m_max[i] ?? 0,
        temperatureMinC: d.temperature_2m_min[i] ?? 0,
        precipitationSumMm: d.precipitation_sum[i] ?? 0,
        precipitationProbabilityMax: d.precipitation_probability_max[i] ?? 0,
        windSpeedMaxKmh: d.wind_speed_10m_max[i] ?? 0,
      })),
      hours: h.time.map((time, i) => ({
        time,
        temperatureC: h.temperature_2m[i] ?? 0,
        precipitationProbability: h.precipitation_probability[i] ?? 0,
        weatherCode: h.weather_code[i] ?? 0,
      })),
      fetchedAtMs: this.#now(),
    };
  }

  async geocode(name: string, language: string, signal: AbortSignal): Promise<GeocodedPlace[]> {
    const url = new URL(`${this.#options.geocodingBaseUrl}/v1/search`);
    url.search = new URLSearchParams({ name, count: '5', language, format: 'json' }).toString();
    const body = await this.#get('geocoding', url, geocodingBody, signal);
    return (body.results ?? []).map((r) => ({
      name: r.name,
      latitude: r.latitude,
      longitude: r.longitude,
      countryCode: r.country_code ?? '',
      country: r.country ?? '',
      region: r.admin1 ?? '',
      timeZone: r.timezone ?? '',
    }));
  }

  async airQuality(at: Coordinates, signal: AbortSignal): Promise<ProviderAirQuality> {
    const url = new URL(`${this.#options.airQualityBaseUrl}/v1/air-quality`);
    const variables = airQualityVariables.join(',');
    url.search = new URLSearchParams({
      latitude: String(at.latitude),
      longitude: String(at.longitude),
      current: variables,
      hourly: variables,
      timezone: 'auto',
      forecast_days: '1',
    }).toString();
    const body = await this.#get('air-quality', url, airQualityBody, signal);
    const h = body.hourly;
    const c = body.current;
    return {
      timeZone: body.timezone,
      current: {
        time: c.time,
        europeanAqi: c.european_aqi ?? 0,
        usAqi: c.us_aqi ?? 0,
        pm2_5: c.pm2_5 ?? 0,
        pm10: c.pm10 ?? 0,
        ozone: c.ozone ?? 0,
        nitrogenDioxide: c.nitrogen_dioxide ?? 0,
      },
      hours: h.time.map((time, i): AirQualityReading => ({
        time,
        europeanAqi: h.european_aqi[i] ?? 0,
        usAqi: h.us_aqi[i] ?? 0,
        pm2_5: h.pm2_5[i] ?? 0,
        pm10: h.pm10[i] ?? 0,
        ozone: h.ozone[i] ?? 0,
        nitrogenDioxide: h.nitrogen_dioxide[i] ?? 0,
      })),
      fetchedAtMs: this.#now(),
    };
  }

  async #get<T>(api: string, url: URL, schema: z.ZodType<T>, signal: AbortSignal): Promise<T> {
    const response = await this.#fetch(url, { signal, headers: { accept: 'application/json' } });
    const text = await response.text();
    if (!response.ok) {
      // Open-Meteo explains a 400 as {"error": true, "reason": "..."}.
      const reason = reasonOf(text);
      throw new ProviderError(this.name, api, `HTTP ${response.status}${reason ? `: ${reason}` : ''}`, response.status);
    }
    let json: unknown;
    try {
      json = JSON.parse(text);
    } catch (error) {
      throw new ProviderError(this.name, api, 'the answer is not JSON (truncated?)', response.status, { cause: error });
    }
    const parsed = schema.safeParse(json);
    if (!parsed.success) {
      throw new ProviderError(this.name, api, `unexpected answer: ${parsed.error.issues[0]?.message ?? ''}`);
    }
    return parsed.data;
  }
}

function reasonOf(text: string): string | undefined {
  try {
    const body = JSON.parse(text) as { reason?: unknown };
    return typeof body.reason === 'string' ? body.reason.slice(0, 200) : undefined;
  } catch {
    return undefined;
  }
}

function trimSlash(url: string): string {
  return url.replace(/\/+$/, '');
}
