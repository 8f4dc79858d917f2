import { matchMedication, type MedicationMatch } from './medication-names.js';
import { kindNamed, readingOf, type SpokenVital, type VitalKindName } from './readings.js';
import { digitsForSpokenNumbers } from './spoken-numbers.js';
import { timesOf } from './spoken-times.js';
import { reminderRequestOf, type ReminderRequest } from './reminder-requests.js';
import {
  calendarRequestOf,
  mentionsAir,
  placeStatedIn,
  weatherRequestOf,
  type CalendarRequest,
  type WeatherRequest,
} from './external-requests.js';

export { vitalKindNames, type SpokenVital, type VitalKindName } from './readings.js';

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
  | 'add_medication'
  | 'snooze_reminder'
  | 'list_reminders'
  | 'stop_reminders'
  | 'stop_medication'
  | 'medical_advice'
  | 'weather'
  | 'set_place'
  | 'calendar'
  | 'greeting'
  | 'thanks'
  | 'help'
  | 'unknown';

export const weekdays = ['monday', 'tuesday', 'wednesday', 'thursday', 'friday', 'saturday', 'sunday'] as const;
export type Weekday = (typeof weekdays)[number];

/**
 * A period a question is about, resolved by the caller in the person's time zone. A weekday is
 * the last one before today ("last Monday", "周一"); `last_week_<day>` is that day of last week
 * ("上周一").
 */
export const periods = [
  'today',
  'yesterday',
  'day_before_yesterday',
  'tomorrow',
  'this_week',
  'last_week',
  'this_month',
  'last_month',
  ...weekdays,
] as const;
export type Period = (typeof periods)[number] | `last_week_${Weekday}`;

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
  /** A weather question's details. */
  weather?: WeatherRequest;
  /** The place in "I live in Berlin". */
  place?: string;
  /** An appointment question's or request's details. */
  calendar?: CalendarRequest;
  /** A reminder request's details: the medication as named, its dose, snooze minutes, the day. */
  reminder?: ReminderRequest;
}

/**
 * What understanding asks of a paraphrase matcher: the closest labelled intent. An interface
 * here, so the matcher (which learns from the corpus, labelled with these intents) can import
 * this module without a circle.
 */
export interface ParaphraseLookup {
  match(text: string): { intent: IntentName; score: number } | undefined;
}

export interface UnderstandingContext {
  /** The person's own medication names, to recognise them however they are said. */
  medicationNames: readonly string[];
  /** Their language; a sentence in Chinese is answered in Chinese whatever it says. */
  locale?: 'en' | 'zh';
  /** Recognises paraphrases the rules miss (a `ParaphraseMatcher`). */
  paraphrases?: ParaphraseLookup;
}

const emergency = new RegExp(
  [
    // heart
    'chest (pain|hurts|is (tight|hurting|pounding|killing me))|pain in (my|the|his|her) chest|(crushing|squeezing|severe) (chest )?(pain|pressure) in|heart attack|heart is (pounding|racing) and',
    // breathing
    "can'?t (breathe|catch (my|his|her) breath|get air)|cannot breathe|short(ness)? of breath|(trouble|difficulty) breathing|hard to breathe|(not|isn'?t|stopped) breathing|choking|gasping",
    // stroke
    "stroke|face (is |looks )?(droop|uneven|lopsided)|drooping|slurred|can'?t (speak|talk) (properly|clearly|right)|numb on one side|(one|left|right) side of (my|his|her) (body|face)|half (of )?(my|his|her) (body|face)",
    // collapse, seizure, overdose, bleeding, anaphylaxis
    'pass(ed|ing)? out|faint(ed|ing)|collapsed|unconscious|unresponsive|seizure|overdose|too many (pills|tablets)|bleeding (heavily|a lot|badly|won)|allergic reaction|throat is (closing|swelling)|anaphyla|call (an )?ambulance|\\b911\\b',
    // self-harm
    "suicid|kill(ing)? myself|want to die|end(ing)? (my life|it all)|don'?t want to (live|be alive)|hurt(ing)? myself|harm(ing)? myself|self[- ]harm",
    // 中文
    '救命|胸(口|部)?.{0,3}(痛|疼)|心口.{0,2}(痛|疼)|胸闷得厉害|喘不(过|上)气|呼吸困难|透不过气|憋气|上不来气|中风|口眼歪斜|嘴歪|说话.{0,3}不清|口齿不清|半边(身子|身体|脸)|晕倒|昏倒|昏迷|抽搐|吃了太多药|吃多了药|药吃多了|过量|大出血|过敏.*(喉咙|呼吸)|想死|自杀|不想活|轻生|结束生命|伤害自己|叫救护车|打120',
  ].join('|'),
);

