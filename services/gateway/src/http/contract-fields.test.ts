import { PageRequestSchema } from '@tend/proto/tend/common/v1/common';
import { CreateMedicationRequestSchema, ScheduleSchema } from '@tend/proto/tend/health/v1/medications';
import { TranscribeRequestSchema } from '@tend/proto/tend/voice/v1/voice';
import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { apiEmail } from '../routes/route-kit.js';
import { contractList, contractNumber, contractText, integerMaxOf, textsWithin } from './contract-fields.js';

const medication = CreateMedicationRequestSchema.field;

describe('REST fields read off the contract’s rules', () => {
  it('bounds a text by the proto field’s lengths, in code points, and documents them', () => {
    const name = contractText(medication.name, { trim: true });
    expect(name.safeParse('💊'.repeat(200)).success).toBe(true);
    expect(name.safeParse('x'.repeat(201)).success).toBe(false);
    expect(name.safeParse('   ').success).toBe(false);
    expect(z.toJSONSchema(name, { io: 'input' })).toMatchObject({ minLength: 1, maxLength: 200 });
  });

  it('takes a pattern, a list of values and number bounds from the field', () => {
    const rxnorm = contractText(medication.rxnormCode);
    expect(rxnorm.safeParse('860975').success).toBe(true);
    expect(rxnorm.safeParse('86097a').success).toBe(false);
    expect(z.toJSONSchema(rxnorm, { io: 'input' })).toMatchObject({ pattern: '^[0-9]{0,10}$' });

    const unit = contractText(medication.doseUnit);
    expect(unit.safeParse('mg').success).toBe(true);
    expect(unit.safeParse('kg').success).toBe(false);
    expect(z.toJSONSchema(unit, { io: 'input' })).toMatchObject({ enum: expect.arrayContaining(['mg', 'tablet']) });

    const dose = contractNumber(medication.dose);
    expect(dose.safeParse(0).success).toBe(false);
    expect(dose.safeParse(0.5).success).toBe(true);
    expect(z.toJSONSchema(dose, { io: 'input' })).toMatchObject({ exclusiveMinimum: 0 });

    expect(integerMaxOf(PageRequestSchema.field.limit)).toBe(100);
  });

  it('bounds a list and its items', () => {
    const times = contractList(ScheduleSchema.field.times, contractText(ScheduleSchema.field.times));
    expect(times.safeParse(['08:00', '20:30']).success).toBe(true);
    expect(times.safeParse(['24:00']).success).toBe(false);
    expect(times.safeParse(Array.from({ length: 25 }, () => '08:00')).success).toBe(false);
    expect(z.toJSONSchema(times, { io: 'input' })).toMatchObject({ maxItems: 24 });
  });

  it('keeps of texts the gateway fills in those the list takes, rather than have the call refused', () => {
    const hints = TranscribeRequestSchema.field.phraseHints;
    const long = 'Hydrochlorothiazide and lisinopril combination tablets, extended release, 20 mg';
    expect(textsWithin(hints, ['Losartan', '', long, '💊'.repeat(64)])).toEqual(['Losartan', '💊'.repeat(64)]);
    const many = Array.from({ length: 60 }, (_, i) => `Medicine ${i}`);
    expect(textsWithin(hints, many)).toEqual(many.slice(0, 50));
  });

  it('refuses at start a field whose contract declares no rules', () => {
    expect(() => contractText(medication.startDate)).toThrow(/CreateMedicationRequest\.start_date declares no/);
  });

  it('takes one e-mail rule everywhere: 254 characters, at most 64 before the @', () => {
    expect(apiEmail.safeParse(' ada@example.test ').data).toBe('ada@example.test');
    expect(apiEmail.safeParse(`${'a'.repeat(64)}@example.test`).success).toBe(true);
    expect(apiEmail.safeParse(`${'a'.repeat(65)}@example.test`).success).toBe(false);
    expect(apiEmail.safeParse(`a@${'b'.repeat(250)}.test`).success).toBe(false);
    expect(apiEmail.safeParse('not an address').success).toBe(false);
  });
});
