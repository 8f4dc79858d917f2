import { create } from '@bufbuild/protobuf';
import type { Client, ServiceImpl } from '@connectrpc/connect';
import { Role, type Caller } from '@tend/proto/tend/common/v1/common';
import {
  AdvisoryKind,
  AdvisoryLevel,
  HealthAdvisorySchema,
  type ExternalService,
  type HealthAdvisory,
} from '@tend/proto/tend/external/v1/external';
import type { HealthPublicService } from '@tend/proto/tend/health/v1/health_public_service';
import { CallerSchema } from '@tend/proto/tend/common/v1/common';
import { requireCaller, subjectOf } from '../access.js';
import { airQualityAnswer, categoryIn } from '../air/air-quality-answer.js';
import { localDateOf } from '../local-dates.js';
import { languageOf, type Locator } from '../places/locator.js';
import { checkLocalDate } from '../weather/forecast-answer.js';
import type { WeatherSource } from '../weather/weather-source.js';
import {
  levelOf,
  matchingRules,
  severityOf,
  type AdvisoryKindName,
  type AdvisoryLevelName,
  type RiskProfile,
} from './advisory-rules.js';

/** What air quality and advisories need. */
export interface AdvisoryDeps {
  source: WeatherSource;
  locator: Locator;
  /** Conditions and medications come from the health service, through its contract. */
  health: Client<typeof HealthPublicService>;
  clock: { now(): Date };
}

const kinds: Record<AdvisoryKindName, AdvisoryKind> = {
  heat: AdvisoryKind.HEAT,
  cold: AdvisoryKind.COLD,
  air: AdvisoryKind.AIR_QUALITY,
};
const levels: Record<AdvisoryLevelName, AdvisoryLevel> = {
  info: AdvisoryLevel.INFO,
  warning: AdvisoryLevel.WARNING,
  danger: AdvisoryLevel.DANGER,
};

/** The conditions and active medications the rules look at. */
export async function riskProfileOf(health: Client<typeof HealthPublicService>, userId: string): Promise<RiskProfile> {
  // The caller was already checked against the subject; the health service sees this service.
  const caller = create(CallerSchema, { role: Role.SERVICE, service: 'external' });
  const [{ user }, { medications }] = await Promise.all([
    health.getUser({ caller, userId }),
    health.listMedications({ caller, userId, active: true, page: { limit: 100, cursor: '' } }),
  ]);
  return { conditions: user?.profile?.conditions ?? [], medications: medications.map((m) => m.name) };
}

/** The advisories for a person's stored place: heat and cold per day, air quality today. */
export async function advisoriesFor(
  deps: AdvisoryDeps,
  caller: Caller | undefined,
  request: { userId: string; localDate: string; language: string },
): Promise<{ advisories: HealthAdvisory[]; stale: boolean }> {
  const userId = subjectOf(caller, request.userId);
  const language = languageOf(request.language);
  checkLocalDate('local_date', request.localDate);
  const place = await deps.locator.resolve('place', '', userId, language);
  const [profile, forecast] = await Promise.all([riskProfileOf(deps.health, userId), deps.source.forecast(place)]);
  const zone = forecast.value.timeZone;
  const today = localDateOf(deps.clock.now(), zone);
  const days =
    request.localDate !== ''
      ? [request.localDate]
      : forecast.value.days
          .map((d) => d.date)
          .filter((d) => d >= today)
          .slice(0, 2);
  const advisories: HealthAdvisory[] = [];
  let stale = forecast.stale;
  for (const date of days) {
    const day = forecast.value.days.find((d) => d.date === date);
    if (!day) continue;
    for (const kind of ['heat', 'cold'] as const) {
      const rules = matchingRules(kind, profile);
      const level = levelOf(
        severityOf(kind, { maxC: day.temperatureMaxC, minC: day.temperatureMinC }),
        rules.length > 0,
      );
      if (!level) continue;
      const figure = kind === 'heat' ? day.temperatureMaxC : day.temperatureMinC;
      advisories.push(
        advisory(
          kind,
          level,
          date,
          weatherMessage(
            kind,
            figure,
            rules.map((r) => r.reason[language]),
            language,
          ),
          rules,
        ),
      );
    }
  }
  if (days.includes(today)) {
    const air = await deps.source.airQuality(place).catch(() => undefined);
    if (air) {
      stale ||= air.stale;
      const answer = airQualityAnswer(air, place);
      const rules = matchingRules('air', profile);
      const worst = { europeanAqi: answer.maxEuropeanAqiToday, usAqi: answer.maxUsAqiToday };
      const level = levelOf(severityOf('air', worst), rules.length > 0);
      if (level) {
        const text = airMessage(
          answer,
          rules.map((r) => r.reason[language]),
          language,
        );
        advisories.push(advisory('air', level, today, text, rules));
      }
    }
  }
  return { advisories, stale };
}

