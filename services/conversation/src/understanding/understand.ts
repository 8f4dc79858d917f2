import { matchMedication, type MedicationMatch } from './medication-names.js';
import type { ParaphraseMatcher } from './paraphrase-matcher.js';
import { digitsForSpokenNumbers } from './spoken-numbers.js';

/** What a person can ask for by talking. */
export type IntentName =
  | 'emergency'
  | 'log_vital'
  | 'query_vitals'
  | 'log_dose'
  | 'list_doses'
  | 'list_medications'
  | 'query_adherence'
  | 'add_reminder'
  | 'stop_medication'
  | 'weather'
  | 'calendar'
  | 'greeting'
  | 'thanks'
  | 'help'
  | 'unknown';

export type VitalKindName = 'blood_pressure' | 'heart_rate' | 'weight' | 'glucose' | 'spo2' | 'temperature';

/** A reading said in a sentence, in the health service's unit strings. */
export interface SpokenVital {
  kind: VitalKindName;
  value?: number;
  systolic?: number;
  diastolic?: number;
  unit?: string;
}

/** A period a question is about, resolved by the caller in the person's time zone. */
export type Period = 'today' | 'yesterday' | 'this_week' | 'last_week' | 'this_month';

/** What a sentence asks for, with what it says about it. */
export interface Understanding {
  intent: IntentName;
  locale: 'en' | 'zh';
  vital?: SpokenVital;
  /** Which of the person's vitals a question is about. */
  vitalKind?: VitalKindName;
  medication?: MedicationMatch;
  doseStatus?: 'taken' | 'skipped';
  period?: Period;
  /** Local times of day "HH:MM" (reminders). */
  times?: string[];
}

export interface UnderstandingContext {
  /** The person's own medication names, to recognise them however they are said. */
  medicationNames: readonly string[];
  /** Their language; a sentence in Chinese is answered in Chinese whatever it says. */
  locale?: 'en' | 'zh';
  /** Recognises paraphrases the rules miss. */
  paraphrases?: ParaphraseMatcher;
}

const emergency =
  /chest pain|pain in my chest|can'?t breathe|cannot breathe|short(ness)? of breath|(trouble|difficulty) breathing|hard to breathe|heart attack|stroke|face (is )?droop|slurred speech|suicid|kill myself|want to die|end my life|胸痛|胸口痛|喘不过气|呼吸困难|中风|想死|自杀|不想活/i;

const readOnlyIntents = new Set<IntentName>([
  'query_vitals',
  'list_doses',
  'list_medications',
  'query_adherence',
  'weather',
  'calendar',
  'greeting',
  'thanks',
  'help',
]);

const vitalWords: [VitalKindName, RegExp][] = [
  ['blood_pressure', /blood pressure|\bbp\b|血压|高压|低压/i],
  ['heart_rate', /heart ?rate|pulse|心率|脉搏|心跳/i],
  ['weight', /\bweigh|weight|体重/i],
  ['glucose', /glucose|blood sugar|sugar level|血糖/i],
  ['spo2', /oxygen|spo2|o2 sat|血氧/i],
  ['temperature', /temperature|\btemp\b|fever|体温|发烧/i],
];

/**
 * The embedded brain's understanding: ordered rules over the text with its numbers written as
 * digits. An emergency comes first whatever else is said; then readings ("135 over 85"), dose
 * logs, questions, reminders and small talk, in English and Chinese.
 */
