/**
 * The rule table behind health advisories: which medications and conditions make heat, cold or
 * polluted air riskier, with where each rule comes from. Matching is by lower-cased substring of
 * the names a person entered ("Furosemide 40 mg" matches "furosemide"), English and Chinese.
 * It is advice to take care, never a dose change: the messages say to ask a clinician.
 */
export type AdvisoryKindName = 'heat' | 'cold' | 'air';
export type AdvisoryLevelName = 'info' | 'warning' | 'danger';

/** One row: a risk factor and why it matters. */
export interface RiskRule {
  id: string;
  kind: AdvisoryKindName;
  /** Matched against medication names. */
  medications?: readonly string[];
  /** Matched against the profile's conditions. */
  conditions?: readonly string[];
  reason: { en: string; zh: string };
  source: string;
}

const cdcHeatMeds =
  'CDC, Heat and Medications – Guidance for Clinicians (2024), cdc.gov/heat-health/hcp/clinical-guidance/heat-and-medications-guidance-for-clinicians.html';
const whoHeat =
  'WHO, Heat and health fact sheet (2024), who.int/news-room/fact-sheets/detail/climate-change-heat-and-health';
const ukhsaCold = 'UKHSA, Cold Weather Plan / Adverse Weather and Health Plan (2023), gov.uk';
const epaAqi = 'US EPA, AQI Basics – sensitive groups (airnow.gov/aqi/aqi-basics)';
const eeaAqi = 'EEA, European Air Quality Index – health recommendations (airindex.eea.europa.eu)';

export const riskRules: readonly RiskRule[] = [
  {
    id: 'diuretic-heat',
    kind: 'heat',
    medications: [
      'furosemide',
      'hydrochlorothiazide',
      'chlorthalidone',
      'bumetanide',
      'torsemide',
      'torasemide',
      'spironolactone',
      'indapamide',
      '呋塞米',
      '氢氯噻嗪',
      '螺内酯',
      '吲达帕胺',
    ],
    reason: { en: 'a diuretic (dehydration and low salt in heat)', zh: '利尿剂（高温下易脱水、低钠）' },
    source: cdcHeatMeds,
  },
  {
    id: 'raas-heat',
    kind: 'heat',
    medications: [
      'lisinopril',
      'enalapril',
      'ramipril',
      'perindopril',
      'losartan',
      'valsartan',
      'candesartan',
      'irbesartan',
      'telmisartan',
      '依那普利',
      '雷米普利',
      '氯沙坦',
      '缬沙坦',
    ],
    reason: {
      en: 'an ACE inhibitor or ARB (low blood pressure and kidney strain when dehydrated)',
      zh: 'ACE抑制剂或ARB（脱水时易低血压、伤肾）',
    },
    source: cdcHeatMeds,
  },
  {
    id: 'beta-blocker-heat',
    kind: 'heat',
    medications: [
      'metoprolol',
      'atenolol',
      'propranolol',
      'bisoprolol',
      'carvedilol',
      'nebivolol',
      '美托洛尔',
      '阿替洛尔',
      '比索洛尔',
    ],
    reason: { en: 'a beta blocker (less ability to cool down)', zh: 'β受体阻滞剂（散热能力下降）' },
    source: cdcHeatMeds,
  },
  {
    id: 'anticholinergic-heat',
    kind: 'heat',
    medications: [
      'oxybutynin',
      'diphenhydramine',
      'amitriptyline',
      'benztropine',
      'tolterodine',
      '奥昔布宁',
      '苯海拉明',
      '阿米替林',
    ],
    reason: { en: 'an anticholinergic medicine (less sweating)', zh: '抗胆碱药（出汗减少）' },
    source: cdcHeatMeds,
  },
  {
    id: 'antipsychotic-lithium-heat',
    kind: 'heat',
    medications: [
      'lithium',
      'olanzapine',
      'quetiapine',
      'risperidone',
      'haloperidol',
      'clozapine',
      '锂',
      '奥氮平',
      '喹硫平',
      '利培酮',
    ],
    reason: {
      en: 'lithium or an antipsychotic (heat stroke and toxicity risk)',
      zh: '锂盐或抗精神病药（中暑及中毒风险）',
    },
    source: cdcHeatMeds,
  },
  {
    id: 'sglt2-heat',
    kind: 'heat',
    medications: ['empagliflozin', 'dapagliflozin', 'canagliflozin', '恩格列净', '达格列净'],
    reason: { en: 'an SGLT2 inhibitor (fluid loss)', zh: 'SGLT2抑制剂（体液流失）' },
    source: cdcHeatMeds,
  },
  {
    id: 'heart-kidney-heat',
    kind: 'heat',
    conditions: [
      'heart',
      'cardiac',
      'kidney',
      'renal',
      'diabetes',
      'hypertension',
      'blood pressure',
      '血压',
      '心脏',
      '心衰',
      '肾',
      '糖尿病',
      '高血压',
    ],
    reason: { en: 'a heart, kidney or metabolic condition', zh: '心脏、肾脏或代谢性疾病' },
    source: whoHeat,
  },
  {
    id: 'heart-lung-cold',
    kind: 'cold',
    conditions: [
      'heart',
      'cardiac',
      'copd',
      'asthma',
      'hypertension',
      'blood pressure',
      'raynaud',
      'angina',
      '心脏',
      '慢阻肺',
      '哮喘',
      '高血压',
      '雷诺',
    ],
    reason: {
      en: 'a heart or lung condition (cold raises blood pressure and narrows airways)',
      zh: '心肺疾病（寒冷会升高血压、收缩气道）',
    },
    source: ukhsaCold,
  },
  {
    id: 'beta-blocker-cold',
    kind: 'cold',
    medications: [
      'metoprolol',
      'atenolol',
      'propranolol',
      'bisoprolol',
      'carvedilol',
      '美托洛尔',
      '阿替洛尔',
      '比索洛尔',
    ],
    reason: { en: 'a beta blocker (colder hands and feet)', zh: 'β受体阻滞剂（手脚更易发冷）' },
    source: ukhsaCold,
  },
  {
    id: 'respiratory-air',
    kind: 'air',
    conditions: [
      'asthma',
      'copd',
      'chronic obstructive',
      'emphysema',
      'bronchitis',
      '哮喘',
      '慢阻肺',
      '慢性阻塞',
      '肺气肿',
      '支气管炎',
    ],
    reason: { en: 'asthma or COPD', zh: '哮喘或慢阻肺' },
    source: epaAqi,
  },
  {
    id: 'heart-air',
    kind: 'air',
    conditions: ['heart', 'cardiac', 'angina', '心脏', '心绞痛'],
    reason: { en: 'a heart condition', zh: '心脏疾病' },
    source: eeaAqi,
  },
];

