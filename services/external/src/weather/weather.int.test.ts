import { Code, ConnectError } from '@connectrpc/connect';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { databaseTargets, invalidArgumentViolations, realInfra } from '@tend/testing';
import { personCaller, startExternalHarness, type ExternalHarness } from '../testing/external-harness.js';

const person = '0b7d6a1e-5f64-4c1a-9d55-3c1f0f9f2b10';
const caller = personCaller(person);

async function codeOf(promise: Promise<unknown>): Promise<{ code: Code; message: string }> {
  try {
    await promise;
  } catch (error) {
    const e = ConnectError.from(error);
    return { code: e.code, message: e.rawMessage };
  }
  throw new Error('expected the call to fail');
}

const redisUrl = realInfra().redisUrl;
const targets = databaseTargets().map((target) => ({
  ...target,
  cache: target.kind === 'real' && redisUrl ? 'redis' : 'memory',
}));

describe.each(targets)('weather on $kind PostgreSQL with the $cache cache', (target) => {
  let h: ExternalHarness;
  beforeAll(async () => {
    h = await startExternalHarness(target, { redisUrl: target.cache === 'redis' ? redisUrl : undefined });
  });
  afterAll(() => h?.stop());

  it("answers today's weather in Berlin from Open-Meteo's forecast API", async () => {
    h.fake.days = [
      { weatherCode: 61, maxC: 7.4, minC: 1.6, precipitationMm: 3.2, precipitationProbability: 80, windKmh: 22 },
    ];
    const { forecast } = await h.client.getWeather({ caller, location: 'Berlin' });
    expect(forecast).toMatchObject({
      location: 'Berlin, Germany',
      timeZone: 'Europe/Berlin',
      weatherCode: 61,
      temperatureMaxC: 7.4,
      temperatureMinC: 1.6,
      precipitationProbability: 0.8,
      stale: false,
    });
    expect(forecast!.summary).toBe('Berlin, Germany: light rain, 2 to 7 °C, 80% chance of precipitation.');
    expect(forecast!.hours).toHaveLength(24);
    const query = h.fake.queries.find((q) => q.has('daily'))!;
    expect(query.get('daily')).toContain('temperature_2m_max');
    expect(query.get('timezone')).toBe('auto');
    expect(query.get('forecast_days')).toBe('7');
  });

  it('serves the same place and hour from the cache without calling the provider again', async () => {
    const before = h.fake.requests.forecast;
    await h.client.getWeather({ caller, location: 'Berlin' });
    await h.client.getWeather({ caller, location: '52.52,13.41' });
    expect(h.fake.requests.forecast).toBe(before);
    const text = await h.metrics.text();
    expect(text).toMatch(/tend_cache_requests_total\{cache="weather",result="hit"\} [1-9]/);
  });

  it('answers in Chinese for a Chinese place name', async () => {
    const { forecast } = await h.client.getWeather({ caller, location: '北京', language: 'zh' });
    expect(forecast!.timeZone).toBe('Asia/Shanghai');
    expect(forecast!.summary).toMatch(/^Beijing，China：.+摄氏度，降水概率\d+%。$/);
  });

  it('stores "I live in Berlin" as a geocoded place and uses it when no place is named', async () => {
    const { place } = await h.client.setPlace({ caller, location: 'Berlin' });
    expect(place).toMatchObject({ name: 'Berlin, Germany', countryCode: 'DE', timeZone: 'Europe/Berlin' });
    expect((await h.client.getPlace({ caller })).place!.name).toBe('Berlin, Germany');
    const { forecast } = await h.client.getWeather({ caller });
    expect(forecast!.location).toBe('Berlin, Germany');
  });

  it('answers a given day of the forecast and refuses one beyond it, naming the field', async () => {
    const { forecast: today } = await h.client.getWeather({ caller, location: 'Berlin' });
    const tomorrow = new Date(Date.parse(`${today!.localDate}T00:00:00Z`) + 86_400_000).toISOString().slice(0, 10);
    const { forecast } = await h.client.getWeather({ caller, location: 'Berlin', localDate: tomorrow });
    expect(forecast!.localDate).toBe(tomorrow);
    const far = await codeOf(h.client.getWeather({ caller, location: 'Berlin', localDate: '2099-01-01' }));
    expect(far.code).toBe(Code.InvalidArgument);
    expect(far.message).toMatch(/^date: the forecast covers/);
  });

  it('holds look-ups to the contract: a place of at most 120 characters, en or zh, 1 to 50 at once', async () => {
    expect(
      await invalidArgumentViolations(h.client.getAirQuality({ caller, location: 'x'.repeat(121), language: 'de' })),
    ).toEqual([
      { field: 'location', message: 'must be at most 120 characters' },
      { field: 'language', message: 'must be in list [, en, zh]' },
    ]);
    expect(await invalidArgumentViolations(h.client.setPlace({ caller, location: '' }))).toEqual([
      { field: 'location', message: 'must be at least 1 characters' },
    ]);
    expect(await invalidArgumentViolations(h.client.batchGetWeather({ requests: [] }))).toEqual([
      { field: 'requests', message: 'must contain at least 1 item(s)' },
    ]);
    const many = Array.from({ length: 51 }, () => ({ caller, location: 'Berlin' }));
    expect(await invalidArgumentViolations(h.client.batchGetWeather({ requests: many }))).toEqual([
      { field: 'requests', message: 'must contain no more than 50 item(s)' },
    ]);
    expect(
      await invalidArgumentViolations(
        h.client.batchGetWeather({
          requests: [
            { caller, location: 'Berlin' },
            { caller, language: 'fr' },
          ],
        }),
      ),
    ).toEqual([{ field: 'requests[1].language', message: 'must be in list [, en, zh]' }]);
  });

  it('refuses an unknown city and invalid coordinates and stores nothing', async () => {
    const other = personCaller('1c2d3e4f-0000-4000-8000-000000000001');
    const unknown = await codeOf(h.client.setPlace({ caller: other, location: 'Atlantisville' }));
    expect(unknown).toEqual({
      code: Code.InvalidArgument,
      message: 'location: no place called "Atlantisville" was found',
    });
    const bad = await codeOf(h.client.getWeather({ caller, location: '123.4,13.4' }));
    expect(bad).toEqual({ code: Code.InvalidArgument, message: 'location: latitude must be between -90 and 90' });
    expect((await codeOf(h.client.getPlace({ caller: other }))).code).toBe(Code.NotFound);
    const noPlace = await codeOf(h.client.getWeather({ caller: other }));
    expect(noPlace.code).toBe(Code.InvalidArgument);
  });

  it('answers each look-up of a batch on its own', async () => {
    const { results } = await h.client.batchGetWeather({
      requests: [
        { caller, location: 'Berlin' },
        { caller, location: 'Atlantisville' },
      ],
    });
    expect(results.map((r) => r.result.case)).toEqual(['forecast', 'error']);
    expect(results[1]!.result.value).toContain('no place called');
  });
});

