import { describe, expect, it } from 'vitest';
import { understand } from './understand.js';

const context = { medicationNames: ['Metformin', 'Lisinopril', 'Vitamin D', '维生素D', '二甲双胍'] };

describe('understanding reminder requests', () => {
  it.each([
    ['remind me to take aspirin at 8', { times: ['08:00'], timeAssumed: true, spokenName: 'aspirin' }],
    [
      'remind me to take 81 mg aspirin at 8 pm',
      { times: ['20:00'], timeAssumed: false, spokenName: 'aspirin', dose: { amount: 81, unit: 'mg' } },
    ],
    ['please remind me to take my vitamin d with lunch at noon', { times: ['12:00'], spokenName: 'vitamin d' }],
    ['set a reminder for metformin at seven thirty in the evening', { times: ['19:30'], timeAssumed: false }],
    ['remind me to take aspirin', { times: [], spokenName: 'aspirin' }],
    ['八点提醒我吃阿司匹林', { times: ['08:00'], timeAssumed: true, spokenName: '阿司匹林' }],
    ['晚上九点提醒我吃二甲双胍', { times: ['21:00'], timeAssumed: false }],
    ['提醒我吃药', { times: [], spokenName: undefined }],
  ])('"%s" asks for a reminder', (text, reminder) => {
    const understood = understand(text, context);
    expect(understood.intent).toBe('add_reminder');
    expect(understood.reminder).toMatchObject(reminder);
  });

  it.each([
    ['add lisinopril 10 mg every morning at 7', 'lisinopril', { amount: 10, unit: 'mg' }, ['07:00']],
    ['add atorvastatin 20 mg every evening at 9', 'atorvastatin', { amount: 20, unit: 'mg' }, ['21:00']],
    ["I'm starting amlodipine 5 mg every day at 8 am", 'amlodipine', { amount: 5, unit: 'mg' }, ['08:00']],
    ['每天早上七点吃赖诺普利10毫克', '赖诺普利', { amount: 10, unit: 'mg' }, ['07:00']],
    ['添加氨氯地平5毫克，每天早上8点', '氨氯地平', { amount: 5, unit: 'mg' }, ['08:00']],
  ])('"%s" adds a medication with its schedule', (text, name, dose, times) => {
    const understood = understand(text, context);
    expect(understood.intent).toBe('add_medication');
    expect(understood.reminder).toMatchObject({ spokenName: name, dose, times });
  });

  it.each([
    ['snooze', undefined],
    ['snooze 10 minutes', 10],
    ['snooze for twenty minutes', 20],
    ['remind me again in half an hour', 30],
    ['稍后提醒我', undefined],
    ['十五分钟后再提醒我', 15],
  ])('"%s" snoozes the latest reminder', (text, minutes) => {
    const understood = understand(text, context);
    expect(understood.intent).toBe('snooze_reminder');
    expect(understood.reminder?.snoozeMinutes).toBe(minutes);
  });

  it.each([
    ['what reminders do I have today', 'today'],
    ['which reminders are set for tomorrow?', 'tomorrow'],
    ['list my reminders', 'today'],
    ['今天有哪些提醒', 'today'],
    ['明天有什么提醒？', 'tomorrow'],
  ])('"%s" lists upcoming reminders', (text, day) => {
    const understood = understand(text, context);
    expect(understood.intent).toBe('list_reminders');
    expect(understood.reminder?.day).toBe(day);
  });

  it.each([
    ['stop reminding me about vitamin D', 'Vitamin D'],
    ["don't remind me to take metformin anymore", 'Metformin'],
    ['turn off the reminders for lisinopril', 'Lisinopril'],
    ['别再提醒我吃维生素D', '维生素D'],
    ['不要提醒我吃二甲双胍了', '二甲双胍'],
  ])('"%s" stops one medication\'s reminders', (text, name) => {
    const understood = understand(text, context);
    expect(understood.intent).toBe('stop_reminders');
    expect(understood.medication?.name).toBe(name);
  });

  it('a medication not on the list is named as said, for the reply to say it is not there', () => {
    const understood = understand('stop reminding me about warfarin', context);
    expect(understood).toMatchObject({ intent: 'stop_reminders', reminder: { spokenName: 'warfarin' } });
    expect(understood.medication?.name).toBeUndefined();
  });

  it('stopping a medication itself is still stopping it, not its reminders', () => {
    expect(understand('stop lisinopril', context).intent).toBe('stop_medication');
    expect(understand('add a dentist appointment on Friday at 3 pm', context).intent).toBe('calendar');
  });
});

describe('names said in Chinese', () => {
  it('keeps the numerals of a name and drops a dose said in words', () => {
    expect(understand('别再提醒我吃二甲双胍', { medicationNames: [] }).reminder?.spokenName).toBe('二甲双胍');
    expect(understand('每天早上七点吃赖诺普利十毫克', { medicationNames: [] }).reminder).toMatchObject({
      spokenName: '赖诺普利',
      dose: { amount: 10, unit: 'mg' },
    });
  });
});
