import { create } from '@bufbuild/protobuf';
import { timestampDate } from '@bufbuild/protobuf/wkt';
import type { ServiceImpl } from '@connectrpc/connect';
import type { Clock } from '@tend/core';
import {
  BatchGetWeatherResultSchema,
  type ExternalService,
  type GetWeatherRequest,
  type WeatherForecast,
} from '@tend/proto/tend/external/v1/external';
import { requireCaller, subjectOf } from '../access.js';
import { localDateOf } from '../local-dates.js';
import { languageOf, type Locator } from '../places/locator.js';
import { checkLocalDate, forecastAnswer } from './forecast-answer.js';
import type { WeatherSource } from './weather-source.js';

/** What the weather methods need. */
export interface WeatherDeps {
  source: WeatherSource;
  locator: Locator;
  clock: Clock;
}

/**
 * One forecast: the place named (or the person's stored place), the day asked for (or today in
 * the place's zone), from the provider through the cache, stale when the provider is down.
 */
export async function weatherFor(deps: WeatherDeps, req: GetWeatherRequest): Promise<WeatherForecast> {
  const language = languageOf(req.language);
  checkLocalDate('local_date', req.localDate);
  const named = req.location.trim() !== '';
  requireCaller(req.caller);
  const userId = named ? undefined : subjectOf(req.caller, req.userId);
  const place = await deps.locator.resolve('location', req.location, userId, language);
  const sourced = await deps.source.forecast(place);
  const zone = sourced.value.timeZone;
  const localDate =
    req.localDate !== '' ? req.localDate : localDateOf(req.date ? timestampDate(req.date) : deps.clock.now(), zone);
  return forecastAnswer(sourced, place, localDate, language);
}

/** GetWeather and BatchGetWeather. */
export function weatherHandlers(
  deps: WeatherDeps,
): Pick<ServiceImpl<typeof ExternalService>, 'getWeather' | 'batchGetWeather'> {
  return {
    async getWeather(req) {
      return { forecast: await weatherFor(deps, req) };
    },
    async batchGetWeather(req) {
      const results = await Promise.all(
        req.requests.map(async (one) => {
          try {
            const forecast = await weatherFor(deps, one);
            return create(BatchGetWeatherResultSchema, { result: { case: 'forecast', value: forecast } });
          } catch (error) {
            const message = error instanceof Error ? error.message : String(error);
            return create(BatchGetWeatherResultSchema, { result: { case: 'error', value: message } });
          }
        }),
      );
      return { results };
    },
  };
}
