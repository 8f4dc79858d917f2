import { Code, ConnectError } from '@connectrpc/connect';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { insertTestUser, personCaller as healthPerson } from '@tend/health/testing';
import { AdvisoryKind, AdvisoryLevel } from '@tend/proto/tend/external/v1/external';
import { databaseTargets } from '@tend/testing';
import { personCaller, startExternalHarness, type ExternalHarness } from '../testing/external-harness.js';

describe.each(databaseTargets())('air quality and health advisories on $kind PostgreSQL', (target) => {
  let h: ExternalHarness;
  let asthmatic: string;
  let healthy: string;
  let now = new Date();
  beforeAll(async () => {
    h = await startExternalHarness(target, { clock: { now: () => now } });
    asthmatic = await insertTestUser(h.health.context, { timeZone: 'Europe/Berlin' });
    healthy = await insertTestUser(h.health.context, { timeZone: 'Europe/Berlin' });
    await h.health.client.updateUser({
      caller: healthPerson(asthmatic),
      profile: { conditions: { values: ['asthma', 'high blood pressure'] } },
    });
    await h.health.client.createMedication({
      caller: healthPerson(asthmatic),
      name: 'Furosemide',
      dose: 40,
      doseUnit: 'mg',
      schedule: { times: ['08:00'] },
    });
    for (const id of [asthmatic, healthy]) await h.client.setPlace({ caller: personCaller(id), location: 'Berlin' });
  });
  afterAll(() => h?.stop());

  it("answers the air now and today's worst hour with the EEA category", async () => {
    // Moderate all day (the answer is cached for the tests below): even the fake's afternoon peak,
    // 20 % worse, stays under US AQI 101, where everyone is warned, whatever the hour this runs.
    h.fake.air = { europeanAqi: 45, usAqi: 80, pm2_5: 21, pm10: 30, ozone: 120, nitrogenDioxide: 20 };
    const { airQuality } = await h.client.getAirQuality({ caller: personCaller(asthmatic) });
    expect(airQuality).toMatchObject({ location: 'Berlin, Germany', europeanAqi: 45, usAqi: 80, pm25: 21 });
    expect(airQuality!.category).toBe('moderate');
    expect(airQuality!.maxUsAqiToday).toBeGreaterThanOrEqual(80);
  });

  it('warns a person with asthma about moderate air that a healthy person is not warned about', async () => {
    h.fake.days = [{ weatherCode: 1, maxC: 20, minC: 10, precipitationMm: 0, precipitationProbability: 0, windKmh: 5 }];
    const mine = await h.client.getHealthAdvisories({ caller: personCaller(asthmatic) });
    const air = mine.advisories.find((a) => a.kind === AdvisoryKind.AIR_QUALITY);
    expect(air).toBeDefined();
    expect(air!.reasons).toEqual(['respiratory-air']);
    expect(air!.message).toMatch(/With asthma or COPD, limit strenuous activity outdoors/);
    const theirs = await h.client.getHealthAdvisories({ caller: personCaller(healthy) });
    expect(theirs.advisories).toEqual([]);
  });

  it('weighs a heat warning by a diuretic and a heart condition, in Chinese too', async () => {
    h.fake.days = [{ weatherCode: 0, maxC: 31, minC: 19, precipitationMm: 0, precipitationProbability: 0, windKmh: 5 }];
    // An hour later the cached forecast's hour has passed and the new weather is fetched.
    now = new Date(now.getTime() + 3_600_000);
    const at = await h.client.getHealthAdvisories({ caller: personCaller(asthmatic), language: 'zh' });
    const heat = at.advisories.filter((a) => a.kind === AdvisoryKind.HEAT);
    expect(heat[0]!.level).toBe(AdvisoryLevel.WARNING);
    expect(heat[0]!.reasons).toEqual(expect.arrayContaining(['diuretic-heat', 'heart-kidney-heat']));
    expect(heat[0]!.message).toMatch(/^高温：最高31摄氏度。您有利尿剂/);
  });

  it("refuses another person's advisories and a malformed day", async () => {
    const other = await h.client
      .getHealthAdvisories({ caller: personCaller(healthy), userId: asthmatic })
      .catch((e: unknown) => ConnectError.from(e));
    expect((other as ConnectError).code).toBe(Code.PermissionDenied);
    const bad = await h.client
      .getHealthAdvisories({ caller: personCaller(healthy), localDate: '31/12/2026' })
      .catch((e: unknown) => ConnectError.from(e));
    expect((bad as ConnectError).rawMessage).toBe('local_date: must be a day as YYYY-MM-DD');
  });
});