describe('weather when the provider fails', () => {
  let h: ExternalHarness;
  let now = new Date('2026-07-01T10:05:00Z');
  beforeAll(async () => {
    h = await startExternalHarness({ kind: 'embedded' }, { clock: { now: () => now } });
  });
  afterAll(() => h?.stop());

  it('serves the last known forecast marked stale with its age on 500, timeout and truncated JSON', async () => {
    const { forecast: fresh } = await h.client.getWeather({ caller, location: 'Berlin' });
    expect(fresh!.stale).toBe(false);
    for (const [i, fault] of (['http-500', 'hang', 'truncated'] as const).entries()) {
      // A later hour: the hour's cache entry misses and the provider is asked.
      now = new Date(Date.parse('2026-07-01T10:05:00Z') + (i + 2) * 3_600_000);
      h.fake.faults.forecast = fault;
      const { forecast } = await h.client.getWeather({ caller, location: 'Berlin' });
      expect(forecast).toMatchObject({ stale: true, staleAgeSeconds: BigInt((i + 2) * 3600), temperatureMaxC: 8 });
    }
  });

  it('says it cannot reach the weather service when nothing is cached', async () => {
    h.fake.faults.forecast = 'http-500';
    const none = await codeOf(h.client.getWeather({ caller, location: 'Phoenix' }));
    expect(none).toEqual({ code: Code.Unavailable, message: "I can't reach the weather service right now" });
  });

  it('opens the breaker after five failures, stops calling the provider, and shows it in the metrics', async () => {
    expect(h.source.policies.forecast.breakerState()).toBe('open');
    const calls = h.fake.requests.forecast;
    await h.client.getWeather({ caller, location: 'Berlin' });
    expect(h.fake.requests.forecast).toBe(calls);
    const text = await h.metrics.text();
    expect(text).toContain('tend_circuit_breaker_state{breaker="open-meteo-forecast"} 2');
    expect(text).toMatch(/tend_external_answers_total\{api="forecast",freshness="stale"\} [1-9]/);
    expect(text).toMatch(/tend_circuit_breaker_transitions_total\{breaker="open-meteo-forecast",state="open"\} 1/);
  });
});