/**
 * Asking for a dose, a diagnosis or a change of medication: the agent never gives one, and says
 * so ("should I double my metformin?", "can I take aspirin with lisinopril?", "我要不要加量").
 */
const medicalAdvice =
  /\bshould i (stop|skip|double|increase|decrease|reduce|lower|raise|change|switch|up|cut)\b|\bshould i (still )?take (more|less|extra|another|a double|double|half|it|them|\w+ (if|with|when|even))\b|\b(can|could|may) i (take|mix|combine|drink|have) .*\b(with|and|alcohol|together)\b|\bhow (much|many) .*\bshould i (take|have)\b|\bwhat (dose|dosage)\b|\bis it (safe|ok|okay|dangerous) to\b|\b(do|could|might) i have (diabetes|hypertension|covid|cancer|an infection|a heart)|\bwhat('?s| is) wrong with me\b|\bdiagnos|\bside effects?\b|要不要(加量|减量|停|吃|换)|(能|可以).{0,12}(一起吃|同时吃|一起服|同服|喝酒)|该吃多少|吃多少(片|毫克|mg)|(加|减)(量|药)吗|我是不是得了|是什么病|副作用/;

/** Intents the paraphrase matcher may decide: nothing that writes. */
const readOnlyIntents = new Set<IntentName>([
  'query_vitals',
  'list_doses',
  'list_medications',
  'query_adherence',
  'list_reminders',
  'medical_advice',
  'weather',
  'calendar',
  'greeting',
  'thanks',
  'help',
]);

const stopping =
  /\b(stop(s|ped|ping)?|quit|discontinu(e|ed|ing)|cancel(led)?|drop(ped)?|remove|delete|get rid of)\b|no longer (take|taking|on)|(took|take|taken|taking|put) (me )?off\b|\boff (of )?(my |the )?\w+ (now|for good)|\b(for good|permanently|no more)\b|(don'?t|do not|not|won'?t) (take|taking|need) .*\b(any ?more|any longer)\b|\boff my (list|meds|medications)|停用|停药|停吃|停掉|停了|可以停|不再(吃|服|用)|不用再吃|以后不(吃|服)|删掉|删除|去掉|移除/;
const skipped =
  /\bskip(ped|ping)?\b|\bpass on\b|\b(didn'?t|did not|won'?t|will not|not going to|am not|i'?m not|not) (be )?(take|taking)\b|\bmark .* (as )?skipped|\bno \w+ (for me )?(today|tonight)|跳过|不吃|没吃|没服|不服|先不|不想吃/;
const taken =
  /\b(took|taken|had|popped|swallowed|finished|done)\b|\bgot (my|the) .*\bin\b|\bmark .* (as )?taken|吃了|吃过|吃好了|服了|服过|服完|服用了|已服|已经服用|已经吃|吃完/;
const negatedTaking = /\b(haven'?t|have not|hasn'?t|not yet|never)\b/;
const medicineWords =
  /\bpills?\b|\bmedicines?\b|\bmedications?\b|\bmeds\b|\bdoses?\b|\btablets?\b|\bdrugs?\b|\bprescri|\bit\b|药/;
const adherence =
  /\bmiss(ed|ing)?\b|\bforg[eo]t|adherence|complian|consistent|on track|been taking|regularly|skip(ped)? any|did i take (everything|all|them|my (pills|meds|medicines?|medications?|doses))|how (am i|have i been) doing with|how (well|good) (am i|have i been)|漏服|漏吃|漏了|忘了吃|忘记吃|按时|准时|规律|服药情况|吃药情况|都吃了吗|吃药了吗|有没有(按时)?吃药/;
const dueWords =
  /\b(today|tonight|now|morning|afternoon|evening|tomorrow|next|due|left|later|still|bedtime|before bed|with (breakfast|lunch|dinner))\b|schedule|今天|今晚|晚上|早上|上午|中午|下午|现在|下[一1]?次|明天|还有|该吃|睡前|饭后|饭前|要吃药吗|需要吃药/;
const medicationQuestion =
  /\bwhat (do|should|must) i (need to |be )?tak(e|ing)\b|\b(what|which)\b.*\b(pills?|meds|medicines?|medications?|drugs|prescriptions?|doses?)\b|\bam i on\b|\b(list|read|tell|show|give)\b.*\b(pills|meds|medicines|medications|drugs|prescriptions|prescribed)\b|\bprescribed\b|\bmy (medication|medicine|pill|meds) (list|schedule)|\bmy (current )?(medications|medicines|meds|prescriptions)\b|anything (i still need )?to take|anything due|\bnext (dose|pill)|\b(need|have) to take anything\b|(吃|服|服用|用)(什么|哪些|哪几)|什么药|哪些药|几种药|药.*(哪些|清单|列表)|(列出|告诉我).*药|我的药|用药|在吃|在服用|在用|吃药是什么时候|(要|该|需要)吃药/;
const currentlyTaking = /right now|these days|currently|现在在|现在(吃|服用|用)的|正在|目前/;
const weather =
  /weather|forecast|\brain(ing|y)?\b|\bsnow|umbrella|sunny|windy|\bstorm|humid|jacket|how (hot|cold|warm)|\bis it (hot|cold|warm|chilly)|\boutside\b|\bthe temperature\b(?!.*\bmy\b)|天气|下雨|下雪|气温|冷不冷|热不热|冷吗|热吗|带伞|刮风/;
const calendar =
  /calendar|appointment|\bschedule\b|\bplanned\b|\bplans\b|\bagenda\b|\bmeetings?\b|\bevents?\b|(seeing|see|visit(ing)?) (the|my) (doctor|dentist|gp)|doctor'?s? (visit|appointment)|my day (look|looking)|what'?s happening|日程|预约|安排|看医生|日历|行程|约了|什么事/;
const greeting =
  /^(hi|hello|hey|howdy|hiya|yo|good (morning|afternoon|evening|day)|morning|evening|what'?s up|how are you)\b|^(嗨|哈喽|你好|您好|早上好|早安|上午好|中午好|下午好|晚上好|在吗)/;
const thanks = /\b(thanks|thank you|thx|ty|cheers|appreciated?)\b|谢谢|多谢|感谢|谢了|谢啦/;
const help =
  /what can you do|what (are you|you'?re) able to|what do you do|what can i (say|ask|do)|what should i (say|ask)|what (kind of )?things can|how (does|do) (this|it) work|how do i use|how can you help|\bfeatures\b|\boptions\b|\bhelp\b|instructions|你能做什么|你都会什么|会什么|能干什么|有什么功能|功能|怎么用|怎么使用|帮助|可以问你什么|能问什么|使用说明|你能帮我|可以帮我|你是谁/;

/**
 * The embedded brain's understanding: ordered rules over the text with its numbers written as
 * digits. An emergency comes first whatever else is said; then what writes — a reminder,
 * stopping a medication, a reading, a dose — each only when clearly asked for; then questions
 * and small talk, and last a resemblance to the corpus's sentences for questions the rules miss.
 */
export function understand(text: string, context: UnderstandingContext): Understanding {
  const locale: 'en' | 'zh' = /[\u4e00-\u9fff]/.test(text) ? 'zh' : (context.locale ?? 'en');
  const lower = digitsForSpokenNumbers(text.trim()).toLowerCase().replace(/[’‘`]/g, "'");
  const base = { locale };
  if (emergency.test(lower)) return { ...base, intent: 'emergency' };

  // Names are matched on the words as said: "二甲双胍" must not become "2甲双胍".
  const medication = matchMedication(text.trim().toLowerCase(), context.medicationNames);
  const namesMedication = medication.name !== undefined || medication.candidates.length > 0;
  const mentionsMedicine = medicineWords.test(lower);
  const aboutMedicine = namesMedication || mentionsMedicine;
  const period = periodOf(lower);
  const asked = isQuestion(lower);

  if (medicalAdvice.test(lower)) return { ...base, intent: 'medical_advice' };
  const reminder = reminderRequestOf(lower, text.trim().toLowerCase());
  if (reminder) return { ...base, intent: reminder.intent, medication, times: reminder.times, reminder };
  if (namesMedication && stopping.test(lower) && !/\b(today|tonight|this (morning|evening))\b|今天|今晚/.test(lower)) {
    return { ...base, intent: 'stop_medication', medication };
  }
  if (!asked) {
    const vital = weather.test(lower) ? undefined : readingOf(lower);
    if (vital) return { ...base, intent: 'log_vital', vital };
    if (aboutMedicine) {
      if (skipped.test(lower)) return { ...base, intent: 'log_dose', medication, doseStatus: 'skipped' };
      if (taken.test(lower) && !negatedTaking.test(lower)) {
        return { ...base, intent: 'log_dose', medication, doseStatus: 'taken' };
      }
    }
  }
  // "Did I take my metformin?" asks whether a dose was taken: adherence, not a log.
  const askedWhetherTaken =
    aboutMedicine && /\b(did|have|has) i (already )?(take|taken|took)\b|(吃|服)(了|过)(吗|没)/.test(lower);
  // "我该吃药了吗" asks whether a dose is due now, not whether one was taken.
  const askedWhetherDue = /(该|要|需要)(吃|服)/.test(lower);
  const aboutDosesTaken = adherence.test(lower) || askedWhetherTaken;
  if (aboutDosesTaken && !askedWhetherDue && (asked || mentionsMedicine || /\b(how|have|did)\b/.test(lower))) {
    return { ...base, intent: 'query_adherence', period: period ?? 'this_week' };
  }
  if (medicationQuestion.test(lower) && !calendar.test(lower.replace(/pill schedule|medication schedule/, ''))) {
    // "right now" asks what one takes these days, not what is due now.
    return dueWords.test(lower.replace(currentlyTaking, ''))
      ? { ...base, intent: 'list_doses', period: period === 'tomorrow' ? period : 'today' }
      : { ...base, intent: 'list_medications' };
  }
  const place = placeStatedIn(text);
  if (place) return { ...base, intent: 'set_place', place };
  if (weather.test(lower) || mentionsAir(lower))
    return { ...base, intent: 'weather', period, weather: weatherRequestOf(lower) };
  const kind = kindNamed(lower);
  if (kind) return { ...base, intent: 'query_vitals', vitalKind: kind, period: period ?? 'this_week' };
  if (calendar.test(lower)) return { ...base, intent: 'calendar', calendar: calendarRequestOf(lower, locale) };
  if (greeting.test(lower)) return { ...base, intent: 'greeting' };
  if (thanks.test(lower)) return { ...base, intent: 'thanks' };
  if (help.test(lower)) return { ...base, intent: 'help' };
  const paraphrase = context.paraphrases?.match(text);
  // Only questions and small talk are taken from a resemblance: a write (a reading, a dose, a
  // reminder, stopping a medication) is made only when the rules recognise it was asked for.
  if (paraphrase && readOnlyIntents.has(paraphrase.intent)) {
    return { ...base, intent: paraphrase.intent, medication, period, times: timesOf(lower) };
  }
  return { ...base, intent: 'unknown' };
}

function isQuestion(lower: string): boolean {
  return /\?|？|^(what|what's|whats|how|how's|(did|do|does|has) (i|you|my|we)|(have|had) (i|you|we)|was|were|is|are|show|tell|give|can you|could you|any|which|when|check|look up)\b|吗|呢|多少|怎么样|如何|趋势|变化|哪些|什么|查|看看|几次|正常/.test(
    lower,
  );
}

/** Chinese weekday numbers as said after 周 / 星期 / 礼拜 (digits by now), Sunday as 日 or 天. */
const chineseWeekday: Record<string, Weekday> = {
  '1': 'monday',
  '2': 'tuesday',
  '3': 'wednesday',
  '4': 'thursday',
  '5': 'friday',
  '6': 'saturday',
  日: 'sunday',
  天: 'sunday',
};

const englishWeekday = new RegExp(`\\b(${weekdays.join('|')})\\b`);

function periodOf(lower: string): Period | undefined {
  const lastWeeks = /(?:上周|上个?星期|上个?礼拜)([1-6日天])/.exec(lower);
  if (lastWeeks) return `last_week_${chineseWeekday[lastWeeks[1]!]!}`;
  const chineseDay = /(?:周|星期|礼拜)([1-6日天])/.exec(lower);
  if (chineseDay) return chineseWeekday[chineseDay[1]!];
  const englishDay = englishWeekday.exec(lower);
  if (englishDay) return englishDay[1] as Weekday;
  if (/last week|previous week|上周|上个星期|上星期/.test(lower)) return 'last_week';
  if (/last month|previous month|上个月|上月/.test(lower)) return 'last_month';
  if (/this week|past week|\bweek\b|lately|recently|这周|本周|这个星期|这星期|最近|近来/.test(lower))
    return 'this_week';
  if (/this month|past month|\bmonth\b|这个月|本月/.test(lower)) return 'this_month';
  if (/day before yesterday|前天/.test(lower)) return 'day_before_yesterday';
  if (/yesterday|last night|昨天|昨晚|昨日/.test(lower)) return 'yesterday';
  if (/tomorrow|明天|明早|明晚/.test(lower)) return 'tomorrow';
  if (/today|tonight|this (morning|afternoon|evening)|今天|今晚|今早|今日/.test(lower)) return 'today';
  return undefined;
}