/** What the rules look at. */
export interface RiskProfile {
  conditions: readonly string[];
  medications: readonly string[];
}

/** The rules of `kind` that apply to a person. */
export function matchingRules(kind: AdvisoryKindName, profile: RiskProfile): RiskRule[] {
  const conditions = profile.conditions.map((c) => c.toLowerCase());
  const medications = profile.medications.map((m) => m.toLowerCase());
  return riskRules.filter(
    (rule) =>
      rule.kind === kind &&
      ((rule.medications ?? []).some((name) => medications.some((m) => m.includes(name))) ||
        (rule.conditions ?? []).some((name) => conditions.some((c) => c.includes(name)))),
  );
}

/**
 * How strong the weather is, 0 (nothing) to 3: heat by the day's maximum (27 / 30 / 35 °C,
 * the bands of heat-health warning systems such as the UK's and Germany's DWD), cold by its
 * minimum (5 / 0 / −10 °C, UKHSA's cold-weather thresholds), air by the European (EEA bands 40 /
 * 60 / 80) or US AQI (EPA 51 / 101 / 151), whichever is worse.
 */
export function severityOf(
  kind: AdvisoryKindName,
  reading: { maxC?: number; minC?: number; europeanAqi?: number; usAqi?: number },
): number {
  const band = (value: number, steps: readonly number[]) => steps.filter((s) => value >= s).length;
  switch (kind) {
    case 'heat':
      return reading.maxC === undefined ? 0 : band(reading.maxC, [27, 30, 35]);
    case 'cold':
      return reading.minC === undefined ? 0 : band(-reading.minC, [-5, 0, 10]);
    case 'air':
      return Math.max(band(reading.europeanAqi ?? 0, [40, 60, 80]), band(reading.usAqi ?? 0, [51, 101, 151]));
  }
}

/**
 * The level for a severity and the person's risk factors: with none, only the two strongest
 * bands speak (info, then warning); with any, every band speaks one step louder (info, warning,
 * danger). Undefined means no advisory.
 */
export function levelOf(severity: number, atRisk: boolean): AdvisoryLevelName | undefined {
  const levels: readonly (AdvisoryLevelName | undefined)[] = atRisk
    ? [undefined, 'info', 'warning', 'danger']
    : [undefined, undefined, 'info', 'warning'];
  return levels[Math.min(severity, 3)];
}
