import { create } from '@bufbuild/protobuf';
import { timestampFromDate } from '@bufbuild/protobuf/wkt';
import { ValidationError } from '@tend/core';
import { WeatherForecastSchema, WeatherHourSchema, type WeatherForecast } from '@tend/proto/tend/external/v1/external';
import { describeWeatherCode } from './weather-codes.js';
import type { ProviderForecast } from './weather-provider.js';
import type { Sourced } from './weather-source.js';

const datePattern = /^\d{4}-\d{2}-\d{2}$/;

/** Checks a `local_date` field: empty, or a `YYYY-MM-DD` day. */
export function checkLocalDate(field: string, value: string): void {
  if (value !== '' && (!datePattern.test(value) || Number.isNaN(Date.parse(`${value}T00:00:00Z`)))) {
    throw ValidationError.field(field, 'must be a day as YYYY-MM-DD');
  }
}

/**
 * One day of a forecast as the contract answers it: the day's figures, its hours and a one-line
 * summary in the person's language. A day outside the forecast's range is a `ValidationError`
 * naming the range, since no provider can answer it.
 */
export function forecastAnswer(
  sourced: Sourced<ProviderForecast>,
  place: { name: string },
  localDate: string,
  language: 'en' | 'zh',
): WeatherForecast {
  const { value: forecast } = sourced;
  const day = forecast.days.find((d) => d.date === localDate);
  if (!day) {
    const first = forecast.days[0]?.date ?? '';
    const last = forecast.days.at(-1)?.date ?? '';
    throw ValidationError.field('date', `the forecast covers ${first} to ${last} (${forecast.timeZone})`);
  }
  const hours = forecast.hours.filter((h) => h.time.startsWith(`${localDate}T`));
  const probability = day.precipitationProbabilityMax / 100;
  return create(WeatherForecastSchema, {
    location: place.name,
    date: timestampFromDate(new Date(`${localDate}T00:00:00Z`)),
    localDate,
    timeZone: forecast.timeZone,
    latitude: forecast.latitude,
    longitude: forecast.longitude,
    summary: summaryOf(place.name, day, language),
    weatherCode: day.weatherCode,
    temperatureMinC: day.temperatureMinC,
    temperatureMaxC: day.temperatureMaxC,
    precipitationProbability: probability,
    precipitationSumMm: day.precipitationSumMm,
    windSpeedMaxKmh: day.windSpeedMaxKmh,
    hours: hours.map((h) =>
      create(WeatherHourSchema, {
        localTime: h.time.slice(11, 16),
        temperatureC: h.temperatureC,
        precipitationProbability: h.precipitationProbability / 100,
        weatherCode: h.weatherCode,
      }),
    ),
    stale: sourced.stale,
    staleAgeSeconds: sourced.stale ? BigInt(Math.round(sourced.ageMs / 1000)) : 0n,
    fetchedAt: timestampFromDate(new Date(forecast.fetchedAtMs)),
  });
}

function summaryOf(place: string, day: ProviderForecast['days'][number], language: 'en' | 'zh'): string {
  const sky = describeWeatherCode(day.weatherCode, language);
  const min = Math.round(day.temperatureMinC);
  const max = Math.round(day.temperatureMaxC);
  const rain = Math.round(day.precipitationProbabilityMax);
  if (language === 'zh') return `${place}：${sky}，${min}到${max}摄氏度，降水概率${rain}%。`;
  return `${place}: ${sky}, ${min} to ${max} °C, ${rain}% chance of precipitation.`;
}
