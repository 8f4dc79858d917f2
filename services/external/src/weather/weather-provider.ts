/**
 * What Tend needs from a weather provider, in its own terms, so another provider (or a
 * self-hosted Open-Meteo) can stand in without touching the service. Every method is an
 * idempotent read: the caller may retry it.
 */
export interface WeatherProvider {
  /** A name for metrics and logs, e.g. `open-meteo`. */
  readonly name: string;
  /** Up to seven days of daily and hourly forecast at a point, in the point's local time. */
  forecast(at: Coordinates, signal: AbortSignal): Promise<ProviderForecast>;
  /** Places matching a name, best first; empty when none matches. */
  geocode(name: string, language: string, signal: AbortSignal): Promise<GeocodedPlace[]>;
  /** Current air quality and today's hours at a point. */
  airQuality(at: Coordinates, signal: AbortSignal): Promise<ProviderAirQuality>;
}

/** A point on Earth in decimal degrees (WGS 84). */
export interface Coordinates {
  latitude: number;
  longitude: number;
}

/** One day of a forecast, local to the place. */
export interface ForecastDay {
  /** `YYYY-MM-DD`. */
  date: string;
  weatherCode: number;
  temperatureMaxC: number;
  temperatureMinC: number;
  precipitationSumMm: number;
  /** 0–100 as the provider gives it. */
  precipitationProbabilityMax: number;
  windSpeedMaxKmh: number;
}

/** One hour of a forecast, local to the place. */
export interface ForecastHour {
  /** `YYYY-MM-DDTHH:MM`, local. */
  time: string;
  temperatureC: number;
  /** 0–100. */
  precipitationProbability: number;
  weatherCode: number;
}

/** A forecast as the provider answered it, with when it was fetched. */
export interface ProviderForecast {
  latitude: number;
  longitude: number;
  /** IANA zone the days and hours are in. */
  timeZone: string;
  days: ForecastDay[];
  hours: ForecastHour[];
  /** Epoch ms when Tend received it. */
  fetchedAtMs: number;
}

/** A named place from geocoding. */
export interface GeocodedPlace {
  name: string;
  latitude: number;
  longitude: number;
  countryCode: string;
  country: string;
  /** First-level region, e.g. "Bavaria"; may be empty. */
  region: string;
  timeZone: string;
}

/** One hour of air quality. */
export interface AirQualityReading {
  /** `YYYY-MM-DDTHH:MM`, local. */
  time: string;
  europeanAqi: number;
  usAqi: number;
  /** µg/m³ */
  pm2_5: number;
  pm10: number;
  ozone: number;
  nitrogenDioxide: number;
}

/** Current air quality and the hours of today, local to the place. */
export interface ProviderAirQuality {
  timeZone: string;
  current: AirQualityReading;
  hours: AirQualityReading[];
  fetchedAtMs: number;
}

/**
 * The provider answered, but not with something usable: an HTTP error status, a body that is
 * not the documented JSON (truncated, garbage) or a refusal. Counts as a failure for the
 * breaker; `status` is the HTTP status when there was one.
 */
export class ProviderError extends Error {
  override name = 'ProviderError';
  constructor(
    readonly provider: string,
    readonly api: string,
    message: string,
    readonly status?: number,
    opts?: ErrorOptions,
  ) {
    super(`${provider} ${api}: ${message}`, opts);
  }
}