function advisory(
  kind: AdvisoryKindName,
  level: AdvisoryLevelName,
  localDate: string,
  message: string,
  rules: ReturnType<typeof matchingRules>,
): HealthAdvisory {
  return create(HealthAdvisorySchema, {
    kind: kinds[kind],
    level: levels[level],
    message,
    localDate,
    reasons: rules.map((r) => r.id),
    sources: [...new Set(rules.map((r) => r.source))],
  });
}

function weatherMessage(kind: 'heat' | 'cold', celsius: number, reasons: string[], language: 'en' | 'zh'): string {
  const t = Math.round(celsius);
  if (language === 'zh') {
    const why = reasons.length > 0 ? `您有${reasons.join('、')}，` : '';
    return kind === 'heat'
      ? `高温：最高${t}摄氏度。${why}请多喝水，中午避免外出，并向医生或药剂师确认高温天气下用药是否需要调整。`
      : `低温：最低${t}摄氏度。${why}请分层穿衣，室内保持至少18摄氏度，避免在户外剧烈活动。`;
  }
  const why = reasons.length > 0 ? ` Because of ${reasons.join('; ')},` : '';
  return kind === 'heat'
    ? `Hot day: up to ${t} °C.${why} drink water regularly, stay out of the midday sun, and ask your doctor or pharmacist whether your medicines need care in the heat.`
    : `Cold day: down to ${t} °C.${why} dress in layers, keep your home at 18 °C or more, and avoid strenuous effort outdoors.`;
}

function airMessage(
  air: { category: string; maxEuropeanAqiToday: number; maxUsAqiToday: number; pm25: number },
  reasons: string[],
  language: 'en' | 'zh',
): string {
  const e = Math.round(air.maxEuropeanAqiToday);
  const u = Math.round(air.maxUsAqiToday);
  const pm = Math.round(air.pm25);
  if (language === 'zh') {
    const why = reasons.length > 0 ? `您有${reasons.join('、')}，` : '';
    return `今天空气质量${categoryIn(air.category, 'zh')}（欧洲AQI最高${e}，美国AQI最高${u}，PM2.5 ${pm}微克/立方米）。${why}请减少户外剧烈活动，随身携带急救吸入器。`;
  }
  const why = reasons.length > 0 ? ` With ${reasons.join('; ')},` : '';
  return `Air quality today is ${air.category} (European AQI up to ${e}, US AQI up to ${u}, PM2.5 ${pm} µg/m³).${why} limit strenuous activity outdoors and keep your reliever inhaler with you.`;
}

/** GetAirQuality and GetHealthAdvisories. */
export function advisoryHandlers(
  deps: AdvisoryDeps,
): Pick<ServiceImpl<typeof ExternalService>, 'getAirQuality' | 'getHealthAdvisories'> {
  return {
    async getAirQuality(req) {
      const language = languageOf(req.language);
      const named = req.location.trim() !== '';
      const userId = named ? undefined : subjectOf(req.caller, req.userId);
      requireCaller(req.caller);
      const place = await deps.locator.resolve('location', req.location, userId, language);
      return { airQuality: airQualityAnswer(await deps.source.airQuality(place), place) };
    },
    async getHealthAdvisories(req) {
      return advisoriesFor(deps, req.caller, req);
    },
  };
}
