const ones = [
  'zero',
  'one',
  'two',
  'three',
  'four',
  'five',
  'six',
  'seven',
  'eight',
  'nine',
  'ten',
  'eleven',
  'twelve',
].concat(['thirteen', 'fourteen', 'fifteen', 'sixteen', 'seventeen', 'eighteen', 'nineteen']);
const tens = ['', '', 'twenty', 'thirty', 'forty', 'fifty', 'sixty', 'seventy', 'eighty', 'ninety'];

/** A whole number below a million in words: 135 → "one hundred thirty five". */
export function numberInWords(n: number): string {
  if (n < 20) return ones[n]!;
  if (n < 100) return n % 10 === 0 ? tens[Math.floor(n / 10)]! : `${tens[Math.floor(n / 10)]} ${ones[n % 10]}`;
  if (n < 1000) {
    const rest = n % 100;
    return `${ones[Math.floor(n / 100)]} hundred${rest === 0 ? '' : ` ${numberInWords(rest)}`}`;
  }
  const rest = n % 1000;
  return `${numberInWords(Math.floor(n / 1000))} thousand${rest === 0 ? '' : ` ${numberInWords(rest)}`}`;
}

/**
 * The ways a number is said: 135 as "one hundred thirty five" and "one thirty five", 2024 as
 * "two thousand twenty four" and "twenty twenty four", 8 as "eight".
 */
export function numberReadings(n: number): string[] {
  const readings = [numberInWords(n)];
  if (n >= 100 && n < 10_000 && n % 100 !== 0) {
    const head = Math.floor(n / 100);
    const tail = n % 100;
    readings.push(`${numberInWords(head)} ${tail < 10 ? `oh ${ones[tail]}` : numberInWords(tail)}`);
  }
  return readings;
}

/**
 * English text as the words a person says, for language-model training and for comparing
 * transcripts: lower case, no punctuation, numbers in words ("120/80" → "one twenty over
 * eighty", "37.5" → "thirty seven point five", "8:30" → "eight thirty"). With `variants`, each
 * number's other readings produce extra sentences.
 */
export function spokenWords(text: string, variants = false): string[] {
  let sentences = [''];
  const tokens = text
    .toLowerCase()
    .replace(/(\d)\s*\/\s*(\d)/g, '$1 over $2')
    .replace(/(\d)\s*%/g, '$1 percent')
    .replace(/(\d):(\d\d)/g, (_, h: string, m: string) => (m === '00' ? `${h} o'clock` : `${h} ${m}`))
    .replace(/(\d)(am|pm|mg|kg|lbs?|ml)\b/g, '$1 $2')
    .replace(/\b(am|pm)\b/g, (s) => s.split('').join(' '))
    .replace(/\bmg\b/g, 'milligrams')
    .replace(/\bkg\b/g, 'kilograms')
    .replace(/\blbs?\b/g, 'pounds')
    .replace(/[^a-z0-9.'\s-]/g, ' ')
    .replace(/(?<!\d)\.|\.(?!\d)/g, ' ')
    .replace(/-/g, ' ')
    .split(/\s+/)
    .filter((t) => t !== '' && t !== "'");
  for (const token of tokens) {
    let readings: string[];
    if (/^\d+\.\d+$/.test(token)) {
      const [whole, fraction] = token.split('.') as [string, string];
      readings = [`${numberInWords(Number(whole))} point ${[...fraction].map((d) => ones[Number(d)]).join(' ')}`];
    } else if (/^\d+$/.test(token)) {
      const n = Number(token);
      readings = n < 1_000_000 ? (variants ? numberReadings(n) : [numberReadings(n).at(-1)!]) : [token];
    } else {
      readings = [token.replace(/^'+|'+$/g, '')];
    }
    sentences = variants
      ? sentences.flatMap((s) => readings.map((r) => `${s} ${r}`)).slice(0, 8)
      : sentences.map((s) => `${s} ${readings[0]}`);
  }
  return sentences.map((s) => s.trim()).filter((s) => s !== '');
}
