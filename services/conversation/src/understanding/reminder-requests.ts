import { timesOf } from './spoken-times.js';

/** Which of the reminder requests a sentence makes, if any. */
export type ReminderIntent =
  'add_reminder' | 'add_medication' | 'snooze_reminder' | 'list_reminders' | 'stop_reminders';

/** A dose as said: "81 mg", "two tablets", "10毫克". */
export interface SpokenDose {
  amount: number;
  /** The health service's unit (UCUM or a countable form). */
  unit: string;
}

/** What a reminder request says beyond its intent. */
export interface ReminderRequest {
  intent: ReminderIntent;
  /** Local times "HH:MM" (add_reminder, add_medication). */
  times: string[];
  /**
   * A time was said without saying which half of the day ("at 8", "八点"): it was read as the
   * morning, and the reply says so.
   */
  timeAssumed: boolean;
  /** The medication as named, when it may not be on the person's list yet ("aspirin"). */
  spokenName?: string;
  dose?: SpokenDose;
  /** How long to snooze, in minutes; absent for the default. */
  snoozeMinutes?: number;
  /** Which day's reminders a list is asked for. */
  day?: 'today' | 'tomorrow';
}

const stopReminding =
  /\b(stop|quit|no more|cancel|turn off|disable|don'?t|do not|no longer)\b.{0,20}\b(remind(ing|er|ers)?|alerts?|notif(y|ying|ications?))\b|\b(reminders?|alerts?|notifications?) off\b|(别|不要|不用|不必|停止|取消|关掉|关闭)(再)?(提醒|通知)|提醒.{0,8}(关掉|关闭|取消|停掉)/;
const snooze =
  /\bsnooze\b|\bremind me (again )?(later|in (a few|\d+|an?|half an) (minutes?|mins?|hours?))|\b(later|again) in \d+ (minutes?|mins?)\b|稍后(再)?提醒|待会(儿)?(再)?提醒|等(一)?会(儿)?(再)?提醒|晚(一)?点(再)?提醒|过(一)?会(儿)?(再)?提醒|\d+分钟(以)?后(再)?提醒|推迟|贪睡|再睡一会/;
const listReminders =
  /\b(what|which|any|list|show|tell me|read)\b.{0,30}\breminders?\b|\breminders? (do i have|are (set|there|left|coming)|for (today|tomorrow|tonight))\b|\bmy reminders\b|(有|还有)(哪些|什么|几个|多少)提醒|提醒(有哪些|列表|清单|都有什么|是什么)|哪些提醒|什么提醒/;
const addMedication =
  /^(please |can you |could you )?(add|start)\b|\bi'?m (starting|now taking|on)\b|\bi (started|now take|have to take|need to take)\b.*\b(every|daily|each|at \d)|(添加|加上|新增|加一个|加个|开始吃|开始服用)/;
const dailyChinese = /(每天|每日|每晚|每早|天天).{0,8}(吃|服用|服)/;
const genericNames =
  /^(my |the |a |an |some )*(pills?|medicines?|medications?|meds|tablets?|drugs?|doses?|it|them|药|药物|药片)$/;

/**
 * Reminder requests ("remind me to take aspirin at 8", "add lisinopril 10 mg every morning at
 * 7", "snooze 10 minutes", "what reminders do I have today", "stop reminding me about vitamin
 * D", and "八点提醒我吃阿司匹林", "每天早上七点吃赖诺普利10毫克", "稍后提醒我", "今天有哪些提醒",
 * "别再提醒我吃维生素D"), read from the text with its numbers as digits. Stopping comes first,
 * so "stop reminding me" never adds a reminder.
 */
export function reminderRequestOf(lower: string, said = lower): ReminderRequest | undefined {
  const day: 'today' | 'tomorrow' = /\btomorrow\b|明天/.test(lower) ? 'tomorrow' : 'today';
  const base = { times: [], timeAssumed: false };
  if (stopReminding.test(lower)) return { ...base, intent: 'stop_reminders', spokenName: nameAfterVerb(lower, said) };
  if (snooze.test(lower)) return { ...base, intent: 'snooze_reminder', snoozeMinutes: minutesOf(lower) };
  if (listReminders.test(lower) && !/^(please |can you |could you )?(set|add|create)\b/.test(lower))
    return { ...base, intent: 'list_reminders', day };
  const reminder =
    /\bremind|\breminder|\balert me|\bnotify me|\bping me|\balarm\b|don'?t let me forget|\bschedule (my|the)\b|提醒|闹钟|叫我吃|喊我吃/;
  const adding =
    (addMedication.test(lower) || dailyChinese.test(lower)) &&
    !/appointment|dentist|doctor|calendar|meeting|reading|预约|日程|看医生/.test(lower);
  if (!reminder.test(lower) && !adding) return undefined;
  if (/did i|have i|吗/.test(lower)) return undefined;
  const times = timesOf(lower);
  return {
    intent: reminder.test(lower) ? 'add_reminder' : 'add_medication',
    times,
    timeAssumed: times.length > 0 && halfOfDayUnsaid(lower, times),
    spokenName: nameAfterVerb(lower, said),
    dose: doseOf(lower),
  };
}

/** Whether a time between 1 and 11 was said with nothing telling morning from evening. */
function halfOfDayUnsaid(lower: string, times: readonly string[]): boolean {
  const saidHalf =
    /\b(am|pm|a\.m|p\.m|morning|evening|afternoon|night|tonight|noon|midnight|bedtime|breakfast|lunch|dinner)\b|\d(am|pm)\b|凌晨|早上|早晨|上午|中午|下午|傍晚|晚上|今晚|明晚|睡前|早饭|午饭|晚饭/;
  if (saidHalf.test(lower)) return false;
  return times.some((t) => {
    const hour = Number(t.slice(0, 2));
    return hour >= 1 && hour <= 11;
  });
}

const englishUnits: [RegExp, string][] = [
  [/^(mg|milligrams?|milligrammes?)$/, 'mg'],
  [/^(mcg|micrograms?|ug|µg)$/, 'mcg'],
  [/^(g|grams?)$/, 'g'],
  [/^(ml|milliliters?|millilitres?)$/, 'mL'],
  [/^(iu|international units?)$/, 'IU'],
  [/^units?$/, 'unit'],
  [/^(tablets?|pills?)$/, 'tablet'],
  [/^capsules?$/, 'capsule'],
  [/^puffs?$/, 'puff'],
  [/^drops?$/, 'drop'],
  [/^sprays?$/, 'spray'],
  [/^patch(es)?$/, 'patch'],
];
const chineseUnits: Record<string, string> = {
  毫克: 'mg',
  微克: 'mcg',
  克: 'g',
  毫升: 'mL',
  国际单位: 'IU',
  单位: 'unit',
  片: 'tablet',
  粒: 'capsule',
  颗: 'tablet',
  喷: 'puff',
  滴: 'drop',
  贴: 'patch',
};

/** The dose said with the medication, if any. */
export function doseOf(lower: string): SpokenDose | undefined {
  const english =
    /(\d+(?:\.\d+)?)\s*(mg|milligrams?|milligrammes?|mcg|micrograms?|ug|µg|g|grams?|ml|milliliters?|millilitres?|iu|international units?|units?|tablets?|pills?|capsules?|puffs?|drops?|sprays?|patch(?:es)?)\b/.exec(
      lower,
    );
  if (english) {
    const unit = englishUnits.find(([pattern]) => pattern.test(english[2]!))?.[1];
    if (unit) return { amount: Number(english[1]), unit };
  }
  const chinese = /(\d+(?:\.\d+)?)\s*(毫克|微克|毫升|国际单位|单位|克|片|粒|颗|喷|滴|贴)/.exec(lower);
  if (chinese) return { amount: Number(chinese[1]), unit: chineseUnits[chinese[2]!]! };
  return undefined;
}

/** Minutes in "snooze 10 minutes", "in half an hour", "20分钟后", "半小时后". */
function minutesOf(lower: string): number | undefined {
  const minutes = /(\d+)\s*(minutes?|mins?\b|分钟)/.exec(lower);
  if (minutes) return Number(minutes[1]);
  if (/half an hour|半(个)?小时/.test(lower)) return 30;
  const hours = /(\d+|an?)\s*(hours?\b|个?小时)/.exec(lower);
  if (hours) return (hours[1] === 'a' || hours[1] === 'an' ? 1 : Number(hours[1])) * 60;
  return undefined;
}

const englishNameEnd =
  /\s+(?:at|every|each|daily|in|on|with|before|after|tonight|today|tomorrow|twice|once|for|by|and|from|please|starting|anymore|any more|any longer)\b.*$|[,.!?;].*$/;

/**
 * The medication's name as said, after the verb that takes it: "take (81 mg) aspirin at 8",
 * "add lisinopril 10 mg", "reminding me about vitamin d", "吃阿司匹林", "服用赖诺普利10毫克". A
 * generic word ("my pills", "药") is no name. English is read with numbers as digits; Chinese
 * from the words as said (`said`), since numerals are part of some names ("二甲双胍").
 */
export function nameAfterVerb(lower: string, said = lower): string | undefined {
  const english =
    /\b(?:take|taking|add|start|starting|put|about|for|of|on|forget|remind me (?:of|about)|schedule)\s+(?:my |the |a |an |some )?(?:\d+(?:\.\d+)?\s*[a-zµ]+\s+(?:of\s+)?)?([a-z][a-z0-9 -]*)/.exec(
      lower,
    );
  if (english) {
    const name = english[1]!
      .replace(englishNameEnd, '')
      .replace(/\s+\d.*$/, '')
      .replace(/\s+(reminders?|pills?|tablets?|medicine|medication|every day|daily)$/, '')
      .trim();
    if (name && !genericNames.test(name) && !/^(me|to|it|reminding|a reminder|reminders?)$/.test(name)) return name;
  }
  const chinese =
    /(?:吃|服用|服|加上|添加|新增)\s*([\u4e00-\u9fffa-z][\u4e00-\u9fffa-z0-9 ]*?)(?=\s*\d|的?提醒|了|吧|。|，|,|$)/.exec(
      said,
    );
  if (chinese) {
    const name = chinese[1]!
      .replace(/^(我的|一种|一个|个)/, '')
      .replace(/[零〇一二两三四五六七八九十百千]+(毫克|微克|毫升|国际单位|单位|克|片|粒|颗|喷|滴|贴).*$/, '')
      .trim();
    if (name && !genericNames.test(name)) return name;
  }
  return undefined;
}
