const units: Record<string, number> = {
  zero: 0,
  oh: 0,
  one: 1,
  a: 1,
  two: 2,
  three: 3,
  four: 4,
  five: 5,
  six: 6,
  seven: 7,
  eight: 8,
  nine: 9,
  ten: 10,
  eleven: 11,
  twelve: 12,
  thirteen: 13,
  fourteen: 14,
  fifteen: 15,
  sixteen: 16,
  seventeen: 17,
  eighteen: 18,
  nineteen: 19,
};
const tens: Record<string, number> = {
  twenty: 20,
  thirty: 30,
  forty: 40,
  fifty: 50,
  sixty: 60,
  seventy: 70,
  eighty: 80,
  ninety: 90,
};
const chineseDigits: Record<string, number> = {
  零: 0,
  〇: 0,
  一: 1,
  二: 2,
  两: 2,
  三: 3,
  四: 4,
  五: 5,
  六: 6,
  七: 7,
  八: 8,
  九: 9,
};

/**
 * The text with numbers said in words written as digits, so the patterns downstream see one
 * form: "one hundred and thirty five over eighty five" → "135 over 85", "seventy two point
 * five" → "72.5", "一百三十五" → "135", "三十六点五" → "36.5". A lone "a" or "one" that is not
 * part of a number ("a cup", "one of them") is left alone.
 */
export function digitsForSpokenNumbers(text: string): string {
  // "six and a half" (hours) is 6.5, however the six was said.
  return englishNumbers(chineseNumbers(text)).replace(/(\d+)\s+and a half\b/gi, '$1.5');
}

function englishNumbers(text: string): string {
  const words = text.split(/(\s+|-)/);
  const out: string[] = [];
  let i = 0;
  while (i < words.length) {
    const parsed = /^\s*$|^-$/.test(words[i]!) ? undefined : parseEnglishNumber(words, i);
    if (parsed) {
      out.push(String(parsed.value));
      i = parsed.next;
    } else {
      out.push(words[i]!);
      i++;
    }
  }
  return out.join('');
}

/** Reads a number starting at `words[start]`, skipping separators; undefined when there is none. */
function parseEnglishNumber(words: string[], start: number): { value: number; next: number } | undefined {
  let total = 0;
  let current = 0;
  let seen = 0;
  let i = start;
  let last = start;
  let decimals = '';
  const word = (k: number) => words[k]?.toLowerCase().replace(/[^a-z]/g, '') ?? '';
  while (i < words.length) {
    const raw = words[i]!;
    if (/^\s+$|^-$/.test(raw)) {
      i++;
      continue;
    }
    const w = word(i);
    // Two numbers said side by side are one: "one forty" (a blood pressure said the short way) is
    // 140, "ten thirty" and "twelve fifteen" (times) are 1030 and 1215.
    const sideBySide = seen === 1 && current > 0 && current < 20 && (w in tens || (units[w] ?? 0) >= 10);
    if (sideBySide) current = current * 100 + (tens[w] ?? units[w]!);
    else if (w in units && !(w === 'a' && word(i + 2) !== 'hundred')) current += units[w]!;
    else if (w in tens) current += tens[w]!;
    else if (w === 'hundred' && seen > 0) current = (current || 1) * 100;
    else if (w === 'thousand' && seen > 0) {
      total += (current || 1) * 1000;
      current = 0;
    } else if (w === 'and' && hundreds(total + current) && (word(i + 2) in units || word(i + 2) in tens)) {
      // "one hundred and five"; but "seven and eight" are two numbers.
      i++;
      continue;
    } else if (w === 'point' && seen > 0 && word(i + 2) in units) {
      let k = i + 2;
      while (k < words.length && word(k) in units) {
        decimals += String(units[word(k)]);
        k += 2;
      }
      last = k - 2;
      break;
    } else break;
    seen++;
    last = i;
    i++;
  }
  if (seen === 0) return undefined;
  // "one" or "a" alone is usually not a quantity ("one of my pills"), except as a time ("at one pm").
  const time = /^(am|pm|oclock)$/.test(word(last + 2));
  if (seen === 1 && !time && (word(start) === 'a' || word(start) === 'one' || word(start) === 'oh')) return undefined;
  const value = total + current;
  return { value: decimals ? Number(`${value}.${decimals}`) : value, next: last + 1 };
}

/** A whole number of hundreds, after which "and" continues the number. */
function hundreds(value: number): boolean {
  return value > 0 && value % 100 === 0;
}

const wordsWithOne = /[起下些直样定般会边切共向旦同]/;

function chineseNumbers(text: string): string {
  return (
    text
      // "百分之九十七" is 97 %; read it before "百" is taken for a hundred.
      .replace(/百分之([零〇一二两三四五六七八九十百]+)/g, (_, n: string) => `${parseChineseInteger(n) ?? n}%`)
      .replace(
        /[零〇一二两三四五六七八九十百千万]+(?:点[零〇一二三四五六七八九]+)?/g,
        (match, at: number, all: string) => {
          // A lone 一 in a word is not a number: 一起, 一下, 一些, 一直, 一样, and 下一次 ("next time").
          if (match === '一' && (wordsWithOne.test(all.charAt(at + 1)) || all.charAt(at - 1) === '下')) return match;
          const [whole, fraction] = match.split('点') as [string, string | undefined];
          const value = parseChineseInteger(whole);
          if (value === undefined) return match;
          const decimals = fraction ? [...fraction].map((c) => chineseDigits[c]).join('') : '';
          return decimals ? `${value}.${decimals}` : String(value);
        },
      )
  );
}

function parseChineseInteger(text: string): number | undefined {
  const tenThousands = text.indexOf('万');
  if (tenThousands >= 0) {
    const high = tenThousands === 0 ? 1 : parseChineseInteger(text.slice(0, tenThousands));
    const rest = text.slice(tenThousands + 1);
    // "一万二" is said for 12,000: a lone digit after 万 counts thousands.
    const low = rest.length === 1 && rest in chineseDigits ? chineseDigits[rest]! * 1000 : parseChineseInteger(rest);
    return high === undefined || (rest !== '' && low === undefined) ? undefined : high * 10_000 + (low ?? 0);
  }
  if (text === '') return undefined;
  // Plain digit strings ("一三五") read digit by digit.
  if (!/[十百千]/.test(text)) {
    const digits = [...text].map((c) => chineseDigits[c]);
    return digits.some((d) => d === undefined) ? undefined : Number(digits.join(''));
  }
  let total = 0;
  let digit = 0;
  let lastUnit = 1;
  for (const c of text) {
    if (c in chineseDigits) digit = chineseDigits[c]!;
    else if (c === '十') {
      total += (digit || 1) * 10;
      digit = 0;
      lastUnit = 10;
    } else if (c === '百') {
      total += digit * 100;
      digit = 0;
      lastUnit = 100;
    } else if (c === '千') {
      total += digit * 1000;
      digit = 0;
      lastUnit = 1000;
    }
  }
  // "一百二" is 120 and "三千五" 3,500: a last lone digit counts the unit below the last one.
  const trailing = lastUnit >= 100 && digit > 0 && !/[零〇]/.test(text) ? (digit * lastUnit) / 10 : digit;
  return total + trailing;
}
