import { Code, ConnectError, type Client } from '@connectrpc/connect';
import {
  AirQualitySchema,
  GetWeatherRequestSchema,
  HealthAdvisorySchema,
  PlaceSchema,
  SetPlaceRequestSchema,
  WeatherForecastSchema,
  type ExternalService,
} from '@tend/proto/tend/external/v1/external';
import type { FastifyInstance } from 'fastify';
import { z } from 'zod';
import { toApiJson } from '../http/api-json.js';
import { contractText } from '../http/contract-fields.js';
import { sendProblem } from '../http/problems.js';
import { apiObject, callerOfRequest, zodRoutes } from './route-kit.js';

const language = z.enum(['en', 'zh']).optional();
// The place's length is the contract's (external.proto); a blank one is left out instead.
const location = contractText(GetWeatherRequestSchema.field.location, { trim: true, min: 1 }).optional();
const weatherQuery = z.strictObject({
  location: location.describe('A place name or "latitude,longitude"; your stored place when absent'),
  date: z.iso.date().optional().describe('The day, YYYY-MM-DD; today when absent'),
  language,
});
const airQuery = z.strictObject({ location, language });
const advisoryQuery = z.strictObject({ date: z.iso.date().optional(), language });
const placeBody = z.strictObject({
  location: contractText(SetPlaceRequestSchema.field.location, { trim: true }).describe(
    'A place name ("Berlin") or "latitude,longitude"',
  ),
  language,
});

/**
 * The provider being down with nothing cached is a 503 that says so in the service's words ("I
 * can't reach the weather service right now"), not the generic one: it names a third party, not
 * a part of Tend, and the client can show it as it is.
 */
function providerDown(error: unknown): string | undefined {
  return error instanceof ConnectError && error.code === Code.Unavailable && /^I can't reach/.test(error.rawMessage)
    ? error.rawMessage
    : undefined;
}

/** `/api/v1/weather`, `/air-quality`, `/advisories` and `/me/place`, from the external service. */
export function registerWeatherRoutes(app: FastifyInstance, external: Client<typeof ExternalService>): void {
  const api = zodRoutes(app);
  const tags = ['weather'];
  api.get(
    '/api/v1/weather',
    {
      config: { upstreamFields: { localDate: 'date' } },
      schema: {
        tags,
        summary: "A day's forecast at a place or yours (stale: true with its age when the provider is down)",
        querystring: weatherQuery,
        response: { 200: apiObject },
      },
    },
    async (request, reply) => {
      const { query } = request;
      try {
        const { forecast } = await external.getWeather({
          caller: callerOfRequest(request),
          location: query.location ?? '',
          localDate: query.date ?? '',
          language: query.language ?? '',
        });
        return toApiJson(WeatherForecastSchema, forecast!);
      } catch (error) {
        const down = providerDown(error);
        if (down) return sendProblem(request, reply, 503, down);
        throw error;
      }
    },
  );
  api.get(
    '/api/v1/air-quality',
    {
      schema: {
        tags,
        summary: 'Air quality now and at its worst today (European and US AQI, PM2.5, ozone)',
        querystring: airQuery,
        response: { 200: apiObject },
      },
    },
    async (request, reply) => {
      const { query } = request;
      try {
        const { airQuality } = await external.getAirQuality({
          caller: callerOfRequest(request),
          location: query.location ?? '',
          language: query.language ?? '',
        });
        return toApiJson(AirQualitySchema, airQuality!);
      } catch (error) {
        const down = providerDown(error);
        if (down) return sendProblem(request, reply, 503, down);
        throw error;
      }
    },
  );
  api.get(
    '/api/v1/advisories',
    {
      config: { upstreamFields: { localDate: 'date' } },
      schema: {
        tags,
        summary: 'Heat, cold and air-quality advice for your place, weighted by your conditions and medications',
        querystring: advisoryQuery,
        response: { 200: apiObject },
      },
    },
    async (request) => {
      const { query } = request;
      const { advisories, stale } = await external.getHealthAdvisories({
        caller: callerOfRequest(request),
        localDate: query.date ?? '',
        language: query.language ?? '',
      });
      return { items: advisories.map((a) => toApiJson(HealthAdvisorySchema, a)), stale };
    },
  );
  api.put(
    '/api/v1/me/place',
    {
      schema: {
        tags,
        summary: 'Set where you live (geocoded); weather and advice use it',
        body: placeBody,
        response: { 200: apiObject },
      },
    },
    async (request) => {
      const { place } = await external.setPlace({
        caller: callerOfRequest(request),
        location: request.body.location,
        language: request.body.language ?? '',
      });
      return toApiJson(PlaceSchema, place!);
    },
  );
  api.get(
    '/api/v1/me/place',
    { schema: { tags, summary: 'Where you live, as stored', response: { 200: apiObject } } },
    async (request) => {
      const { place } = await external.getPlace({ caller: callerOfRequest(request) });
      return toApiJson(PlaceSchema, place!);
    },
  );
}
