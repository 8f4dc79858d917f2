import { displayValue, unitOf, type VitalKind } from './units.js';

/** What a reading needs to be shown. */
export interface ReadingValue {
  kind: VitalKind;
  value?: number;
  systolic?: number;
  diastolic?: number;
}

/**
 * A reading as a person reads it, in the unit they chose: `150/95 mmHg`, `176.4 lb`, `98.6 °F`.
 * Values arrive in the API's canonical unit.
 */
export function readingText(reading: ReadingValue, unitId?: string): string {
  const unit = unitOf(reading.kind, unitId);
  if (reading.kind === 'blood_pressure') {
    const sys = displayValue(reading.systolic ?? 0, unit);
    const dia = displayValue(reading.diastolic ?? 0, unit);
    return `${sys}/${dia} ${unit.id}`;
  }
  const value = displayValue(reading.value ?? 0, unit);
  return unit.id === '%' ? `${value}%` : `${value} ${unit.id}`;
}

/** A time of day in the person's time zone and language: `8:00 AM`, `08:00`. */
export function timeText(iso: string, timeZone: string, language: string): string {
  return new Intl.DateTimeFormat(language === 'zh' ? 'zh-CN' : 'en', {
    timeZone: safeZone(timeZone),
    hour: language === 'zh' ? '2-digit' : 'numeric',
    minute: '2-digit',
  })
    .format(new Date(iso))
    .replace(/\u202f/g, ' ');
}

/** A day and time in the person's time zone and language: `Sun, Dec 6, 8:00 PM`. */
export function dateTimeText(iso: string, timeZone: string, language: string): string {
  return new Intl.DateTimeFormat(language === 'zh' ? 'zh-CN' : 'en', {
    timeZone: safeZone(timeZone),
    weekday: 'short',
    month: 'short',
    day: 'numeric',
    hour: 'numeric',
    minute: '2-digit',
  }).format(new Date(iso));
}

/** A share 0–1 as a whole percentage, or undefined when there is none. */
export function percentText(rate: number | null | undefined, language: string): string | undefined {
  if (rate === null || rate === undefined) return undefined;
  return new Intl.NumberFormat(language === 'zh' ? 'zh-CN' : 'en', { style: 'percent' }).format(rate);
}

/** The start and end of the person's calendar day containing `now`, as instants. */
export function dayBounds(now: Date, timeZone: string): { from: Date; to: Date } {
  const zone = safeZone(timeZone);
  const parts = new Intl.DateTimeFormat('en-CA', {
    timeZone: zone,
    year: 'numeric',
    month: '2-digit',
    day: '2-digit',
    hour: '2-digit',
    minute: '2-digit',
    second: '2-digit',
    hourCycle: 'h23',
  }).formatToParts(now);
  const get = (type: string): number => Number(parts.find((part) => part.type === type)?.value ?? 0);
  const sinceMidnightMs = ((get('hour') * 60 + get('minute')) * 60 + get('second')) * 1000 + now.getMilliseconds();
  const from = new Date(now.getTime() - sinceMidnightMs);
  return { from, to: new Date(from.getTime() + 24 * 3600_000) };
}

function safeZone(timeZone: string): string {
  try {
    new Intl.DateTimeFormat('en', { timeZone });
    return timeZone;
  } catch {
    return 'UTC';
  }
}
