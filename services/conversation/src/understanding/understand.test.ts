import { describe, expect, it } from 'vitest';
import { understand } from './understand.js';

const context = { medicationNames: ['Metformin', 'Metoprolol', 'Lisinopril', 'Aspirin', '二甲双胍'] };

describe('understanding what a person says', () => {
  it.each([
    [
      'my blood pressure is 135 over 85',
      { intent: 'log_vital', vital: { kind: 'blood_pressure', systolic: 135, diastolic: 85 } },
    ],
    [
      'my blood pressure is one hundred fifty over ninety five',
      { intent: 'log_vital', vital: { kind: 'blood_pressure', systolic: 150, diastolic: 95 } },
    ],
    [
      '血压130/85',
      { intent: 'log_vital', locale: 'zh', vital: { kind: 'blood_pressure', systolic: 130, diastolic: 85 } },
    ],
    ['I weigh 72 kilos', { intent: 'log_vital', vital: { kind: 'weight', value: 72, unit: 'kg' } }],
    ['我的体重是一百四十斤', { intent: 'log_vital', vital: { kind: 'weight', value: 70, unit: 'kg' } }],
    ['heart rate seventy two', { intent: 'log_vital', vital: { kind: 'heart_rate', value: 72, unit: '/min' } }],
    [
      'I took my metformin',
      { intent: 'log_dose', doseStatus: 'taken', medication: { name: 'Metformin', candidates: [] } },
    ],
    ['I just took my met formin', { intent: 'log_dose', medication: { name: 'Metformin', candidates: [] } }],
    [
      'skip my evening aspirin',
      { intent: 'log_dose', doseStatus: 'skipped', medication: { name: 'Aspirin', candidates: [] } },
    ],
    ['I took my met', { intent: 'log_dose', medication: { candidates: ['Metformin', 'Metoprolol'] } }],
    ['我吃了二甲双胍', { intent: 'log_dose', locale: 'zh', medication: { name: '二甲双胍', candidates: [] } }],
    [
      'what was my blood pressure this week?',
      { intent: 'query_vitals', vitalKind: 'blood_pressure', period: 'this_week' },
    ],
    ['我这周的体重趋势', { intent: 'query_vitals', vitalKind: 'weight', period: 'this_week' }],
    ['did I miss any pills this week?', { intent: 'query_adherence' }],
    ['what do I take tonight?', { intent: 'list_doses', period: 'today' }],
    ['remind me to take aspirin at 8 am every day', { intent: 'add_reminder', times: ['08:00'] }],
    ['stop lisinopril', { intent: 'stop_medication', medication: { name: 'Lisinopril', candidates: [] } }],
    ["what's the weather tomorrow", { intent: 'weather' }],
    ['what can you do?', { intent: 'help' }],
    ['I have chest pain and I took my aspirin', { intent: 'emergency' }],
    ['我胸口痛，喘不过气', { intent: 'emergency', locale: 'zh' }],
    ['I took too many pills', { intent: 'emergency' }],
    ['I slept six and a half hours', { intent: 'log_vital', vital: { kind: 'sleep', value: 6.5, unit: 'h' } }],
    ['how did I sleep last night?', { intent: 'query_vitals', vitalKind: 'sleep', period: 'yesterday' }],
    ['今天走了八千步', { intent: 'log_vital', vital: { kind: 'steps', value: 8000 } }],
    ['did I take my metformin this morning?', { intent: 'query_adherence', period: 'today' }],
    ["I haven't taken my metformin yet", { intent: 'unknown' }],
    ['which medicines do I take', { intent: 'list_medications' }],
    ['what medicine do I take in the morning', { intent: 'list_doses' }],
    ['what do I need to take tomorrow', { intent: 'list_doses', period: 'tomorrow' }],
    ['my doctor took me off lisinopril', { intent: 'stop_medication', medication: { name: 'Lisinopril' } }],
    ['not taking my aspirin today', { intent: 'log_dose', doseStatus: 'skipped' }],
    ['今晚的二甲双胍我不吃了', { intent: 'log_dose', doseStatus: 'skipped', medication: { name: '二甲双胍' } }],
    ['以后不吃二甲双胍了', { intent: 'stop_medication', medication: { name: '二甲双胍' } }],
    ["what's the temperature outside", { intent: 'weather' }],
    [
      'remind me to take metformin at 8 in the morning and 8 in the evening',
      { intent: 'add_reminder', times: ['08:00', '20:00'] },
    ],
    ['was my blood pressure 120 over 80?', { intent: 'query_vitals', vitalKind: 'blood_pressure' }],
    ['should I double my metformin since I missed one', { intent: 'medical_advice' }],
    ['阿司匹林可以和二甲双胍一起吃吗', { intent: 'medical_advice', locale: 'zh' }],
    ['what should I take now', { intent: 'list_doses' }],
    ['what was my blood pressure last Monday?', { intent: 'query_vitals', period: 'monday' }],
    ['did I miss any pills the day before yesterday', { intent: 'query_adherence', period: 'day_before_yesterday' }],
    ['上周一的血压怎么样', { intent: 'query_vitals', vitalKind: 'blood_pressure', period: 'last_week_monday' }],
    ['星期天睡得怎么样', { intent: 'query_vitals', vitalKind: 'sleep', period: 'sunday' }],
  ])('%s', (text, expected) => {
    expect(understand(text, context)).toMatchObject(expected);
  });
});
