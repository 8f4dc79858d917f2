import { timesOf } from './spoken-times.js';

/**
 * What a sentence says about weather, a place or appointments, beyond its intent: the words
 * the external service's tools need. Read by rules only; nothing here decides an intent alone.
 */

/** "I live in Berlin", "I'm based in Paris now", "我住在北京": the place named, as said. */
export function placeStatedIn(text: string): string | undefined {
  const english =
    /\b(?:i live in|i'?m living in|i am living in|i'?ve moved to|i moved to|i'?m based in|i am based in|my (?:home ?town|city) is|i'?m from)\s+([^,.!?;]+?)(?:\s+now)?\s*[.!?]*$/i.exec(
      text.trim(),
    );
  if (english) return english[1]!.trim();
  const chinese = /(?:我住在|我现在住在|我搬到了?|我住)([^，。！？,.!?]+?)(?:了|啦)?[。！!]?$/.exec(text.trim());
  return chinese ? chinese[1]!.trim() : undefined;
}

/** What a weather question is about. */
export interface WeatherRequest {
  /** Air quality rather than the forecast. */
  air: boolean;
  /** A part of the day ("this afternoon") whose hours decide the answer. */
  partOfDay?: 'morning' | 'afternoon' | 'evening';
  /** A place named in the question ("in Paris"); the person's own otherwise. */
  place?: string;
  /** Whether rain is what is asked about. */
  rain: boolean;
}

const airWords = /\bair\b|air quality|pollution|smog|\baqi\b|pm ?2\.?5|ozone|空气|雾霾|污染|霾/;

/** The weather question's details. */
export function weatherRequestOf(lower: string): WeatherRequest {
  const partOfDay = /afternoon|下午|午后/.test(lower)
    ? 'afternoon'
    : /morning|上午|早上/.test(lower)
      ? 'morning'
      : /evening|tonight|晚上|今晚/.test(lower)
        ? 'evening'
        : undefined;
  const place =
    /\b(?:in|at|for)\s+([a-z][a-z .'-]{1,40}?)(?:\s+(?:today|tomorrow|tonight|this|on|next|right now|now)\b|\s*[?.!]|$)/.exec(
      lower,
    )?.[1];
  const ignored = /^(the |this |my |a |an )|^(morning|afternoon|evening|weekend|week|summer|winter)$/;
  return {
    air: airWords.test(lower),
    partOfDay,
    place: place && !ignored.test(place) ? place.trim() : undefined,
    rain: /\brain|umbrella|wet|shower|下雨|雨|带伞/.test(lower),
  };
}

/** Whether a sentence is about air quality, to count it as a weather question. */
export function mentionsAir(lower: string): boolean {
  return airWords.test(lower);
}

/** What a sentence asks of the person's appointments. */
export interface CalendarRequest {
  calendarAction: 'list' | 'add' | 'cancel';
  /** What the appointment is, for adding ("dentist" → "Dentist"). */
  appointmentTitle?: string;
  /** Which day, as a weekday or a relative day; unset means "the next one". */
  appointmentDay?: AppointmentDay;
  /** Local time "HH:MM", for adding. */
  appointmentTime?: string;
  /** "next week" / "下周". */
  nextWeek?: boolean;
}

/** A day named in a sentence: a relative day, or the next such weekday (0 = Monday). */
export type AppointmentDay = { relative: 0 | 1 } | { weekday: number };

const englishDays = ['monday', 'tuesday', 'wednesday', 'thursday', 'friday', 'saturday', 'sunday'];
const chineseDays: Record<string, number> = {
  一: 0,
  '1': 0,
  二: 1,
  '2': 1,
  三: 2,
  '3': 2,
  四: 3,
  '4': 3,
  五: 4,
  '5': 4,
  六: 5,
  '6': 5,
  日: 6,
  天: 6,
};
const kinds: ReadonlyArray<[RegExp, string, string]> = [
  [/dentist|dental|牙医|牙科|看牙/, 'Dentist', '牙医'],
  [/physio|理疗/, 'Physiotherapy', '理疗'],
  [/eye|optician|ophthalm|眼科/, 'Eye doctor', '眼科'],
  [/cardiolog|heart|心脏科|心内科/, 'Cardiologist', '心内科'],
  [/blood test|验血|抽血/, 'Blood test', '验血'],
  [/\bgp\b|doctor|physician|医生|看病/, 'Doctor', '看医生'],
];

/** The appointment request's details. */
export function calendarRequestOf(lower: string, locale: 'en' | 'zh'): CalendarRequest {
  const cancel = /\b(cancel|call off|delete|remove|drop)\b|取消|删掉|删除/.test(lower);
  const add =
    !cancel &&
    /\b(add|book|make|schedule|put|set up|create|i have|i'?ve got)\b.*\b(appointment|visit|check-?up)|(加|添加|新增|记下|帮我约|约了|预约了|安排).*(预约|医生|牙|看病|理疗|检查)|(预约|约)(了|一下)/.test(
      lower,
    );
  const day = dayOf(lower);
  const kind = kinds.find(([pattern]) => pattern.test(lower));
  return {
    calendarAction: cancel ? 'cancel' : add ? 'add' : 'list',
    appointmentTitle: kind ? (locale === 'zh' ? kind[2] : kind[1]) : undefined,
    appointmentDay: day,
    appointmentTime: timesOf(lower)[0],
    nextWeek: /next week|下周|下个?星期|下个?礼拜/.test(lower) || undefined,
  };
}

function dayOf(lower: string): AppointmentDay | undefined {
  if (/tomorrow|明天/.test(lower)) return { relative: 1 };
  if (/today|tonight|今天|今晚/.test(lower)) return { relative: 0 };
  const zh = /(?:周|星期|礼拜)([1-6一二三四五六日天])/.exec(lower);
  if (zh) return { weekday: chineseDays[zh[1]!]! };
  const en = englishDays.findIndex((d) => new RegExp(`\\b${d}`).test(lower));
  return en >= 0 ? { weekday: en } : undefined;
}
