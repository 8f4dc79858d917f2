import { describe, expect, it } from 'vitest';
import { reminderMessage } from './reminder-messages.js';

const payload = {
  patientDisplayName: 'Ann',
  medicationName: 'Aspirin',
  dose: 100,
  doseUnit: 'mg',
  instructions: '',
  localTime: '08:00',
  timeZone: 'Europe/Berlin',
  locale: 'en',
};

describe('reminder messages', () => {
  it('tells the person what to take and when, in English and Chinese', () => {
    expect(reminderMessage({ kind: 'dose_due', payload, toPatient: true, language: 'en', late: false })).toEqual({
      kind: 'dose_reminder',
      title: 'Time for your Aspirin',
      body: '100 mg of Aspirin at 08:00.',
    });
    expect(reminderMessage({ kind: 'dose_due', payload, toPatient: true, language: 'zh', late: false })).toEqual({
      kind: 'dose_reminder',
      title: '该服用Aspirin了',
      body: '08:00 服用 Aspirin 100mg。',
    });
  });

  it('names the person in a caregiver’s alert and counts it as a caregiver alert', () => {
    const message = reminderMessage({
      kind: 'missed_dose_alert',
      payload,
      toPatient: false,
      language: 'en',
      late: false,
    });
    expect(message).toEqual({
      kind: 'caregiver_alert',
      title: 'Ann missed a dose',
      body: "Ann's 08:00 dose of Aspirin was not logged.",
    });
  });

  it('says so when a reminder goes out late', () => {
    const message = reminderMessage({ kind: 'dose_due', payload, toPatient: true, language: 'en', late: true });
    expect(message.body).toBe('(Late reminder) 100 mg of Aspirin at 08:00.');
  });
});
