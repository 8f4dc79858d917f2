import { describe, expect, it } from 'vitest';
import { apiValue, displayValue, unitOf } from './units.js';

describe('display units', () => {
  it('shows a weight stored in kilograms in pounds to one decimal', () => {
    expect(displayValue(80, unitOf('weight', 'lb'))).toBe(176.4);
  });

  it('shows glucose stored in mg/dL in mmol/L', () => {
    expect(displayValue(99.088, unitOf('glucose', 'mmol/L'))).toBe(5.5);
  });

  it('shows a temperature stored in Celsius in Fahrenheit', () => {
    expect(displayValue(37, unitOf('temperature', '°F'))).toBe(98.6);
  });

  it('sends blood pressure typed in kPa as mmHg, which is all the API takes', () => {
    expect(apiValue(20, unitOf('blood_pressure', 'kPa'), 'mmHg')).toEqual({ value: 150, unit: 'mmHg' });
  });

  it('sends a unit the API understands as typed, for the API to convert', () => {
    expect(apiValue(176, unitOf('weight', 'lb'), 'kg')).toEqual({ value: 176, unit: 'lb' });
  });

  it('falls back to the canonical unit for an unknown one', () => {
    expect(unitOf('glucose', 'furlongs').id).toBe('mg/dL');
  });
});
