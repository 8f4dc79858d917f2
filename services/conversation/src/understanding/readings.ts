/** The vitals a person can say or ask about, named as the health service names them. */
export const vitalKindNames = [
  'blood_pressure',
  'heart_rate',
  'weight',
  'glucose',
  'spo2',
  'temperature',
  'sleep',
  'steps',
] as const;

export type VitalKindName = (typeof vitalKindNames)[number];

/** A reading said in a sentence, in the health service's unit strings. */
export interface SpokenVital {
  kind: VitalKindName;
  value?: number;
  systolic?: number;
  diastolic?: number;
  unit?: string;
}

/**
 * The words that name each kind, in the order a sentence naming several is read: "my blood
 * sugar after my walk" is about sugar, "I took my temperature" is about temperature. Units that
 * only one kind has ("kilos", "bpm", "mmol") name it as well.
 */
const kindWords: readonly [VitalKindName, RegExp][] = [
  ['blood_pressure', /blood pressure|\bbp\b|\bpressure\b|血压|高压|低压/],
  ['glucose', /glucose|\bsugar|\bmmol|mg\/dl|血糖/],
  ['spo2', /oxygen|\bspo2\b|\bo2\b|\bsats?\b|saturation|pulse ?ox|血氧/],
  ['temperature', /temperature|\btemp\b|fever|thermometer|fahrenheit|celsius|体温|发烧|发热/],
  ['heart_rate', /heart ?rate|heart ?beat|\bheart'?s\b|pulse|\bbpm\b|心率|脉搏|心跳/],
  ['sleep', /\bsle(ep|pt)|睡/],
  ['steps', /\bsteps?\b|\bwalked\b|步/],
  ['weight', /\bweigh|\bscale\b|\b(kgs?|kilos?|kilograms?|lbs?|pounds?)\b|体重|公斤|千克|\d\s*斤|称/],
];

/** Which kind a sentence names, if any. */
export function kindNamed(lower: string): VitalKindName | undefined {
  return namingOf(lower)?.kind;
}

/** The kind a sentence names and where its words are. */
function namingOf(lower: string): { kind: VitalKindName; words: RegExpExecArray } | undefined {
  for (const [kind, pattern] of kindWords) {
    const words = pattern.exec(lower);
    if (words) return { kind, words };
  }
  return undefined;
}

/**
 * A reading stated in the sentence (numbers already written as digits), or undefined: a blood
 * pressure as "135 over 85", "135/85" or "高压135低压85", or a named kind with its number — the
 * number after the words that name it ("pulse was 65"), else the one before ("8000 steps").
 */
export function readingOf(lower: string): SpokenVital | undefined {
  const pressure = pressureOf(lower);
  if (pressure) return pressure;
  const naming = namingOf(lower);
  if (!naming || naming.kind === 'blood_pressure') return undefined;
  const { kind, words } = naming;
  const end = words.index + words[0].length;
  // Before the words, they may be the unit itself ("210 pounds").
  const number = numberWithUnit(lower.slice(end)) ?? numberWithUnit(lower.slice(0, end), 'last');
  if (!number) return undefined;
  return { kind, ...valueWithUnit(kind, number.value, number.unit, lower) };
}

function pressureOf(lower: string): SpokenVital | undefined {
  const named = /blood pressure|\bbp\b|\bpressure\b|systolic|血压|高压|收缩压/.test(lower);
  const said =
    /(\d{2,3})\s*(?:over|\/|／|on|by)\s*(\d{2,3})(?!\d)/.exec(lower) ??
    /(?:高压|收缩压|systolic|top(?: number)?)\D{0,12}(\d{2,3}).*(?:低压|舒张压|diastolic|bottom)\D{0,12}(\d{2,3})/.exec(
      lower,
    ) ??
    (named ? /(\d{2,3})\s*[,，、]\s*(\d{2,3})(?!\d)/.exec(lower) : null);
  if (!said) return undefined;
  const systolic = Number(said[1]);
  const diastolic = Number(said[2]);
  // Without the words, only a pair that can be a blood pressure is one ("135/85", not "7/30").
  const plausible = systolic > diastolic && systolic >= 60 && diastolic >= 30;
  if (!named && !(/\bover\b/.test(said[0]) || plausible)) return undefined;
  return { kind: 'blood_pressure', systolic, diastolic };
}

const unitPattern =
  /(\d+(?:\.\d+)?)\s*(kilos?|kilograms?|kgs?|pounds?|lbs?|公斤|千克|斤|mmol(?:\/l)?|mg(?:\s*\/\s*dl)?|%|percent|degrees?(?:\s*[cf]\b|\s*fahrenheit|\s*celsius)?|°\s*[cf]?|[cf]\b|fahrenheit|celsius|度\d?|bpm|次|个半(?:小时|钟头)|个?(?:小时|钟头)|hours?|hrs?|h\b)?/g;

/** The first (or last) number in the text that is not a time of day, with the unit said after it. */
function numberWithUnit(text: string, which: 'first' | 'last' = 'first'): { value: number; unit: string } | undefined {
  const found = [...text.matchAll(unitPattern)].filter(
    (m) => !/^\s*(am|pm|a\.m|p\.m|o'?clock|点)/.test(text.slice(m.index + m[0].length)),
  );
  // A number said with a unit is the reading ("称了一下120斤": not the 1 of 一下).
  const withUnit = found.filter((m) => m[2] !== undefined);
  const candidates = withUnit.length > 0 ? withUnit : found;
  const match = which === 'first' ? candidates[0] : candidates.at(-1);
  if (!match) return undefined;
  const unit = (match[2] ?? '').replace(/\s/g, '');
  let value = Number(match[1]);
  if (unit.startsWith('个半')) value += 0.5;
  // "三十八度五": a Chinese temperature says its tenths after 度.
  if (/^度\d$/.test(unit)) value = Number(`${match[1]}.${unit.slice(1)}`);
  return { value, unit };
}

function valueWithUnit(
  kind: VitalKindName,
  value: number,
  unit: string,
  lower: string,
): { value: number; unit?: string } {
  switch (kind) {
    case 'weight':
      if (/^(pounds?|lbs?)$/.test(unit)) return { value, unit: 'lb' };
      if (unit === '斤') return { value: value / 2, unit: 'kg' };
      return { value, unit: 'kg' };
    case 'glucose':
      if (/^mmol/.test(unit) || (!/^mg/.test(unit) && value < 35)) return { value, unit: 'mmol/L' };
      return { value, unit: 'mg/dL' };
    case 'temperature': {
      const fahrenheit = /f$|fahrenheit/.test(unit) || /fahrenheit/.test(lower) || value > 50;
      return { value, unit: fahrenheit ? '[degF]' : 'Cel' };
    }
    case 'spo2':
      return { value, unit: '%' };
    case 'heart_rate':
      return { value, unit: '/min' };
    case 'sleep':
      return { value, unit: 'h' };
    case 'steps':
      return { value, unit: '{steps}' };
    case 'blood_pressure':
      return { value };
  }
}
