/**
 * WMO weather interpretation codes (WMO 4677 as Open-Meteo reports them, listed in its
 * forecast documentation) in the two languages Tend speaks.
 */
const descriptions: ReadonlyArray<[codes: readonly number[], en: string, zh: string]> = [
  [[0], 'clear sky', '晴'],
  [[1], 'mainly clear', '大致晴朗'],
  [[2], 'partly cloudy', '多云'],
  [[3], 'overcast', '阴'],
  [[45, 48], 'fog', '有雾'],
  [[51, 53, 55], 'drizzle', '毛毛雨'],
  [[56, 57], 'freezing drizzle', '冻毛毛雨'],
  [[61], 'light rain', '小雨'],
  [[63], 'rain', '中雨'],
  [[65], 'heavy rain', '大雨'],
  [[66, 67], 'freezing rain', '冻雨'],
  [[71], 'light snow', '小雪'],
  [[73], 'snow', '中雪'],
  [[75], 'heavy snow', '大雪'],
  [[77], 'snow grains', '米雪'],
  [[80, 81], 'rain showers', '阵雨'],
  [[82], 'violent rain showers', '强阵雨'],
  [[85, 86], 'snow showers', '阵雪'],
  [[95], 'thunderstorm', '雷雨'],
  [[96, 99], 'thunderstorm with hail', '雷雨伴有冰雹'],
];

const byCode = new Map<number, { en: string; zh: string }>();
for (const [codes, en, zh] of descriptions) for (const code of codes) byCode.set(code, { en, zh });

/** What a WMO code means, in `language` ("en" or "zh"); unknown codes say so. */
export function describeWeatherCode(code: number, language: string): string {
  const entry = byCode.get(code);
  if (language === 'zh') return entry?.zh ?? '天气未知';
  return entry?.en ?? 'unknown conditions';
}

/** Whether the code means falling water (drizzle, rain, showers, thunderstorms). */
export function isWetWeather(code: number): boolean {
  return (code >= 51 && code <= 67) || (code >= 80 && code <= 82) || code >= 95;
}