export function understand(text: string, context: UnderstandingContext): Understanding {
  const locale: 'en' | 'zh' = /[\u4e00-\u9fff]/.test(text) ? 'zh' : (context.locale ?? 'en');
  const said = digitsForSpokenNumbers(text.trim());
  const lower = said.toLowerCase();
  const base = { locale };
  if (emergency.test(lower)) return { ...base, intent: 'emergency' };

  // Names are matched on the words as said: "二甲双胍" must not become "2甲双胍".
  const medication = matchMedication(text.trim().toLowerCase(), context.medicationNames);
  const period = periodOf(lower);
  const asked = isQuestion(lower);

  if (/remind me|提醒我/.test(lower)) {
    return { ...base, intent: 'add_reminder', medication, times: timesOf(lower) };
  }
  if (/\b(stop|quit|discontinue)\b.*\b(taking)?\b|停(用|药|吃)/.test(lower) && medication.name) {
    return { ...base, intent: 'stop_medication', medication };
  }
  if (!asked) {
    const vital = readingOf(lower);
    if (vital) return { ...base, intent: 'log_vital', vital };
  }
  if (!asked && /\b(took|taken|have taken|just took|had)\b|吃了|服了|服用了|已经吃/.test(lower)) {
    if (medication.name || medication.candidates.length > 0 || /pill|medicine|meds|dose|药/.test(lower)) {
      return { ...base, intent: 'log_dose', medication, doseStatus: 'taken' };
    }
  }
  if (/\bskip(ped|ping)?\b|跳过|不吃了|没吃/.test(lower) && !asked) {
    return { ...base, intent: 'log_dose', medication, doseStatus: 'skipped' };
  }
  if (/miss(ed)? any|did i miss|forg[eo]t|adherence|漏服|漏吃|忘了吃/.test(lower)) {
    return { ...base, intent: 'query_adherence', period: period ?? 'this_week' };
  }
  if (
    /what (do|should) i take|what.*(pills|meds|medicine).*(today|tonight|now)|which (pills|meds)|吃什么药|要吃.*药/.test(
      lower,
    )
  ) {
    return { ...base, intent: 'list_doses', period: period ?? 'today' };
  }
  if (
    /what (medications|medicines|meds|pills) (am i|do i)|my (medications|medicines|meds)|我的药|我在吃.*药/.test(lower)
  ) {
    return { ...base, intent: 'list_medications' };
  }
  const questionKind = vitalWords.find(([, pattern]) => pattern.test(lower))?.[0];
  if (questionKind && (asked || period)) {
    return { ...base, intent: 'query_vitals', vitalKind: questionKind, period: period ?? 'this_week' };
  }
  if (/weather|rain|天气|下雨/.test(lower)) return { ...base, intent: 'weather' };
  if (/calendar|appointment|schedule today|日程|预约/.test(lower)) return { ...base, intent: 'calendar' };
  if (/^(hi|hello|hey|good (morning|afternoon|evening))\b|^(你好|您好|早上好|晚上好)/.test(lower)) {
    return { ...base, intent: 'greeting' };
  }
  if (/\b(thanks|thank you)\b|谢谢/.test(lower)) return { ...base, intent: 'thanks' };
  if (/what can you do|help|你能做什么|帮助|怎么用/.test(lower)) return { ...base, intent: 'help' };
  const paraphrase = context.paraphrases?.match(text);
  // Only questions and small talk are taken from a resemblance: a write (a reading, a dose, a
  // reminder, stopping a medication) is made only when the rules recognise it was asked for.
  if (paraphrase && readOnlyIntents.has(paraphrase.intent)) {
    return { ...base, intent: paraphrase.intent, medication, period, times: timesOf(lower) };
  }
  return { ...base, intent: 'unknown' };
}

function isQuestion(lower: string): boolean {
  return /\?|？|^(what|how|did|was|were|is|are|show|tell)\b|吗|多少|怎么样|如何|趋势|哪些|什么/.test(lower);
}

function periodOf(lower: string): Period | undefined {
  if (/last week|上周|上个星期/.test(lower)) return 'last_week';
  if (/this week|past week|week|这周|本周|这个星期/.test(lower)) return 'this_week';
  if (/this month|month|这个月|本月/.test(lower)) return 'this_month';
  if (/yesterday|last night|昨天|昨晚/.test(lower)) return 'yesterday';
  if (/today|tonight|this morning|今天|今晚|今早/.test(lower)) return 'today';
  return undefined;
}

