import { BloodPressureCategory } from '@tend/proto/tend/health/v1/vitals';
import type { VitalKindName } from '../understanding/understand.js';

type Locale = 'en' | 'zh';

const categories: Record<Locale, Partial<Record<BloodPressureCategory, string>>> = {
  en: {
    [BloodPressureCategory.NORMAL]: 'normal',
    [BloodPressureCategory.ELEVATED]: 'elevated',
    [BloodPressureCategory.HYPERTENSION_STAGE_1]: 'stage 1 hypertension',
    [BloodPressureCategory.HYPERTENSION_STAGE_2]: 'stage 2 hypertension',
    [BloodPressureCategory.HYPERTENSIVE_CRISIS]: 'a hypertensive crisis',
  },
  zh: {
    [BloodPressureCategory.NORMAL]: '正常',
    [BloodPressureCategory.ELEVATED]: '偏高',
    [BloodPressureCategory.HYPERTENSION_STAGE_1]: '1级高血压',
    [BloodPressureCategory.HYPERTENSION_STAGE_2]: '2级高血压',
    [BloodPressureCategory.HYPERTENSIVE_CRISIS]: '高血压危象',
  },
};

const kindNames: Record<Locale, Record<VitalKindName, string>> = {
  en: {
    blood_pressure: 'blood pressure',
    heart_rate: 'heart rate',
    weight: 'weight',
    glucose: 'blood sugar',
    spo2: 'oxygen saturation',
    temperature: 'temperature',
    sleep: 'sleep',
    steps: 'steps',
  },
  zh: {
    blood_pressure: '血压',
    heart_rate: '心率',
    weight: '体重',
    glucose: '血糖',
    spo2: '血氧',
    temperature: '体温',
    sleep: '睡眠',
    steps: '步数',
  },
};

/** Units as they are said, where the health service's code ("h", "{steps}", "Cel") is not. */
const unitWords: Record<Locale, Record<string, string>> = {
  en: { h: 'hours', '{steps}': 'steps', Cel: '°C', '[degF]': '°F', '/min': 'beats a minute', 'mm[Hg]': 'mmHg' },
  zh: { h: '小时', '{steps}': '步', Cel: '°C', '[degF]': '°F', '/min': '次/分', 'mm[Hg]': 'mmHg' },
};

export function spokenUnit(l: Locale, unit: string): string {
  return unitWords[l][unit] ?? unit;
}

/**
 * Every sentence the embedded brain says, in English and Chinese. It reports what was done and
 * what the record says; it never advises a dose, a diagnosis or a change of medication.
 */
