/**
 * Times of day said in a sentence (numbers already written as digits), as local "HH:MM": "at 8",
 * "8 am", "8:30 pm", "730 pm" ("seven thirty pm"), "half past 7", "quarter to 9 tonight",
 * "8 in the morning and 8 in the evening", "noon"; "早上8点", "晚上9点半", "8点1刻", "下午3点".
 * A time without am/pm is in the evening when the words right after it (or the sentence, if it
 * names one time) say so.
 */
export function timesOf(lower: string): string[] {
  const times = [...englishTimes(lower), ...chineseTimes(lower)];
  if (/\bnoon\b|\bmidday\b/.test(lower)) times.push(clock(12, 0));
  if (/\bmidnight\b/.test(lower)) times.push(clock(0, 0));
  return [...new Set(times)];
}

const evening = /^\s*(pm|p\.m\.?|in the (afternoon|evening)|at night|tonight)/;
const morning = /^\s*(am|a\.m\.?|in the morning)/;

function englishTimes(lower: string): string[] {
  const times: string[] = [];
  const said =
    /\b(?:(half|quarter) (past|to) (\d{1,2})|(\d{1,2}):(\d{2})|(\d{3,4})(?=\s*(?:am|pm|a\.m|p\.m|in the|at night|tonight|daily|every|$))|(?<=\bat )(\d{3,4})|(\d{1,2})(?=\s*(?:am|pm|a\.m|p\.m|o'?clock|in the|at night)))|(?<=\bat |\bfor |\bby )(\d{1,2})\b(?!\s*(?:days?|weeks?|months?|minutes?|hours?|times?|pills?|tablets?|mg)\b)/g;
  const matches = [...lower.matchAll(said)];
  for (const match of matches) {
    let hour: number;
    let minute = 0;
    if (match[1]) {
      hour = Number(match[3]);
      minute = match[1] === 'half' ? 30 : 15;
      if (match[2] === 'to') {
        hour -= 1;
        minute = 60 - minute;
      }
    } else if (match[4]) {
      hour = Number(match[4]);
      minute = Number(match[5]);
    } else {
      const digits = match[6] ?? match[7];
      if (digits) {
        hour = Math.floor(Number(digits) / 100);
        minute = Number(digits) % 100;
      } else hour = Number(match[8] ?? match[9]);
    }
    const rest = lower.slice(match.index + match[0].length);
    const onlyTime = matches.length === 1;
    if (
      evening.test(rest) ||
      (onlyTime && !morning.test(rest) && /\b(evening|tonight|night|afternoon)\b/.test(lower))
    ) {
      if (hour < 12) hour += 12;
    } else if (/^\s*(am|a\.m)/.test(rest) && hour === 12) hour = 0;
    if (hour < 24 && minute < 60) times.push(clock(hour, minute));
  }
  return times;
}

function chineseTimes(lower: string): string[] {
  const times: string[] = [];
  for (const match of lower.matchAll(
    /(凌晨|早上|早晨|上午|中午|下午|傍晚|晚上|今晚|明晚)?\s*(\d{1,2})\s*[点點](半|(\d)刻|(\d{1,2})分?)?/g,
  )) {
    let hour = Number(match[2]);
    const part = match[1] ?? '';
    if ((/下午|傍晚|晚/.test(part) && hour < 12) || (part === '中午' && hour < 6)) hour += 12;
    const minute = match[3] === '半' ? 30 : match[4] ? Number(match[4]) * 15 : Number(match[5] ?? 0);
    if (hour < 24 && minute < 60) times.push(clock(hour, minute));
  }
  return times;
}

function clock(hour: number, minute: number): string {
  return `${String(hour).padStart(2, '0')}:${String(minute).padStart(2, '0')}`;
}
