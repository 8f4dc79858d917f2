import { describe, expect, it } from 'vitest';
import { levelOf, matchingRules, severityOf } from './advisory-rules.js';

describe('advisory rules', () => {
  it('finds a diuretic in a medication name as entered, for heat', () => {
    const rules = matchingRules('heat', { conditions: [], medications: ['Furosemide 40 mg'] });
    expect(rules.map((r) => r.id)).toEqual(['diuretic-heat']);
    expect(rules[0]!.source).toMatch(/^CDC/);
  });

  it('finds asthma and COPD for air quality in English and Chinese', () => {
    expect(matchingRules('air', { conditions: ['Mild asthma'], medications: [] }).map((r) => r.id)).toEqual([
      'respiratory-air',
    ]);
    expect(matchingRules('air', { conditions: ['慢阻肺'], medications: [] }).map((r) => r.id)).toEqual([
      'respiratory-air',
    ]);
    expect(matchingRules('air', { conditions: ['eczema'], medications: ['metformin'] })).toEqual([]);
  });

  it('bands heat at 27, 30 and 35 °C and cold at 5, 0 and −10 °C', () => {
    expect([26, 27, 31, 36].map((maxC) => severityOf('heat', { maxC }))).toEqual([0, 1, 2, 3]);
    expect([6, 5, -1, -12].map((minC) => severityOf('cold', { minC }))).toEqual([0, 1, 2, 3]);
  });

  it('takes the worse of the European and US AQI', () => {
    expect(severityOf('air', { europeanAqi: 30, usAqi: 120 })).toBe(2);
    expect(severityOf('air', { europeanAqi: 85, usAqi: 40 })).toBe(3);
  });

  it('speaks one step louder to a person at risk and stays silent at mild weather for others', () => {
    expect(levelOf(1, false)).toBeUndefined();
    expect(levelOf(1, true)).toBe('info');
    expect(levelOf(3, false)).toBe('warning');
    expect(levelOf(3, true)).toBe('danger');
  });
});