export const replies = {
  emergency: (l: Locale) =>
    l === 'zh'
      ? '这可能是紧急情况。请立即拨打当地急救电话（中国大陆为120），或请身边的人帮忙。'
      : 'This may be an emergency. Call your local emergency number now (911 in the US, 112 in Europe), or ask someone near you for help.',
  recordedPressure: (l: Locale, systolic: number, diastolic: number, category: BloodPressureCategory) => {
    const name = categories[l][category];
    if (l === 'zh') return `已记录血压 ${systolic}/${diastolic}。${name ? `按照ACC/AHA标准，这属于${name}。` : ''}`;
    return `I've recorded your blood pressure of ${systolic}/${diastolic}.${name ? ` By the ACC/AHA guideline that is ${name}.` : ''}`;
  },
  crisisAdvice: (l: Locale) =>
    l === 'zh'
      ? '读数非常高。如果有胸痛、呼吸困难、头痛或视力变化，请立即拨打急救电话。'
      : 'That reading is very high. If you have chest pain, shortness of breath, headache or vision changes, call emergency services now.',
  recordedReading: (l: Locale, kind: VitalKindName, value: number, unit: string) =>
    l === 'zh'
      ? `已记录${kindNames.zh[kind]}：${value} ${spokenUnit(l, unit)}。`
      : `I've recorded your ${kindNames.en[kind]}: ${value} ${spokenUnit(l, unit)}.`,
  doseLogged: (l: Locale, medication: string, status: 'taken' | 'skipped') =>
    l === 'zh'
      ? status === 'taken'
        ? `好的，已记录你服用了${medication}。`
        : `好的，已记录跳过这次${medication}。`
      : status === 'taken'
        ? `Got it — I've marked your ${medication} as taken.`
        : `Okay — I've noted that you skipped your ${medication}.`,
  whichMedication: (l: Locale, names: readonly string[]) =>
    l === 'zh' ? `你指的是哪一个：${names.join('还是')}？` : `Which one — ${names.join(' or ')}?`,
  unknownMedication: (l: Locale) =>
    l === 'zh'
      ? '我在你的药物清单里没找到这个药。可以先在应用里添加它。'
      : "I couldn't find that medication on your list. You can add it in the app first.",
  summary: (l: Locale, kind: VitalKindName, count: number, text: string) =>
    count === 0
      ? l === 'zh'
        ? `这段时间没有${kindNames.zh[kind]}记录。`
        : `There are no ${kindNames.en[kind]} readings for that period.`
      : l === 'zh'
        ? `这段时间有${count}次${kindNames.zh[kind]}记录：${text}`
        : `You have ${count} ${kindNames.en[kind]} reading${count === 1 ? '' : 's'} for that period: ${text}`,
  adherence: (l: Locale, taken: number, scheduled: number, missed: number) =>
    scheduled === 0
      ? l === 'zh'
        ? '这段时间没有安排的服药。'
        : 'No doses were scheduled in that period.'
      : l === 'zh'
        ? `你按时服用了${scheduled}次中的${taken}次${missed > 0 ? `，漏服${missed}次` : '，没有漏服'}。`
        : `You took ${taken} of ${scheduled} scheduled doses${missed > 0 ? ` and missed ${missed}` : ' and missed none'}.`,
  dosesToTake: (l: Locale, lines: readonly string[]) =>
    lines.length === 0
      ? l === 'zh'
        ? '这段时间没有要服的药。'
        : 'Nothing is scheduled for that time.'
      : l === 'zh'
        ? `要服的药：${lines.join('；')}。`
        : `Here's what's scheduled: ${lines.join('; ')}.`,
  medications: (l: Locale, names: readonly string[]) =>
    names.length === 0
      ? l === 'zh'
        ? '你的清单上还没有药物。'
        : 'You have no medications on your list yet.'
      : l === 'zh'
        ? `你的药物：${names.join('、')}。`
        : `Your medications: ${names.join(', ')}.`,
  stopped: (l: Locale, medication: string) =>
    l === 'zh'
      ? `已停止${medication}，之后不会再提醒。`
      : `I've stopped ${medication}; you won't get reminders for it anymore.`,
  noMedicalAdvice: (l: Locale) =>
    l === 'zh'
      ? '我不能给出剂量、诊断或用药调整的建议，也不会自己编造。请咨询你的医生或药剂师。我可以帮你记录读数和服药情况，方便给医生看。'
      : "I can't advise on doses, diagnoses or changes to your medication, and I won't guess. Please ask your doctor or pharmacist — I can keep a record of your readings and doses to show them.",
  cannotYet: (l: Locale) => (l === 'zh' ? '抱歉，我暂时还不能查这个。' : "Sorry, I can't look that up yet."),
  greeting: (l: Locale, name: string) => (l === 'zh' ? `你好，${name}！` : `Hi ${name}!`),
  thanks: (l: Locale) => (l === 'zh' ? '不客气！' : "You're welcome!"),
  help: (l: Locale) =>
    l === 'zh'
      ? '我可以记录血压、体重、血糖、睡眠、步数等健康数据，记录服药，提醒吃药，告诉你这周的健康趋势。'
      : 'I can record your blood pressure, weight, blood sugar, sleep, steps and other vitals, log your doses, remind you to take medications, and tell you how your week went.',
  unknown: (l: Locale) =>
    l === 'zh'
      ? '抱歉，我没听懂。你可以说"我的血压是130/85"或"我吃了药"。'
      : 'Sorry, I didn\'t catch that. You can say things like "my blood pressure is 130 over 85" or "I took my metformin".',
  failed: (l: Locale) =>
    l === 'zh'
      ? '抱歉，这次没有成功，请稍后再试。'
      : "Sorry, that didn't work this time. Please try again in a moment.",
};
