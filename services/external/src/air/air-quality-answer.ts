import { create } from '@bufbuild/protobuf';
import { timestampFromDate } from '@bufbuild/protobuf/wkt';
import { AirQualitySchema, type AirQuality } from '@tend/proto/tend/external/v1/external';
import { instantOfLocal } from '../local-dates.js';
import type { ProviderAirQuality } from '../weather/weather-provider.js';
import type { Sourced } from '../weather/weather-source.js';

/**
 * The European Environment Agency's bands of the European AQI (upper bounds, exclusive), as
 * Open-Meteo documents them: 0–20 good, 20–40 fair, 40–60 moderate, 60–80 poor, 80–100 very
 * poor, above 100 extremely poor.
 */
const eaqiBands: ReadonlyArray<[upTo: number, category: string]> = [
  [20, 'good'],
  [40, 'fair'],
  [60, 'moderate'],
  [80, 'poor'],
  [100, 'very poor'],
];

/** The EEA category of a European AQI value. */
export function eaqiCategory(eaqi: number): string {
  for (const [upTo, category] of eaqiBands) if (eaqi < upTo) return category;
  return 'extremely poor';
}

const categoryZh: Record<string, string> = {
  good: '优',
  fair: '良',
  moderate: '中等',
  poor: '较差',
  'very poor': '很差',
  'extremely poor': '极差',
};

/** The category in the person's language. */
export function categoryIn(category: string, language: 'en' | 'zh'): string {
  return language === 'zh' ? (categoryZh[category] ?? category) : category;
}

/**
 * Air quality as the contract answers it: now, and the worst hour of the rest of today (an
 * ozone peak in the afternoon matters to someone with asthma planning a walk).
 */
export function airQualityAnswer(sourced: Sourced<ProviderAirQuality>, place: { name: string }): AirQuality {
  const { value } = sourced;
  const rest = value.hours.filter((h) => h.time >= value.current.time);
  const hours = rest.length > 0 ? rest : [value.current];
  const observed = instantOfLocal(value.current.time, value.timeZone) ?? new Date(value.fetchedAtMs);
  return create(AirQualitySchema, {
    location: place.name,
    observedAt: timestampFromDate(observed),
    europeanAqi: value.current.europeanAqi,
    usAqi: value.current.usAqi,
    pm25: value.current.pm2_5,
    pm10: value.current.pm10,
    ozone: value.current.ozone,
    nitrogenDioxide: value.current.nitrogenDioxide,
    maxEuropeanAqiToday: Math.max(...hours.map((h) => h.europeanAqi)),
    maxUsAqiToday: Math.max(...hours.map((h) => h.usAqi)),
    category: eaqiCategory(value.current.europeanAqi),
    stale: sourced.stale,
    staleAgeSeconds: sourced.stale ? BigInt(Math.round(sourced.ageMs / 1000)) : 0n,
    timeZone: value.timeZone,
  });
}