/** A reading in the sentence, if it states one. */
function readingOf(lower: string): SpokenVital | undefined {
  const pressure =
    /(\d{2,3})\s*(?:over|\/|／|on|by)\s*(\d{2,3})/.exec(lower) ?? /高压\s*(\d{2,3}).*低压\s*(\d{2,3})/.exec(lower);
  if (pressure && (/blood pressure|\bbp\b|血压|高压/.test(lower) || /\bover\b/.test(lower))) {
    return { kind: 'blood_pressure', systolic: Number(pressure[1]), diastolic: Number(pressure[2]) };
  }
  for (const [kind, pattern] of vitalWords) {
    if (kind === 'blood_pressure' || !pattern.test(lower)) continue;
    const number =
      /(\d+(?:\.\d+)?)\s*(kilos?|kilograms?|kgs?|pounds?|lbs?|公斤|千克|斤|mmol(?:\/l)?|mg(?:\/dl)?|%|percent|degrees?|°\s*[cf]|度|bpm|次)?/.exec(
        lower.slice(lower.search(pattern)),
      );
    if (!number) continue;
    return { kind, ...valueWithUnit(kind, Number(number[1]), number[2]) };
  }
  return undefined;
}

function valueWithUnit(
  kind: VitalKindName,
  value: number,
  spoken: string | undefined,
): { value: number; unit?: string } {
  const unit = spoken?.replace(/\s/g, '') ?? '';
  switch (kind) {
    case 'weight':
      if (/^(pounds?|lbs?)$/.test(unit)) return { value, unit: 'lb' };
      if (unit === '斤') return { value: value / 2, unit: 'kg' };
      return { value, unit: 'kg' };
    case 'glucose':
      if (/^mmol/.test(unit) || value < 35) return { value, unit: 'mmol/L' };
      return { value, unit: 'mg/dL' };
    case 'temperature':
      return { value, unit: /f$/.test(unit) || value > 50 ? '[degF]' : 'Cel' };
    case 'spo2':
      return { value, unit: '%' };
    case 'heart_rate':
      return { value, unit: '/min' };
    case 'blood_pressure':
      return { value };
  }
}

/** Times of day in a reminder: "at 8", "8 am", "8:30 pm", "at noon", "早上八点", "晚上9点". */
function timesOf(lower: string): string[] {
  const times: string[] = [];
  const english = /\b(?:at\s+)?(\d{1,2})(?::(\d{2}))?\s*(am|pm|a\.m\.|p\.m\.)?(?=\b|$)/g;
  for (const match of lower.matchAll(english)) {
    if (!/at\s|am|pm|:/.test(match[0])) continue;
    let hour = Number(match[1]);
    const minute = Number(match[2] ?? 0);
    const meridiem = match[3]?.replace(/\./g, '');
    if (meridiem === 'pm' && hour < 12) hour += 12;
    if (meridiem === 'am' && hour === 12) hour = 0;
    if (!meridiem && /evening|night|tonight/.test(lower) && hour < 12) hour += 12;
    if (hour < 24 && minute < 60) times.push(`${String(hour).padStart(2, '0')}:${String(minute).padStart(2, '0')}`);
  }
  if (/\bnoon\b|中午/.test(lower)) times.push('12:00');
  for (const match of lower.matchAll(/(早上|上午|中午|下午|晚上)?\s*(\d{1,2})\s*点(半|(\d{1,2})分?)?/g)) {
    let hour = Number(match[2]);
    if ((match[1] === '下午' || match[1] === '晚上') && hour < 12) hour += 12;
    const minute = match[3] === '半' ? 30 : Number(match[4] ?? 0);
    times.push(`${String(hour).padStart(2, '0')}:${String(minute).padStart(2, '0')}`);
  }
  return [...new Set(times)];
}
